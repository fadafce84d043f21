"""What every `tether` command shares (DESIGN §10): the `--json` and `--org` options, one JSON document
on stdout, errors and problems on stderr, exit 2 for bad input, and a database that is migrated.

    @ORG
    @AS_JSON
    def command(org_id, as_json):
        with connected():
            organisation = organisation_or_stop(org_id)
"""
import json
import sys
from contextlib import contextmanager

import click

import store
from store.ids import InvalidId, parse_id
from store.models import Organisation


class Id(click.ParamType):
    """A record id on the command line: a whole number in 1..2^63-1 (`store.ids.parse_id`); anything else
    is a usage error (exit 2, the message on stderr)."""

    name = "id"

    def convert(self, value, param, ctx):
        try:
            return parse_id(value, param.opts[0] if param else "id")
        except InvalidId as exc:
            self.fail(str(exc), param, ctx)


ID = Id()
AS_JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
ORG = click.option("--org", "org_id", type=ID, required=True, help="The organisation's id.")


def stop(message, code=2):
    """Say what went wrong on stderr and exit: 2 for bad input, 1 for "no" (DESIGN §10)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def echo_json(document):
    click.echo(json.dumps(document, indent=2, default=str))


def echo_problems(problems):
    """A run's problems (dicts of external_id, code, message), one a line on stderr."""
    for problem in problems:
        click.echo(f"{problem['external_id'] or '-':<10} {problem['code']:<18} {problem['message']}", err=True)


def echo_took_over(run_id, took_over):
    """Say on stderr, in one line, that run `run_id` took over the lease of an abandoned run (`took_over`:
    {run_id, why}, from sync.runs.took_over); nothing when it did not."""
    if took_over:
        click.echo(f"note: run {run_id} took over from run {took_over['run_id']}, which was abandoned: "
                   f"{took_over['why']}", err=True)


@contextmanager
def connected():
    """A connection to a migrated database; a database with pending migrations stops the command."""
    from .db import pending

    with store.database.connection_context():
        waiting = pending()
        if waiting:
            stop(f"the database is not up to date ({len(waiting)} pending migrations, from {waiting[0]}): "
                 "run `tether db migrate` first.")
        yield


def organisation_or_stop(org_id):
    organisation = Organisation.get_or_none(Organisation.id == org_id)
    if organisation is None:
        stop(f"no organisation with id {org_id}; see the console's overview for ids.")
    return organisation
