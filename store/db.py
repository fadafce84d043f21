"""The one database handle every model binds to, and how a URL becomes a peewee database.

SQLite is the embedded default (WAL, foreign keys on, `BEGIN IMMEDIATE` so two writers queue instead
of failing half-way); `postgresql://…` selects PostgreSQL through psycopg 3.
"""
import json
import os
from urllib.parse import unquote, urlparse

from peewee import DatabaseProxy, Model, PostgresqlDatabase, SqliteDatabase, TextField, sort_models
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -32000,
}


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class JSONField(TextField):
    """JSON kept as text so the same column works on SQLite and PostgreSQL."""

    field_type = "TEXT"

    def db_value(self, value):
        if value is None:
            return None
        return json.dumps(value, sort_keys=True, default=str)

    def python_value(self, value):
        if value is None:
            return None
        return json.loads(value)


# Connections are pooled: a request or job returns its connection instead of closing it, so the
# next one skips the connect and (for SQLite) the PRAGMAs — the safety check at the morning rush
# is mostly that. Waiting up to 10 s for a free connection beats failing under a burst.
POOL = {"max_connections": 32, "stale_timeout": 300, "timeout": 10}


def open_database(url, pooled=True):
    """A peewee database for `url`: `sqlite:///path`, a bare file path, or `postgresql://…`."""
    pool = POOL if pooled else {}
    if url.startswith(("postgres://", "postgresql://")):
        parsed = urlparse(url)
        return (PooledPostgresqlDatabase if pooled else PostgresqlDatabase)(
            parsed.path.lstrip("/"),
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname,
            port=parsed.port,
            prefer_psycopg3=True,
            autoconnect=True,
            **pool,
        )
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url
    if path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    database_class = PooledSqliteDatabase if pooled else SqliteDatabase
    # sqlite3's own `timeout` (how long to wait for a lock) is busy_timeout in the PRAGMAs: the pool's
    # `timeout` is how long to wait for a free connection.
    return database_class(path, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False, **pool)


def bind(url):
    """Point every model at the database for `url` and return it."""
    db = open_database(url)
    database.initialize(db)
    return db


def is_postgres():
    return isinstance(database.obj, PostgresqlDatabase)


def empty_tables(models):
    """Delete every row of these models' tables, dependents first; ids start again from 1 where the
    database allows (PostgreSQL's TRUNCATE … RESTART IDENTITY; SQLite reuses ids of an empty table)."""
    for model in reversed(sort_models(models)):
        model.truncate_table(restart_identity=True, cascade=True)
