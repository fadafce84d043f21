"""Running a real school (DESIGN §12): getting started, support access, connection state, sealed secrets.

- `integration_request`: a school admin's request, and the Sign In App primary user's confirmation.
- `support_grant`: support access to an organisation, opened by its admin for a period.
- `organisation.state`: `setting_up`, `active` or `paused`. Every organisation that exists already has
  been importing on schedule, so it starts `active`; a new one starts `setting_up`.
- `sia_connection.wonde`, `.tested_at`, `.test_ok`, `.test_message`.
- `audit_event.grant_id`: the support grant an action ran under.

Secrets already saved stay as they are here: the migration does not know SECRET_KEY. The app seals
every plain one as it starts (`SiaConnection.seal_plain_secrets`, create_app).
"""
from peewee import *


def up(migrator, db):
    class Organisation(Model):
        class Meta:
            database = db
            table_name = 'organisation'

    class IntegrationRequest(Model):
        organisation = ForeignKeyField(Organisation, unique=True, on_delete='CASCADE')
        requested_by = CharField()
        requested_at = DateTimeField()
        note = TextField(default='')
        primary_user = CharField(null=True)
        confirmed_at = DateTimeField(null=True)
        confirmation_recorded_by = CharField(null=True)

        class Meta:
            database = db
            table_name = 'integration_request'

    class SupportGrant(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        opened_by = CharField()
        opened_at = DateTimeField()
        until = DateTimeField()
        closed_at = DateTimeField(null=True)
        closed_by = CharField(null=True)

        class Meta:
            database = db
            table_name = 'support_grant'
            indexes = ((('organisation', 'until'), False),)

    db.create_tables([IntegrationRequest, SupportGrant])
    migrator.migrate(
        migrator.add_column('organisation', 'state', CharField(
            default='active', constraints=[Check("state in ('setting_up', 'active', 'paused')")])),
        migrator.add_column('sia_connection', 'wonde', BooleanField(default=False)),
        migrator.add_column('sia_connection', 'tested_at', DateTimeField(null=True)),
        migrator.add_column('sia_connection', 'test_ok', BooleanField(null=True)),
        migrator.add_column('sia_connection', 'test_message', TextField(default='')),
        migrator.add_column('audit_event', 'grant_id', ForeignKeyField(
            SupportGrant, field=SupportGrant.id, null=True, on_delete='SET NULL')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('audit_event', 'grant_id'),
        migrator.drop_column('sia_connection', 'test_message'),
        migrator.drop_column('sia_connection', 'test_ok'),
        migrator.drop_column('sia_connection', 'tested_at'),
        migrator.drop_column('sia_connection', 'wonde'),
        migrator.drop_column('organisation', 'state'),
        migrator.drop_table('support_grant'),
        migrator.drop_table('integration_request'),
    )
