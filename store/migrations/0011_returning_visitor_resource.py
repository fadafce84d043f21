"""SiaMember shadows keep the documented Returning Visitor Resource's other fields (docs/design.md §3.1).

`site_id` (the site the member is restricted to), `last_in`/`last_out` (ISO-8601 text as Sign In App sent
it), `photo_url`, the companion app's `permissions` and `qr_codes`: the profile page, diagnostics and the
group lists show them. Shadows made before have none until the next import reads their members: the
digest now covers these fields, so that import rewrites every shadow once.
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('sia_member', 'site_id', IntegerField(null=True)),
        migrator.add_column('sia_member', 'last_in', CharField(null=True)),
        migrator.add_column('sia_member', 'last_out', CharField(null=True)),
        migrator.add_column('sia_member', 'photo_url', TextField(null=True)),
        migrator.add_column('sia_member', 'permissions', TextField(default='{}')),
        migrator.add_column('sia_member', 'qr_codes', TextField(default='[]')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('sia_member', 'qr_codes'),
        migrator.drop_column('sia_member', 'permissions'),
        migrator.drop_column('sia_member', 'photo_url'),
        migrator.drop_column('sia_member', 'last_out'),
        migrator.drop_column('sia_member', 'last_in'),
        migrator.drop_column('sia_member', 'site_id'),
    )
