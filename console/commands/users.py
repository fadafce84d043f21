"""`tether users`: console accounts for support staff and school admins."""
import click
from flask.cli import AppGroup

from console.accounts import AccountError, create_user
from store.models import User

from .common import ID, connected, stop

users = AppGroup("users", help="Console users: create accounts.")


@users.command("create")
@click.option("--email", required=True, help="The address the person signs in with.")
@click.option("--role", required=True, type=click.Choice(User.ROLES), help="support sees the organisations that opened support access.")
@click.option("--org", "org_ids", type=ID, multiple=True, help="An organisation id the user may see (repeatable).")
@click.option("--name", default="", help="The person's name, shown in the audit log.")
@click.option("--password", default=None, help="Generated and printed when not given.")
def create_command(email, role, org_ids, name, password):
    """Create a console user."""
    with connected():
        try:
            user, given = create_user(email, role, org_ids, name=name, password=password, actor="cli")
        except AccountError as exc:
            stop(str(exc))
    click.echo(f"created {role} {user.email}" + (f" with password {given}" if password is None else ""))
