"""`tether safety-check` (ask the safety check as Sign In App would) and `tether tokens` (its bearer tokens)."""
import json
import sys

import click
from flask.cli import AppGroup, with_appcontext

import store
from compliance import decision, tokens
from store.models import SafetyCheckToken, SiaConnection
from sync.live import read_group_for_sign_in

from .common import ID, connected, organisation_or_stop, stop


@click.command("safety-check")
@click.option("--org", "org_id", type=ID, required=True, help="The organisation whose Sign In App connection asks.")
@click.option("--member", "member_id", type=ID, required=True, help="The Sign In App member id.")
@click.option("--group", "group_id", type=ID, required=True, help="The Sign In App group id the member signs in to.")
@with_appcontext
def safety_check_command(org_id, member_id, group_id):
    """Print the safety check's JSON answer for a member signing in to a group.

    The answer is the one Sign In App gets from POST /api/v1/safety-check, but nothing is recorded: no
    notification is created (`notify` says whether Sign In App's call would create one). A group not read
    from Sign In App for five minutes is read first, as for Sign In App's call. Exit 0 when
    the member would be allowed in, 1 when rejected, 2 for bad input.
    """
    with connected():
        organisation = organisation_or_stop(org_id)
        connection = SiaConnection.for_organisation(organisation)
        if connection is None:
            stop(f"{organisation.name} (id {org_id}) has no Sign In App connection; set one up first.")
        try:
            answer = decision.check_sign_in(
                connection, member_id, group_id, notify=False, read_group=read_group_for_sign_in
            )
        except decision.UnknownGroup as exc:
            stop(str(exc))
    click.echo(json.dumps(answer, indent=2))
    sys.exit(0 if answer["decision"] == "allow" else 1)


token_commands = AppGroup("tokens", help="Safety-check tokens: the bearer tokens Sign In App sends to the safety check.")


def _connection(connection_id):
    connection = SiaConnection.get_or_none(SiaConnection.id == connection_id)
    if connection is None:
        stop(f"no Sign In App connection with id {connection_id}; `tether connections list` shows the ids.")
    return connection


@token_commands.command("create")
@click.option("--connection", "connection_id", type=ID, required=True, help="The SIA connection id.")
@click.option("--name", default="", help="Where the token is used, e.g. 'Main reception'.")
@click.option("--json", "as_json", is_flag=True, help="Print {id, prefix, token} as JSON.")
def create_command(connection_id, name, as_json):
    """Create a token and print its secret (shown this once only)."""
    with connected(), store.database.atomic():
        token, secret = tokens.create(_connection(connection_id), actor="cli", name=name)
    if as_json:
        click.echo(json.dumps({"id": token.id, "prefix": token.prefix, "token": secret}))
    else:
        click.echo(f"created token {token.id} for connection {connection_id}; paste it into Sign In App now, it is not shown again:")
        click.echo(secret)


@token_commands.command("revoke")
@click.option("--id", "token_id", type=ID, required=True, help="The token id (`tether tokens list`).")
@click.option("--reason", default="", help="Why, for the audit log.")
def revoke_command(token_id, reason):
    """Revoke a token: Sign In App gets 401 with it from now on."""
    with connected(), store.database.atomic():
        token = SafetyCheckToken.get_or_none(SafetyCheckToken.id == token_id)
        if token is None:
            stop(f"no token with id {token_id}; `tether tokens list` shows the ids.")
        try:
            tokens.revoke(token, actor="cli", reason=reason)
        except tokens.TokenError as exc:
            stop(str(exc), code=1)
    click.echo(f"revoked token {token_id} ({token.prefix}…)")


@token_commands.command("list")
@click.option("--connection", "connection_id", type=ID, default=None, help="Only this SIA connection's tokens.")
def list_command(connection_id):
    """List tokens: id, connection, prefix, status, last use."""
    with connected():
        query = SafetyCheckToken.select().order_by(SafetyCheckToken.id)
        if connection_id is not None:
            query = query.where(SafetyCheckToken.connection == _connection(connection_id))
        for t in query:
            status = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            click.echo(f"{t.id}\tconnection {t.connection_id}\t{t.prefix}…\t{status}\tlast used {used}\t{t.name}")
