"""`tether orgs`: trusts and their organisations (DESIGN §10), as support's "Trusts and organisations" page
makes them."""
import click
from flask.cli import AppGroup
from peewee import JOIN

from store import database
from store.models import Organisation, Trust
from sync import organisations

from .common import AS_JSON, connected, echo_json, stop

orgs = AppGroup("orgs", help="Trusts and organisations: create a school in a trust, list them.")


@orgs.command("create")
@click.option("--trust", "trust_name", required=True, help="The trust's name; a new trust is made when there is none.")
@click.option("--name", required=True, help="The organisation's name, e.g. 'Oakfield Academy'.")
@click.option("--urn", default=None, help="The school's URN (6 digits), if it has one.")
@AS_JSON
def create_command(trust_name, name, urn, as_json):
    """Create an organisation (setting up, with the default profile types) in a trust."""
    with connected():
        try:
            with database.atomic():
                trust, made = organisations.find_or_create_trust(trust_name, actor="cli")
                organisation = organisations.create_organisation(trust, name, urn, actor="cli")
        except organisations.Invalid as invalid:
            stop(str(invalid))
    if as_json:
        echo_json({"id": organisation.id, "trust_id": trust.id, "name": organisation.name})
    else:
        made_trust = f" (new trust {trust.id})" if made else f" (trust {trust.id})"
        click.echo(f"created organisation {organisation.id} {organisation.name} in {trust.name}{made_trust}, setting up")


@orgs.command("list")
@AS_JSON
def list_command(as_json):
    """List organisations: id, trust, name, URN, state."""
    with connected():
        rows = [
            {
                "id": o.id,
                "name": o.name,
                "trust_id": o.trust_id,
                "trust": o.trust.name if o.trust_id else None,
                "urn": o.urn,
                "state": o.state,
            }
            for o in Organisation.select(Organisation, Trust)
            .join(Trust, JOIN.LEFT_OUTER)
            .order_by(Organisation.id)
        ]
    if as_json:
        echo_json({"organisations": rows})
        return
    for row in rows:
        trust = f"{row['trust']} (trust {row['trust_id']})" if row["trust_id"] else "no trust"
        click.echo(f"{row['id']}\t{row['name']}\t{trust}\t{row['urn'] or '-'}\t{row['state']}")
