"""`tether jobs`: list the scheduled jobs and run one now, under the same lease as the schedule (DESIGN §10).

Exit codes: 0 every organisation's run succeeded, 1 one failed, halted or was already running, 2 bad
input (an unknown job or organisation).
"""
import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup

import store
from jobs import registry
from store.models import Organisation

jobs = AppGroup("jobs", help="The scheduled jobs: list them, run one now.")


@jobs.command("list")
def list_command():
    """The jobs the scheduler runs, and when."""
    for job in registry.JOBS.values():
        click.echo(f"{job.name:<15} {job.schedule:<18} {job.description}")


@jobs.command("run")
@click.argument("name")
@click.option("--org", "org_id", type=int, help="Only this organisation (jobs that run per organisation).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def run_command(name, org_id, as_json):
    """Run the job NAME now, as the scheduler would (actor `cli`)."""
    with store.database.connection_context():
        organisation = None
        if org_id is not None:
            organisation = Organisation.get_or_none(Organisation.id == org_id)
            if organisation is None:
                _stop(f"no organisation with id {org_id}; see the console's overview for ids.")
        try:
            outcomes = registry.get(name).run(current_app._get_current_object(), organisation, actor="cli", trigger="cli")
        except registry.JobRefused as error:
            _stop(str(error))
    if as_json:
        click.echo(json.dumps({"job": name, "outcomes": [outcome.to_dict() for outcome in outcomes]}, indent=2))
    else:
        if not outcomes:
            click.echo(f"{name}: nothing to do.")
        for outcome in outcomes:
            where = f"organisation {outcome.organisation_id}" if outcome.organisation_id else "every organisation"
            run = f" run {outcome.run_id}" if outcome.run_id else ""
            counts = ", ".join(f"{value} {key}" for key, value in (outcome.counts or {}).items())
            click.echo(f"{name} for {where}:{run} {outcome.status}" + (f" ({counts})" if counts else ""))
    troubled = [outcome for outcome in outcomes if outcome.status not in ("succeeded",)]
    for outcome in troubled:
        click.echo(f"error: organisation {outcome.organisation_id}: {outcome.status}: {outcome.message}", err=True)
    if troubled:
        sys.exit(1)


def _stop(message):
    click.echo(f"error: {message}", err=True)
    sys.exit(2)
