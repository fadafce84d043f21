"""SandboxMember gets the documented Returning Visitor Resource's other fields (docs/design.md §3.1).

`site_id` (the site the member is restricted to), `qr_codes`, `photo_url`, `last_in`/`last_out` (ISO-8601
text, as the API sends them) and the companion app's `permissions`. Members made before keep none of
them: no site, no QR code, no photo, never signed in, no permissions.
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('sandbox_member', 'site_id', IntegerField(null=True)),
        migrator.add_column('sandbox_member', 'qr_codes', TextField(default='[]')),
        migrator.add_column('sandbox_member', 'photo_url', TextField(null=True)),
        migrator.add_column('sandbox_member', 'last_in', CharField(null=True)),
        migrator.add_column('sandbox_member', 'last_out', CharField(null=True)),
        migrator.add_column('sandbox_member', 'permissions', TextField(default='{}')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('sandbox_member', 'permissions'),
        migrator.drop_column('sandbox_member', 'last_out'),
        migrator.drop_column('sandbox_member', 'last_in'),
        migrator.drop_column('sandbox_member', 'photo_url'),
        migrator.drop_column('sandbox_member', 'qr_codes'),
        migrator.drop_column('sandbox_member', 'site_id'),
    )
