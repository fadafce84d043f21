"""Linked groups are kept by Tether (DESIGN §3, "Linked groups: kept by Tether, confirmed by Sign In App").

`sia_group.organisation` becomes the organisation Tether keeps the group linked to, no longer a copy of
Sign In App's partner integration settings (those stay in `settings.integrations`). `linked_by` and
`linked_at` say who last linked or unlinked the group and when. Existing links are kept as the mirror
last saw them, so nothing stops syncing on upgrade: every group the mirror had linked to an
organisation is kept linked, `linked_by` "Sign In App (before Tether kept links)".
"""
import datetime

from peewee import *

SEEDED_BY = "Sign In App (before Tether kept links)"


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('sia_group', 'linked_by', CharField(null=True)),
        migrator.add_column('sia_group', 'linked_at', DateTimeField(null=True)),
    )
    moment = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    db.execute_sql(
        f"UPDATE sia_group SET linked_by = {db.param}, linked_at = {db.param} WHERE organisation_id IS NOT NULL",
        (SEEDED_BY, moment),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('sia_group', 'linked_at'),
        migrator.drop_column('sia_group', 'linked_by'),
    )
