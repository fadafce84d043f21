"""The application factory and its configuration."""
import os

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
