"""`tether connections`: the Sign In App accounts trusts sync through (DESIGN §10, §12).

`list` gives the ids `tether tokens create --connection` takes; `create` seals the secret as the console
does; `test` asks Sign In App with the saved credentials, as the console's "Test connection" does;
`groups` lists a school's Repeat groups with the links Tether keeps, and links or unlinks them as the
connection page's "Linked groups" does (sync.group_links).
"""
import click
from flask.cli import AppGroup

from connectors.sia.client import connection_label
from console.connection import sandbox_mounted
from store.models import SiaConnection, Trust
from sync import connections as service
from sync import group_links, live
from sync.organisations import Invalid

from .common import AS_JSON, ID, ORG, connected, echo_json, organisation_or_stop, stop

connections = AppGroup("connections", help="Sign In App connections: list, create and test them.")


def _row(connection):
    owner = service.owner_of(connection)
    return {
        "id": connection.id,
        "trust_id": connection.trust_id,
        "organisation_id": connection.organisation_id,
        "owner": owner.name if owner is not None else None,
        "name": connection_label(connection),
        "base_url": connection.base_url,
        "kind": connection.kind,
        "wonde": connection.wonde,
        "tested_at": connection.tested_at,
        "test_ok": connection.test_ok,
    }


@connections.command("list")
@AS_JSON
def list_command(as_json):
    """List connections: id, trust (or school), name, base URL, kind, last test."""
    with connected():
        rows = [_row(c) for c in SiaConnection.select().order_by(SiaConnection.id)]
    if as_json:
        echo_json({"connections": rows})
        return
    for row in rows:
        owner = f"trust {row['trust_id']}" if row["trust_id"] else f"organisation {row['organisation_id']}"
        if row["tested_at"] is None:
            tested = "not tested"
        else:
            tested = f"{'works' if row['test_ok'] else 'failed'} {row['tested_at']:%Y-%m-%d %H:%M}"
        click.echo(f"{row['id']}\t{owner} {row['owner']}\t{row['name']}\t{row['base_url']}\t{row['kind']}\t{tested}")


@connections.command("create")
@click.option("--trust", "trust_id", type=ID, required=True, help="The trust's id (`tether orgs list`).")
@click.option("--base-url", default="", help="The client API's address, ending in /client-api/v1.")
@click.option("--key", "api_key", required=True, help="The API key Sign In App issued.")
@click.option("--secret", prompt="Secret", hide_input=True,
              help="The API secret; asked for when not given, so it stays out of the shell's history.")
@click.option("--kind", type=click.Choice(service.KINDS), default="http",
              help="sandbox: the Sign In App sandbox in this Tether (no base URL needed).")
@AS_JSON
def create_command(trust_id, base_url, api_key, secret, kind, as_json):
    """Create a trust's connection; its secret is sealed and never shown again."""
    with connected():
        trust = Trust.get_or_none(Trust.id == trust_id)
        if trust is None:
            stop(f"no trust with id {trust_id}; `tether orgs list` shows the trusts.")
        values = {"kind": kind, "base_url": base_url, "api_key": api_key, "secret": secret}
        try:
            connection = service.create_for_trust(trust, values, actor="cli", sandbox_mounted=sandbox_mounted())
        except Invalid as invalid:
            stop(str(invalid))
        except service.NotYet as refused:
            stop(str(refused))
    if as_json:
        echo_json({"id": connection.id})
    else:
        click.echo(f"created connection {connection.id} for {trust.name}; secret saved. Test it: tether connections test {connection.id}")


@connections.command("test")
@click.argument("connection_id", type=ID)
@AS_JSON
def test_command(connection_id, as_json):
    """Ask Sign In App for its groups with the saved credentials. Exit 0 when it answers, 1 otherwise."""
    with connected():
        connection = SiaConnection.get_or_none(SiaConnection.id == connection_id)
        if connection is None:
            stop(f"no Sign In App connection with id {connection_id}; `tether connections list` shows the ids.")
        result = service.test_connection(connection, actor="cli")
    if as_json:
        echo_json({"id": connection.id, "ok": result.ok, "message": result.said, "groups": result.groups,
                   "repeat_linked": result.repeat_linked})
    elif result.ok:
        click.echo(result.said)
    if not result.ok:
        stop(result.message, code=1)


@connections.command("groups")
@ORG
@click.option("--link", "link", type=ID, multiple=True, help="A Sign In App group id to link to the school (repeatable).")
@click.option("--unlink", "unlink", type=ID, multiple=True, help="A Sign In App group id to unlink (repeatable).")
@AS_JSON
def groups_command(org_id, link, unlink, as_json):
    """The Repeat groups of the school's Sign In App account, read now, with the links Tether keeps and
    what Sign In App's integration settings say; --link/--unlink change the links (audited, actor "cli").
    Exit 0; 1 when Sign In App cannot be read and a link was asked for; 2 bad input or a refused change."""
    with connected():
        organisation = organisation_or_stop(org_id)
        connection = SiaConnection.for_organisation(organisation)
        if connection is None:
            stop(f"{organisation.name} (organisation {organisation.id}) has no Sign In App connection; support "
                 "creates it under Settings → Sign In App → Connection.")
        problem = live.read_groups(connection)
        if problem and (link or unlink):
            stop(problem, code=1)
        changed = ([], [])
        if link or unlink:
            try:
                changed = group_links.set_links(organisation, connection, link=link, unlink=unlink, actor="cli")
            except group_links.LinkRefused as refused:
                stop(f"nothing was changed: {refused}")
        rows = [group_links.describe(group, organisation) for group in group_links.choices(organisation, connection)]
    if as_json:
        echo_json({"organisation_id": organisation.id, "connection_id": connection.id, "groups": rows,
                   "linked_now": changed[0], "unlinked_now": changed[1], "warning": problem})
        return
    if problem:
        click.echo(problem, err=True)
    for row in rows:
        state = "linked" if row["linked"] else "not linked"
        says = row["sign_in_app_says"] or "Sign In App did not say"
        click.echo(f"{row['id']}\t{row['name']}\t{state}\t{says}")
    if not any(row["linked"] for row in rows):
        click.echo(f"No Repeat group is linked to {organisation.name}: link one with --link GROUP_ID.", err=True)
