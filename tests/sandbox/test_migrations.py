"""The sandbox's tables come from its own migrations, tracked apart from Tether's."""
from playhouse.migrations import Runner

import sandbox
import store
from store.db import open_database

TABLES = {"sandbox_account", "sandbox_group", "sandbox_member", "sandbox_portal_user", "sandbox_personal_field"}
ALL = ["0001_sandbox", "0002_central_record_safety_check", "0003_returning_visitor_resource", "0004_personal_fields",
       "0005_member_mis_data"]


def test_sandbox_migrations_are_applied_with_the_database(db):
    assert TABLES <= set(db.get_tables())
    status = Runner(db, directory=sandbox.MIGRATIONS, table_name="sandbox_migration").status()
    assert [(m.name, m.applied is not None) for m in status] == [
        *[(name, True) for name in ALL]
    ]
    assert sandbox.migrate(db) == []


def test_an_empty_database_gets_the_sandbox_tables_and_can_revert_them(tmp_path):
    database = open_database(str(tmp_path / "fresh.db"))
    with database.connection_context():
        store.migrate(database)
        assert sandbox.migrate(database) == ALL
        assert TABLES <= set(database.get_tables())
        assert "sandbox_migration" in database.get_tables()
        Runner(database, directory=sandbox.MIGRATIONS, table_name="sandbox_migration").down("0001_sandbox")
        assert not TABLES & set(database.get_tables())
        assert sandbox.migrate(database) == ALL


def test_an_account_from_before_the_toggle_keeps_asking_central_record(tmp_path):
    """Accounts made before Manage > Safety Check > Sign In Central Record existed asked at every sign-in."""
    database = open_database(str(tmp_path / "old.db"))
    with database.connection_context():
        store.migrate(database)
        sandbox.migrate(database, "0001_sandbox")
        database.execute_sql(
            "INSERT INTO sandbox_account (name, api_key, api_secret, created_at) VALUES ('Old', 'k', 's', '2024-01-01')"
        )
        assert sandbox.migrate(database) == ALL[1:]
        assert database.execute_sql("SELECT central_record_safety_check FROM sandbox_account").fetchone()[0] in (1, True)
