"""Jobs at scale (DESIGN §13): every app process shares the scheduled work, and Sign In App pages are
read with If-None-Match.

- `job_schedule`: per organisation and scheduled job, when it is next due, the run it last made and
  how many of its runs in a row failed. Rows are made by the sweep for the organisations each job
  covers, so this migration adds none.
- `sia_page`: per connection and member-page URL, the `ETag` of the page the last successful import
  read, and the members on it with their digests.
"""
from peewee import *


def up(migrator, db):
    class Organisation(Model):
        class Meta:
            database = db
            table_name = 'organisation'

    class SyncRun(Model):
        class Meta:
            database = db
            table_name = 'sync_run'

    class SiaConnection(Model):
        class Meta:
            database = db
            table_name = 'sia_connection'

    class JobSchedule(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        job = CharField()
        next_due = DateTimeField()
        last_run = ForeignKeyField(SyncRun, null=True, on_delete='SET NULL')
        failures_in_a_row = IntegerField(default=0)

        class Meta:
            database = db
            table_name = 'job_schedule'
            indexes = ((('organisation', 'job'), True), (('next_due',), False))

    class SiaPage(Model):
        connection = ForeignKeyField(SiaConnection, on_delete='CASCADE')
        group_sia_id = IntegerField()
        path = CharField()
        etag = CharField()
        members = TextField(default='[]')
        has_next = BooleanField(default=False)
        read_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'sia_page'
            indexes = ((('connection', 'path'), True), (('connection', 'group_sia_id'), False))

    db.create_tables([JobSchedule, SiaPage])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('sia_page'),
        migrator.drop_table('job_schedule'),
    )
