"""The embedded Sign In App stand-in (DESIGN §3): its own tables, the client API and a tiny UI.

`api_bp` serves the client API at `<prefix>/client-api/v1/…`; mount it exempt from CSRF, since it
authenticates with HTTP Basic, not a session. `ui_bp` serves the pages a person uses to change group
settings and press "Sign in"; whoever mounts it decides who may (Tether: support only, console.access).
`migrate()` builds the sandbox tables alongside Tether's. Tether reaches
the API in-process through `connectors.sia.client_for` when the connection's kind is `sandbox`.
"""
import os

from playhouse.migrations import Runner

from store.db import database

from .api import API_PATH, api_bp
from .ui import ui_bp

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


def _runner(db):
    return Runner(db or database.obj, directory=MIGRATIONS, table_name="sandbox_migration")


def migrate(db=None, target=None):
    """Bring the sandbox tables up to date in place; returns the names of the migrations applied."""
    return _runner(db).up(target)


def migration_status(db=None):
    return _runner(db).status()


__all__ = ["api_bp", "ui_bp", "migrate", "migration_status", "MIGRATIONS", "API_PATH"]
