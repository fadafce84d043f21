"""Schema changes go through playhouse.migrations, so an existing database upgrades in place."""
import os

from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models

import store
from store.db import open_database
from store.models import MODELS


def _migration_names():
    return sorted(name[:-3] for name in os.listdir(store.MIGRATIONS) if name[0].isdigit() and name.endswith(".py"))


def test_migrations_build_every_model_table_on_an_empty_database(tmp_path):
    database = open_database(str(tmp_path / "empty.db"))
    with database.connection_context():
        applied = store.migrate(database)
        tables = set(database.get_tables())
    assert applied == _migration_names()
    assert {model._meta.table_name for model in MODELS} <= tables


def test_migrating_twice_applies_nothing_the_second_time(db):
    assert store.migrate(db) == []


def test_upgrade_from_the_first_schema_keeps_existing_rows(tmp_path):
    database = open_database(str(tmp_path / "old.db"))
    first = _migration_names()[0]
    with database.connection_context():
        Runner(database, directory=store.MIGRATIONS).up(first)
        database.execute_sql("INSERT INTO organisation (name, settings, created_at) VALUES ('Old School', '{}', '2024-01-01')")
        store.migrate(database)
        assert database.execute_sql("SELECT name FROM organisation").fetchall() == [("Old School",)]
        status = store.migration_status(database)
    assert all(m.applied for m in status)


def test_the_models_match_the_migrated_schema(db):
    """A model change without its migration fails here, on both databases."""
    diff = diff_models(db, MODELS)
    assert not diff, diff


def test_upgrade_gives_each_existing_user_a_session_token_of_their_own(tmp_path):
    database = open_database(str(tmp_path / "old.db"))
    with database.connection_context():
        Runner(database, directory=store.MIGRATIONS).up("0005_compliance_revision")
        for email in ("one@school.test", "two@school.test"):
            database.execute_sql(
                "INSERT INTO \"user\" (email, name, password_hash, role, active, created_at) "
                f"VALUES ('{email}', '', 'hash', 'admin', 1, '2024-01-01')"
            )
        store.migrate(database)
        tokens = [token for (token,) in database.execute_sql('SELECT session_token FROM "user"').fetchall()]
    assert len(set(tokens)) == 2 and all(len(token) >= 20 for token in tokens)


def test_upgrade_keeps_every_group_the_mirror_had_linked_so_nothing_stops_syncing(tmp_path):
    database = open_database(str(tmp_path / "old.db"))
    with database.connection_context():
        Runner(database, directory=store.MIGRATIONS).up("0009_trust_rating_templates")
        database.execute_sql("INSERT INTO organisation (name, settings, created_at, state) VALUES ('Old School', '{}', '2024-01-01', 'active')")
        database.execute_sql(
            "INSERT INTO sia_connection (organisation_id, name, base_url, api_key, api_secret, kind, created_at, wonde, "
            "test_message) VALUES (1, 'SIA', 'https://x.test/client-api/v1', 'k', 's', 'http', '2024-01-01', 0, '')"
        )
        for sia_id, name, organisation in ((12, "Staff", "1"), (13, "Visitors", "NULL")):
            database.execute_sql(
                "INSERT INTO sia_group (connection_id, sia_id, name, type, organisation_id, settings, seen_at) "
                f"VALUES (1, {sia_id}, '{name}', 'returning', {organisation}, '{{}}', '2024-01-01')"
            )
        store.migrate(database)
        rows = database.execute_sql("SELECT name, organisation_id, linked_by, linked_at IS NOT NULL FROM sia_group ORDER BY name").fetchall()
    assert rows == [("Staff", 1, "Sign In App (before Tether kept links)", 1), ("Visitors", None, None, 0)]
