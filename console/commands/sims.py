"""`tether sims`: preview and import a SIMS student export from the command line (DESIGN §10).

Exit codes: 0 success, 1 halted (or another import of the organisation is running, or the run
failed), 2 bad input (a file that cannot be read, an unknown organisation). With `--json` the one
JSON document goes to stdout and nothing else does; errors and the records' problems go to stderr,
as `tether sync` prints them.
"""
import os
import sys

import click
from flask.cli import AppGroup

from connectors.sims import FORMATS, SimsFileError
from sync import runs, students
from sync.lease import AlreadyRunning

from .common import AS_JSON, ID, connected, echo_json, echo_problems, echo_took_over, organisation_or_stop, stop

sims = AppGroup("sims", help="SIMS students: preview and import a CommandReporter XML or Tether JSON export.")

FILE = click.Path(exists=True, dir_okay=False, readable=True)
FORMAT = click.option(
    "--format", "file_format", type=click.Choice(FORMATS), default="auto", show_default=True,
    help="The export's format; auto recognises XML and JSON from the file.",
)


@sims.command("preview")
@click.argument("file", type=FILE)
@FORMAT
@click.option("--org", "org_id", type=ID, help="Check against this organisation; a new organisation's defaults without it.")
@AS_JSON
def preview_command(file, file_format, org_id, as_json):
    """Show what importing FILE would write, changing nothing."""
    with connected():
        organisation = organisation_or_stop(org_id) if org_id is not None else None
        try:
            plan = students.preview_file(file, organisation, file_format)
        except SimsFileError as error:
            stop(f"{file}: {error}")
    problems = [problem.to_dict() for problem in plan.problems]
    if as_json:
        echo_json({"students": plan.rows, "problems": problems})
        return
    for row in plan.rows:
        click.echo(f"{row['person_id']:<10} {row['username'] or '':<36} {row['forename']} {row['surname']}")
    echo_problems(problems)
    click.echo(f"{len(plan.rows)} students would be imported, {plan.failed} records would fail.")


@sims.command("import")
@click.argument("file", type=FILE)
@click.option("--org", "org_id", type=ID, required=True, help="The organisation whose students these are.")
@FORMAT
@click.option("--dry-run", is_flag=True, help="Record what would happen; change no student.")
@click.option("--confirm-disable", is_flag=True, help="Go ahead even when the run would disable more than the threshold.")
@AS_JSON
def import_command(file, org_id, file_format, dry_run, confirm_disable, as_json):
    """Import FILE into the organisation's students. Exit 0 done, 1 halted, 2 bad input."""
    with connected():
        organisation = organisation_or_stop(org_id)
        show_progress = not as_json and sys.stderr.isatty()
        with click.progressbar(
            length=os.path.getsize(file), label="Reading export", file=sys.stderr, hidden=not show_progress
        ) as bar:
            try:
                result = students.import_file(
                    organisation, file, actor="cli", trigger="cli", file_format=file_format, dry_run=dry_run,
                    confirm_disable=confirm_disable, progress=lambda done, total: bar.update(done - bar.pos),
                )
            except AlreadyRunning as error:
                stop(str(error), code=1)
    outcome = result.to_dict()
    echo_took_over(result.run.id, runs.took_over(result.run))
    if as_json:
        echo_json(outcome)
    else:
        echo_problems(outcome["problems"])
        counts = outcome["counts"]
        click.echo(
            f"Run {result.run.id} {result.status}{' (dry run: nothing was changed)' if dry_run else ''}: "
            + ", ".join(f"{counts[name]} {name.replace('reenabled', 're-enabled')}" for name in students.COUNTS)
            + "."
        )
    if result.status != "succeeded":
        click.echo(f"error: {result.message}" if result.status == "failed" else result.message, err=True)
        sys.exit(2 if result.bad_file else 1)

