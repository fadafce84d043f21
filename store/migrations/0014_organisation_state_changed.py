"""Who moved an organisation to its integration state, and when (DESIGN §12 item 4).

The overview says "Paused by X on D": `organisation.state_changed_by` (an email, or `cli`) and
`state_changed_at` record the person and moment of the latest change of `state` — the first import or
push a person started (setting up → active), a pause, a resume. Empty for organisations whose state
has not changed since they were made.
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('organisation', 'state_changed_by', CharField(null=True)),
        migrator.add_column('organisation', 'state_changed_at', DateTimeField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('organisation', 'state_changed_at'),
        migrator.drop_column('organisation', 'state_changed_by'),
    )
