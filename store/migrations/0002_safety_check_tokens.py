"""Safety-check tokens: the bearer tokens Sign In App presents to `POST /api/v1/safety-check`.

Frozen models, independent of store.models, like 0001.
"""
from peewee import *


def up(migrator, db):
    class SiaConnection(Model):
        class Meta:
            database = db
            table_name = 'sia_connection'

    class SafetyCheckToken(Model):
        connection = ForeignKeyField(SiaConnection, on_delete='CASCADE')
        name = CharField(default='')
        token_hash = CharField(unique=True)
        prefix = CharField()
        created_at = DateTimeField()
        created_by = CharField(default='')
        last_used_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)
        revoked_by = CharField(null=True)
        class Meta:
            database = db
            table_name = 'safety_check_token'
    db.create_tables([SafetyCheckToken])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('safety_check_token'))
