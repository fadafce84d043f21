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
from store.models import Organisation

AS_JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
ORG = click.option("--org", "org_id", type=int, required=True, help="The organisation's id.")


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
