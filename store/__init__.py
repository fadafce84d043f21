"""Tether's data: the database handle, the models and the migrations that build them."""
import os

from playhouse.migrations import Runner

from .db import bind, database, is_postgres

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


def migrate(db=None, target=None):
    """Bring the schema up to date in place; returns the names of the migrations applied."""
    return Runner(db or database.obj, directory=MIGRATIONS).up(target)


def migration_status(db=None):
    return Runner(db or database.obj, directory=MIGRATIONS).status()


__all__ = ["bind", "database", "is_postgres", "migrate", "migration_status", "MIGRATIONS"]
