"""Tether's data: the database handle, the models and the migrations that build them."""
import os
from contextlib import contextmanager

import filelock
from peewee import PostgresqlDatabase
from playhouse.migrations import Runner

from .db import bind, database, is_postgres

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


MIGRATION_LOCK_KEY = 0x7E7E_5C4E_D002  # any constant every Tether process agrees on


@contextmanager
def migration_lock(db=None):
    """One process migrates at a time: several app processes starting together would race otherwise.

    PostgreSQL: a session advisory lock; SQLite: a file lock beside the database file."""
    db = db or database.obj
    if isinstance(db, PostgresqlDatabase):
        with db.connection_context():
            db.execute_sql("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
            try:
                yield
            finally:
                db.execute_sql("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    elif db.database == ":memory:":
        yield
    else:
        with filelock.FileLock(os.path.abspath(db.database) + ".migrate-lock"), db.connection_context():
            yield


def migrate(db=None, target=None):
    """Bring the schema up to date in place; returns the names of the migrations applied."""
    return Runner(db or database.obj, directory=MIGRATIONS).up(target)


def migration_status(db=None):
    return Runner(db or database.obj, directory=MIGRATIONS).status()


__all__ = ["bind", "database", "is_postgres", "migrate", "migration_status", "MIGRATIONS"]
