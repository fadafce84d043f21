"""`tether jobs`: list the scheduled jobs, run one now as the schedule would, and show how the scheduled
work stands across every organisation (DESIGN §10, §13).

`jobs run` takes the schedule's own path (`jobs.registry.run_one`): the same lease, and the outcome
written to the organisation's schedule. Exit codes: 0 every organisation's run succeeded, 1 one
failed, halted or was already running, 2 bad input (an unknown job or organisation).
"""
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from jobs import registry
from jobs import status as job_status

from .common import AS_JSON, ID, connected, echo_json, echo_took_over, organisation_or_stop, stop

jobs = AppGroup("jobs", help="The scheduled jobs: list them, run one now, see how they stand.")


@jobs.command("list")
def list_command():
    """The jobs the scheduler runs, and when."""
    for job in registry.JOBS.values():
        click.echo(f"{job.name:<15} {job.schedule:<24} {job.description}")


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
    for outcome in outcomes:
        if outcome.took_over:
            echo_took_over(outcome.run_id, outcome.took_over)
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


@jobs.command("status")
@click.option("--show", type=click.Choice(job_status.SHOWS), default="all", show_default=True,
              help="Every organisation, those with a job failing, or the paused ones.")
@AS_JSON
def status_command(show, as_json):
    """Each organisation's next due time and last run per job, failures in a row, and abandoned runs."""
    with connected():
        document = job_status.status(show)
    if as_json:
        echo_json(document)
        return
    names = [job.name for job in registry.SCHEDULED]
    for entry in document["organisations"]:
        state = " (paused)" if entry["paused"] else "" if entry["state"] == "active" else f" ({entry['state'].replace('_', ' ')})"
        click.echo(f"{entry['id']:>6} {entry['name']}{state}")
        for name in names:
            last = entry["last_run"].get(name)
            ran = (f"last run {last['run_id']} {last['status']}"
                   + (f" at {last['finished_at']}" if last["finished_at"] else "")
                   + (f", {last['failures_in_a_row']} failed in a row" if last["failures_in_a_row"] else "")
                   ) if last else "not run by the schedule yet"
            click.echo(f"       {name:<15} next due {entry['next_due'][name] or 'not scheduled':<21} {ran}")
    abandoned = document["abandoned_runs"]
    runs = "run was" if len(abandoned) == 1 else "runs were"
    click.echo(f"{len(abandoned)} {runs} abandoned in the last {job_status.ABANDONED_DAYS} days" + (":" if abandoned else "."))
    for run in abandoned:
        click.echo(f"  run {run['run_id']} {run['kind']} of {run['organisation'] or 'every organisation'}, "
                   f"started {run['started_at']}: {run['error']}")
