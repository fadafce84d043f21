"""The revision of an organisation's compliance settings, kept by the database itself.

The safety check keeps each organisation's enabled rating systems and what every profile type needs in
them in memory (compliance.readiness.enabled_requirements), and reads `store_revision`'s 'compliance'
row in the same query as each sign-in to know whether that copy is still current. Triggers give the row
a new random value whenever a rating system, a rating requirement or a check type is inserted, changed
or deleted, by whatever writes it: the console, the CLI, another process, a hand-written SQL statement.
A random value, not a counter, so a database that is emptied and filled again never repeats one.

Also drops notification's index on organisation_id alone: its two indexes on (organisation_id, read_at)
and (organisation_id, at) serve every query it served, and each index is one more page written by the
safety check's notification inserts at the morning rush.
"""
from peewee import *

TABLES = ('rating_system', 'rating_requirement', 'check_type')


def _postgres(db):
    return isinstance(db, PostgresqlDatabase)


def up(migrator, db):
    class StoreRevision(Model):
        name = CharField(primary_key=True)
        revision = CharField()

        class Meta:
            database = db
            table_name = 'store_revision'

    db.create_tables([StoreRevision])
    if _postgres(db):
        db.execute_sql("INSERT INTO store_revision (name, revision) VALUES ('compliance', md5(random()::text))")
        db.execute_sql(
            "CREATE FUNCTION store_revision_compliance() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "INSERT INTO store_revision (name, revision) VALUES ('compliance', md5(random()::text)) "
            "ON CONFLICT (name) DO UPDATE SET revision = excluded.revision; RETURN NULL; END $$"
        )
        for table in TABLES:
            db.execute_sql(
                f"CREATE TRIGGER {table}_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION store_revision_compliance()"
            )
    else:
        db.execute_sql("INSERT INTO store_revision (name, revision) VALUES ('compliance', lower(hex(randomblob(16))))")
        for table in TABLES:
            for event in ('INSERT', 'UPDATE', 'DELETE'):
                db.execute_sql(
                    f"CREATE TRIGGER {table}_revision_{event.lower()} AFTER {event} ON {table} BEGIN "
                    "INSERT INTO store_revision (name, revision) VALUES ('compliance', lower(hex(randomblob(16)))) "
                    "ON CONFLICT (name) DO UPDATE SET revision = excluded.revision; END"
                )
    migrator.migrate(migrator.drop_index('notification', 'notification_organisation_id'))


def down(migrator, db):
    migrator.migrate(migrator.add_index('notification', ('organisation_id',)))
    for table in TABLES:
        if _postgres(db):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_revision ON {table}")
        else:
            for event in ('insert', 'update', 'delete'):
                db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_revision_{event}")
    if _postgres(db):
        db.execute_sql("DROP FUNCTION IF EXISTS store_revision_compliance()")
    migrator.migrate(migrator.drop_table('store_revision'))
