"""`tether jobs`: list the scheduled jobs and run one now, under the same lease as the schedule (DESIGN §10).

Exit codes: 0 every organisation's run succeeded, 1 one failed, halted or was already running, 2 bad
input (an unknown job or organisation).
"""
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from jobs import registry

from .common import AS_JSON, ID, connected, echo_json, organisation_or_stop, stop

jobs = AppGroup("jobs", help="The scheduled jobs: list them, run one now.")


@jobs.command("list")
def list_command():
    """The jobs the scheduler runs, and when."""
    for job in registry.JOBS.values():
        click.echo(f"{job.name:<15} {job.schedule:<18} {job.description}")


@jobs.command("run")
@click.argument("name")
@click.option("--org", "org_id", type=ID, help="Only this organisation (jobs that run per organisation).")
@AS_JSON
def run_command(name, org_id, as_json):
    """Run the job NAME now, as the scheduler would (actor `cli`)."""
    with connected():
        organisation = organisation_or_stop(org_id) if org_id is not None else None
        try:
            outcomes = registry.get(name).run(current_app._get_current_object(), organisation, actor="cli", trigger="cli")
        except registry.JobRefused as error:
            stop(str(error))
    if as_json:
        echo_json({"job": name, "outcomes": [outcome.to_dict() for outcome in outcomes]})
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
