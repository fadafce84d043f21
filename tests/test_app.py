"""The application factory and its configuration."""
import json
import os
import pathlib
import re

from app import create_app


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TETHER_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    first = create_app({"TESTING": True, "TETHER_SCHEDULER": False})
    key_file = os.path.join(first.instance_path, "secret_key")
    assert os.path.exists(key_file)
    second = create_app({"TESTING": True, "TETHER_SCHEDULER": False})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]


def test_configuration_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("TETHER_PORT", "5099")
    monkeypatch.setenv("TETHER_SCHEDULER", "off")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    app = create_app({"TESTING": True})
    assert app.config["TETHER_PORT"] == 5099
    assert app.config["TETHER_SCHEDULER"] is False
    assert app.config["SECRET_KEY"] == "from-env"
    assert (tmp_path / "env.db").exists()


def test_sqlite_default_uses_wal_foreign_keys_and_immediate_transactions(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'wal.db'}")
    create_app({"TESTING": True})
    import store

    with store.database.connection_context():
        assert store.database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.database.obj._lock_type == "IMMEDIATE"


def test_tether_help_lists_the_commands(runner):
    result = runner.invoke(args=["--help"])
    assert result.exit_code == 0
    for command in ("db", "users", "demo", "rules"):
        assert command in result.output


def test_db_status_shows_pending_migrations_on_a_new_database_and_applied_after_migrate(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from app import cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    monkeypatch.setenv("TETHER_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("TETHER_SCHEDULER", raising=False)
    runner = CliRunner()

    def status():
        answer = runner.invoke(cli, ["db", "status", "--json"])
        assert answer.exit_code == 0, answer.output
        return {(m["set"], m["name"]): m["applied"] for m in json.loads(answer.stdout)["migrations"]}

    before = status()
    assert {label for label, _ in before} == {"tether", "sandbox"}
    assert not any(before.values())
    assert "pending: run `tether db migrate`" in runner.invoke(cli, ["db", "status"]).stderr
    refused = runner.invoke(cli, ["demo", "seed"])
    assert refused.exit_code == 2 and "run `tether db migrate` first" in refused.stderr
    migrated = runner.invoke(cli, ["db", "migrate"])
    assert migrated.exit_code == 0 and "0001_initial" in migrated.stdout and "0001_sandbox" in migrated.stdout
    after = status()
    assert after.keys() == before.keys() and all(after.values())
    assert runner.invoke(cli, ["db", "migrate"]).stdout == "schema is up to date\n"


def test_connectors_know_no_flask():
    """DESIGN §1: connectors/ sit below the app; the app hands them what they need (serve_sandbox_from)."""
    root = pathlib.Path(__file__).resolve().parents[1] / "connectors"
    flask_imports = [str(path) for path in root.rglob("*.py") if re.search(r"^\s*(from|import) flask", path.read_text(), re.M)]
    assert not flask_imports
