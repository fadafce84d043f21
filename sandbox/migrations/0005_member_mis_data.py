"""MIS data in the sandbox, as Sign In App's Wonde connection gives it (docs/design.md §3, partner part).

`sandbox_group.mis_sync` is the group's "MIS sync (Wonde)": its members carry `mis` in the client API.
`sandbox_member.mis_date_of_birth`, `.mis_start_date`, `.mis_leaving_date` are each member's MIS date
of birth, start date and leaving date (null when the MIS has none).
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('sandbox_group', 'mis_sync', BooleanField(default=False)),
        migrator.add_column('sandbox_member', 'mis_date_of_birth', DateField(null=True)),
        migrator.add_column('sandbox_member', 'mis_start_date', DateField(null=True)),
        migrator.add_column('sandbox_member', 'mis_leaving_date', DateField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('sandbox_member', 'mis_leaving_date'),
        migrator.drop_column('sandbox_member', 'mis_start_date'),
        migrator.drop_column('sandbox_member', 'mis_date_of_birth'),
        migrator.drop_column('sandbox_group', 'mis_sync'),
    )
