"""`tether demo seed [--force]`: seed the demo trust (demo.trust) on both sides of the integration, print the logins."""
import secrets

import click
from flask import current_app
from flask.cli import AppGroup

from console.instance import kept_secret
from demo import trust as demo_trust

from .common import AS_JSON, connected, echo_json, stop


def demo_password(app):
    """The demo logins' password: TETHER_DEMO_PASSWORD, else one generated once and kept in instance/."""
    return app.config.get("TETHER_DEMO_PASSWORD") or kept_secret(
        app.instance_path, "demo_password", lambda: secrets.token_urlsafe(12)
    )


def ensure_demo(app):
    """Seed the demo trust on an empty database; return the demo logins either way."""
    from store.models import Organisation

    password = demo_password(app)
    if not Organisation.select().exists():
        demo_trust.seed(password=password)
    return demo_trust.logins(password)


demo = AppGroup("demo", help="The demo trust: two schools and their Sign In App sandbox account.")


@demo.command("seed")
@click.option("--force", is_flag=True, help="Delete every Tether and sandbox record first, then seed.")
@AS_JSON
def seed(force, as_json):
    """Create the demo trust, its schools, profiles and checks, and the Sign In App sandbox."""
    with connected():
        try:
            summary = demo_trust.seed(force=force, password=demo_password(current_app))
        except demo_trust.DemoAlreadySeeded as exc:
            stop(str(exc), code=1)
    if as_json:
        echo_json(summary)
        return
    counts = summary["counts"]
    click.echo(f"Seeded the demo trust {demo_trust.TRUST_NAME}:")
    for organisation in summary["organisations"]:
        click.echo(f"  organisation {organisation['id']}  {organisation['name']}")
    click.echo(
        f"  {counts['profiles']} profiles, {counts['check_records']} check records; Sign In App sandbox: "
        f"{counts['sandbox_groups']} groups, {counts['sandbox_members']} members"
    )
    click.echo("Demo logins:")
    for login in summary["logins"]:
        click.echo(f"  {login['role']:<8} {login['email']:<24} {login['password']}  ({login['organisation']})")
