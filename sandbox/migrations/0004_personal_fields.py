"""SandboxPersonalField: an account's custom personal fields, keyed as Sign In App keys them.

Sign In App's custom fields are "defined within the client space": a member's `personal_fields` carry
their values under the account's own opaque keys (e.g. c3YQ5d9wQi), each with a label and a type
(text, boolean or number). The sandbox serves them at GET /personal-fields (docs/design.md §3, partner
part). Accounts made before this migration have none.
"""
from peewee import *


def up(migrator, db):
    class SandboxAccount(Model):
        class Meta:
            database = db
            table_name = 'sandbox_account'

    class SandboxPersonalField(Model):
        account = ForeignKeyField(SandboxAccount, on_delete='CASCADE')
        key = CharField()
        label = CharField()
        type = CharField(default='text', constraints=[Check("type in ('text', 'boolean', 'number')")])
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'sandbox_personal_field'
            indexes = ((('account', 'key'), True),)

    db.create_tables([SandboxPersonalField])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('sandbox_personal_field'))
