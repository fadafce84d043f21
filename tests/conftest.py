"""Shared fixtures: a migrated database on SQLite and PostgreSQL, the app, a CSRF-aware client.

Every test that asks for `db` (or `app`) runs once on SQLite and once on PostgreSQL. PostgreSQL comes
from TETHER_TEST_POSTGRES_URL (`make test` starts a server and sets it). Under CI=true a missing
PostgreSQL is a failure, never a skip.
"""
import os
import re
import shutil
import uuid
from urllib.parse import urlparse, urlunparse

import pytest
from flask.testing import FlaskClient

import store
from store.db import open_database

CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("TETHER_TEST_POSTGRES_URL")
KEEP_TABLES = {"schema_migration", "sandbox_migration"}


def backends():
    return ["sqlite", "postgres"] if (POSTGRES_URL or CI) else ["sqlite"]


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        # `@pytest.mark.sqlite_only` (with its reason in the test's docstring): what only SQLite can do.
        only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("backend", ["sqlite"] if only_sqlite else backends(), scope="session")


def _migrate(database):
    import sandbox

    with database.connection_context():
        store.migrate(database)
        sandbox.migrate(database)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "tether.db"
    database = open_database(str(path), pooled=False)
    _migrate(database)
    database.close()
    return path


@pytest.fixture(scope="session")
def postgres_database():
    """A fresh PostgreSQL database for this test session, migrated once and emptied per test."""
    if not POSTGRES_URL:
        pytest.fail("CI=true but TETHER_TEST_POSTGRES_URL is not set: PostgreSQL tests must run in CI.")
    admin = open_database(POSTGRES_URL)
    name = f"tether_test_{uuid.uuid4().hex[:10]}"
    with admin.connection_context():
        admin.execute_sql(f'CREATE DATABASE "{name}"')
    url = urlunparse(urlparse(POSTGRES_URL)._replace(path="/" + name))
    database = open_database(url)
    _migrate(database)
    yield url, database
    database.close()
    with admin.connection_context():
        admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_postgres(database):
    tables = [t for t in database.get_tables() if t not in KEEP_TABLES]
    database.execute_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


@pytest.fixture
def db(request, backend, tmp_path):
    """A migrated, empty database with every model bound to it; yields (url, database).

    Secrets are sealed under the key of the tests' SECRET_KEY, as the `app` fixture's would be."""
    from store import sealed

    sealed.use_key("test-secret")
    if backend == "sqlite":
        path = tmp_path / "tether.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
        database = open_database(str(path))
    else:
        url, database = request.getfixturevalue("postgres_database")
        with database.connection_context():
            _empty_postgres(database)
    store.database.initialize(database)
    database.connect(reuse_if_open=True)
    yield database
    if not database.is_closed():
        database.close()


class TetherClient(FlaskClient):
    """A test client that sends the CSRF token with every form post, unless told `csrf=False`."""

    def csrf_token(self):
        page = self.get("/login", follow_redirects=True).get_data(as_text=True)
        return re.search(r'X-CSRFToken": "([^"]+)"', page).group(1)

    def post(self, *args, csrf=True, **kwargs):
        if csrf:
            data = dict(kwargs.pop("data", None) or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)

    def login(self, email, password="password"):
        return self.post("/login", data={"email": email, "password": password})

    def switch_to(self, email, password="password"):
        """Sign whoever is signed in out, then sign in as `email` (signing in over a session keeps it)."""
        self.post("/logout")
        return self.login(email, password)


@pytest.fixture
def app(db):
    from app import create_app

    application = create_app(
        {
            "TESTING": True,
            "DATABASE": db,
            "DATABASE_URL": "bound-by-test",
            "AUTO_MIGRATE": False,
            "SECRET_KEY": "test-secret",
            "TETHER_SCHEDULER": False,
        }
    )
    application.test_client_class = TetherClient
    yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
