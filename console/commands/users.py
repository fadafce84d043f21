"""`tether users`: console accounts for support staff and school admins."""
import secrets
import sys

import click
from flask.cli import AppGroup

import store
from console.auth import hash_password
from store.models import AuditEvent, Organisation, User, UserOrganisation

users = AppGroup("users", help="Console users: create accounts.")


@users.command("create")
@click.option("--email", required=True, help="The address the person signs in with.")
@click.option("--role", required=True, type=click.Choice(User.ROLES), help="support sees every organisation.")
@click.option("--org", "org_ids", type=int, multiple=True, help="An organisation id the user may see (repeatable).")
@click.option("--name", default="", help="The person's name, shown in the audit log.")
@click.option("--password", default=None, help="Generated and printed when not given.")
def create_command(email, role, org_ids, name, password):
    """Create a console user."""
    email = email.strip().lower()
    with store.database.connection_context(), store.database.atomic():
        if User.by_email(email) is not None:
            click.echo(f"error: a user with email {email} already exists; choose another address.", err=True)
            sys.exit(2)
        missing = [i for i in org_ids if not Organisation.select().where(Organisation.id == i).exists()]
        if missing:
            click.echo(f"error: no organisation with id {', '.join(map(str, missing))}; see the overview for ids.", err=True)
            sys.exit(2)
        if role != "support" and not org_ids:
            click.echo(f"error: an {role} must belong to at least one organisation; pass --org ID.", err=True)
            sys.exit(2)
        generated = password is None
        password = password or secrets.token_urlsafe(12)
        user = User.create(email=email, name=name, role=role, password_hash=hash_password(password))
        for org_id in org_ids:
            UserOrganisation.create(user=user, organisation=org_id)
        AuditEvent.record("user.create", actor="cli", subject=f"user:{user.id}", after={"email": email, "role": role, "organisations": list(org_ids)})
    click.echo(f"created {role} {email}" + (f" with password {password}" if generated else ""))
