"""`tether access`: support access to an organisation (DESIGN §12), opened and closed as its admin would.

The command line is the server's own operator, so what it opens is recorded as opened by `cli`, in
the organisation's audit log like an admin's own opening.
"""
import click
from flask.cli import AppGroup

from store import setup
from store.models import SupportGrant

from .common import AS_JSON, ORG, connected, echo_json, organisation_or_stop, stop

ACTOR = "cli"

access = AppGroup("access", help="Support access: open, close and list it, as a school's admin would.")


@access.command("open")
@ORG
@click.option(
    "--days", type=click.IntRange(1, SupportGrant.MAX_DAYS), default=SupportGrant.DEFAULT_DAYS, show_default=True,
    help=f"How many days from now support may see the organisation (1 to {SupportGrant.MAX_DAYS}).",
)
def open_command(org_id, days):
    """Open an organisation to support for a number of days (in place of any access open now)."""
    with connected():
        organisation = organisation_or_stop(org_id)
        grant = setup.open_support_access(organisation, ACTOR, days)
    click.echo(f"support access to organisation {organisation.id} ({organisation.name}) is open until "
               f"{grant.until:%Y-%m-%d %H:%M} UTC")


@access.command("close")
@ORG
def close_command(org_id):
    """Close an organisation's support access now; exit 1 when none is open."""
    with connected():
        organisation = organisation_or_stop(org_id)
        try:
            setup.close_support_access(organisation, ACTOR)
        except setup.SetupRefused as refusal:
            stop(str(refusal), code=1)
    click.echo(f"support access to organisation {organisation.id} ({organisation.name}) is closed")


@access.command("list")
@AS_JSON
def list_command(as_json):
    """The organisations with support access open now."""
    with connected():
        grants = [
            {
                "grant_id": grant.id,
                "organisation_id": grant.organisation.id,
                "organisation": grant.organisation.name,
                "opened_by": grant.opened_by,
                "opened_at": grant.opened_at.isoformat(),
                "until": grant.until.isoformat(),
            }
            for grant in setup.open_grants()
        ]
    if as_json:
        echo_json({"open": grants})
        return
    if not grants:
        click.echo("No organisation has support access open.")
    for grant in grants:
        click.echo(f"organisation {grant['organisation_id']:<6} {grant['organisation']:<40} open until "
                   f"{grant['until'][:16].replace('T', ' ')} UTC, opened by {grant['opened_by']}")
