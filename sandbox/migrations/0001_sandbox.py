"""The sandbox's first schema: account, groups, members and portal users.

Frozen copies of sandbox.models, independent of them, so this file keeps meaning the same schema
however the models change later.
"""
from peewee import *


def up(migrator, db):
    class SandboxAccount(Model):
        name = CharField()
        api_key = CharField(unique=True)
        api_secret = CharField()
        central_record_token = CharField(null=True)
        central_record_url = CharField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'sandbox_account'
    db.create_tables([SandboxAccount])

    class SandboxGroup(Model):
        account = ForeignKeyField(SandboxAccount, on_delete='CASCADE')
        name = CharField()
        type = CharField(constraints=[Check("type in ('returning', 'non-returning', 'delivery')")])
        organisation_id = IntegerField(null=True)
        rating_check = CharField(default='all', constraints=[Check("rating_check in ('all', 'none', 'selected')")])
        rating_systems = TextField(default='[]')
        safety_check = CharField(default='dont_check', constraints=[Check("safety_check in ('dont_check', 'reject', 'allow')")])
        allow_ipad_self_add = BooleanField(default=False)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'sandbox_group'
            indexes = ((('account', 'name'), False),)
    db.create_tables([SandboxGroup])

    class SandboxMember(Model):
        group = ForeignKeyField(SandboxGroup, on_delete='CASCADE')
        personal_fields = TextField(default='{}')
        status = CharField(default='signed_out', constraints=[Check("status in ('signed_out', 'signed_in')")])
        archived = BooleanField(default=False)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'sandbox_member'
    db.create_tables([SandboxMember])

    class SandboxPortalUser(Model):
        account = ForeignKeyField(SandboxAccount, on_delete='CASCADE')
        name = CharField()
        email = CharField()
        role = CharField(default='admin')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'sandbox_portal_user'
    db.create_tables([SandboxPortalUser])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('sandbox_portal_user'))
    migrator.migrate(migrator.drop_table('sandbox_member'))
    migrator.migrate(migrator.drop_table('sandbox_group'))
    migrator.migrate(migrator.drop_table('sandbox_account'))
