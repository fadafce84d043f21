"""`tether db`: bring the schema up to date in place, or say where it stands.

Two sets of migrations share the database: Tether's own and the Sign In App sandbox's. The command
line never migrates by itself (a served app does, as it starts), so `tether db status` tells the truth
on a new database and a command that needs the tables says to run `tether db migrate` first.
"""
import click
from flask.cli import AppGroup

import sandbox
import store

from .common import AS_JSON, echo_json

# (name, module with migrate() and migration_status()), in the order they are applied.
MIGRATION_SETS = (("tether", store), ("sandbox", sandbox))

db = AppGroup("db", help="Database schema: migrate in place, show status.")


def migrate_all(database=None):
    """Apply every pending migration, Tether's then the sandbox's; returns the names applied."""
    return [name for _, migrations in MIGRATION_SETS for name in migrations.migrate(database)]


def status_all(database=None):
    """(set, migration) for every migration of each set, applied or pending, in order."""
    return [(label, migration) for label, migrations in MIGRATION_SETS for migration in migrations.migration_status(database)]


def pending(database=None):
    return [migration.name for _, migration in status_all(database) if migration.applied is None]


@db.command("migrate")
def migrate_command():
    """Apply pending migrations (Tether's and the sandbox's)."""
    with store.migration_lock():
        applied = migrate_all()
    click.echo("applied: " + ", ".join(applied) if applied else "schema is up to date")


@db.command("status")
@AS_JSON
def status_command(as_json):
    """List Tether's and the sandbox's migrations: when each was applied, or pending."""
    with store.database.connection_context():
        migrations = status_all()
    if as_json:
        echo_json({"migrations": [
            {"set": label, "name": m.name, "applied": m.applied.isoformat() if m.applied else None}
            for label, m in migrations
        ]})
        return
    for label, migration in migrations:
        when = migration.applied.strftime("%Y-%m-%d %H:%M") if migration.applied else "pending"
        click.echo(f"{label:<8} {migration.name:<40} {when}")
    waiting = sum(1 for _, m in migrations if m.applied is None)
    if waiting:
        click.echo(f"{waiting} pending: run `tether db migrate` to apply them.", err=True)
