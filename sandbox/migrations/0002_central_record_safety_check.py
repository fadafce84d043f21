"""SandboxAccount.central_record_safety_check: Sign In App's Manage > Safety Check > Sign In Central Record.

"Include Sign In Central Record's criteria for entry to be included on the safety check" (set-up help,
step 5). A new account starts with it off, as Sign In App does; accounts made before this migration
asked Central Record at every sign-in, so they keep doing so (on).
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('sandbox_account', 'central_record_safety_check', BooleanField(default=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('sandbox_account', 'central_record_safety_check'))
