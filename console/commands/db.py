"""`tether db`: bring the schema up to date in place, or say where it stands."""
import click
from flask.cli import AppGroup

import sandbox
import store

db = AppGroup("db", help="Database schema: migrate in place, show status.")


@db.command("migrate")
def migrate_command():
    """Apply pending migrations (Tether's and the sandbox's)."""
    with store.migration_lock():
        applied = store.migrate() + sandbox.migrate()
    click.echo("applied: " + ", ".join(applied) if applied else "schema is up to date")


@db.command("status")
def status_command():
    """List migrations and when each was applied."""
    with store.database.connection_context():
        for migration in store.migration_status():
            when = migration.applied.strftime("%Y-%m-%d %H:%M") if migration.applied else "pending"
            click.echo(f"{migration.name:<40} {when}")
