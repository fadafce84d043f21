"""`tether diagnose`: why isn't this person syncing / why is there no green shield, from the command line.

The same answer as the console's Diagnostics page (`sync.diagnostics.diagnose`). Exit 0 when everyone
found syncs normally, 1 when a cause was found or nobody matches, 2 for bad input.
"""
import sys

import click
from flask.cli import with_appcontext

from sync import diagnostics

from .common import AS_JSON, ORG, connected, echo_json, organisation_or_stop, stop


def _records(person):
    return (
        [f"profile {p.id} ({p.profile_type.name}, {p.status})" for p in person.profiles]
        + [f"Sign In App member {m.sia_id} in {m.group.name}" for m in person.members]
        + [f"exclusion of member {e.sia_member_id}" for e in person.exclusions]
        + [f"portal user {u.email} ({u.role})" for u in person.portal_users]
    )


def _where(fix):
    if fix.in_sign_in_app:
        return " (in Sign In App)"
    if fix.intent:
        return f" (console, for {'/'.join(fix.roles)})"
    return ""


def _print(diagnosis):
    for note in diagnosis.notes:
        click.echo(f"note: {note}", err=True)
    if not diagnosis.people:
        click.echo(f"nobody matches “{diagnosis.query}”")
    for person in diagnosis.people:
        click.echo(f"{person.name} — {person.summary}")
        click.echo(f"  records: {'; '.join(_records(person))}")
        for cause in person.causes:
            click.echo(f"  - [{cause.code}] {cause.title}")
            click.echo(f"      {cause.detail}")
            for rule, explanation in cause.trace:
                click.echo(f"      rule → {rule.profile_type.name}{'' if rule.enabled else ' (disabled)'}:")
                click.echo("\n".join(f"        {line}" for line in explanation.render().splitlines()))
            if cause.fix:
                text = f" — {cause.fix.text}" if cause.fix.text else ""
                click.echo(f"      fix{_where(cause.fix)}: {cause.fix.label}{text}")


@click.command("diagnose")
@ORG
@AS_JSON
@click.argument("query")
@with_appcontext
def diagnose_command(org_id, as_json, query):
    """Why isn't the person matching QUERY (name or email) syncing, or getting the green shield?"""
    with connected():
        organisation = organisation_or_stop(org_id)
        if not query.strip():
            stop("give a name or email to look for.")
        diagnosis = diagnostics.diagnose(organisation, query, other_schools=True)
        if as_json:
            echo_json(diagnosis.to_dict())
        else:
            _print(diagnosis)
    sys.exit(0 if diagnosis.people and all(person.healthy for person in diagnosis.people) else 1)
