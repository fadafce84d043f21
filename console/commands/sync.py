"""`tether sync`: the Sign In App import and push from the command line (DESIGN §10), and pausing and
resuming an organisation's scheduled imports (DESIGN §12 item 4).

Exit codes: 0 the run succeeded, 1 it failed, needs attention (a group Sign In App answered empty,
profiles a push held back as look-alikes: the reason goes to stderr) or another run of the organisation
is in progress, 2 bad input (an unknown organisation, group, profile type or profile). With `--json` one JSON document goes to stdout
and nothing else does; a progress bar shows on a terminal otherwise; errors always go to stderr.
"""
import sys

import click
from flask.cli import AppGroup

from connectors.sia import SiaError
from store.models import Profile
from sync import connections, integration, links, plan, push, runs, sia_import
from sync.lease import AlreadyRunning

from .common import AS_JSON, ID, ORG, connected, echo_json, echo_problems, echo_took_over, organisation_or_stop, stop

sync = AppGroup("sync", help="Sign In App: import members into Central Record, push profiles to Sign In App.")


@sync.command("sia")
@ORG
@click.option("--dry-run", is_flag=True, help="Plan the import and show it; change nothing.")
@AS_JSON
def import_command(org_id, dry_run, as_json):
    """Import the organisation's Sign In App members. Exit 0 done, 1 failed or busy, 2 bad input."""
    with connected():
        organisation = organisation_or_stop(org_id)
        with _progress(as_json, "Importing") as report:
            result = _or_busy(lambda: sia_import.import_organisation(
                organisation, actor="cli", trigger="cli", dry_run=dry_run, progress=report
            ))
    outcome = result.to_dict()
    decisions = result.run.details.get("decisions", []) if dry_run else []
    if dry_run:
        outcome["decisions"] = decisions
    if as_json:
        echo_json(outcome)
    else:
        for decision in decisions:
            click.echo(f"{decision['sia_member_id']:<8} {decision['situation']:<10} {decision['name']}: {decision['reason']}")
        echo_problems(problem.to_dict() for problem in result.problems)
        counts = ", ".join(f"{result.counts.get(name, 0)} {name}" for name in plan.SITUATIONS)
        click.echo(f"Run {result.run.id} {result.status.replace('_', ' ')}{' (dry run: nothing was changed)' if dry_run else ''}: {counts}.")
    _exit(result)


@sync.command("push")
@ORG
@click.option("--group", "group_id", type=ID, required=True, help="The Sign In App group's id (a linked returning group).")
@click.option("--type", "type_names", multiple=True, required=True, help="A profile type to push; repeat for more.")
@click.option("--profile", "profile_ids", type=ID, multiple=True,
              help=f"Push only this profile; repeat for more (at most {push.MAX_PROFILES}).")
@click.option("--despite-look-alikes", is_flag=True,
              help="With --profile: create a member even when the profile looks like one already in the group.")
@click.option("--dry-run", is_flag=True, help="Show what would be created, linked and held back; change nothing.")
@AS_JSON
def push_command(org_id, group_id, type_names, profile_ids, despite_look_alikes, dry_run, as_json):
    """Create a Sign In App member for each unintegrated profile of the types, and link it.

    A profile that looks like a member already in the group (the same email, or the same name and date of
    birth) is held back: link it with `tether sync link`. Exit 0 done, 1 failed, busy or held back, 2 bad input."""
    if despite_look_alikes and not profile_ids:
        stop("--despite-look-alikes needs the --profile it is for: a person decides, profile by profile, that a "
             "look-alike is a different person.")
    with connected():
        organisation = organisation_or_stop(org_id)
        with _progress(as_json, "Previewing the push" if dry_run else "Pushing") as report:
            try:
                result = _or_busy(lambda: push.push_all(
                    organisation, group_id=group_id, type_names=list(type_names), actor="cli", trigger="cli",
                    dry_run=dry_run, profile_ids=list(profile_ids) or None, despite_look_alikes=despite_look_alikes,
                    progress=report,
                ))
            except push.PushRefused as error:
                stop(str(error))
    details = result.run.details or {}
    outcome = {**result.to_dict(), "held_back": details.get("held_back", [])}
    if dry_run:
        outcome["decisions"] = details.get("decisions", [])
    if as_json:
        echo_json(outcome)
    else:
        for decision in outcome.get("decisions") or outcome["held_back"]:
            click.echo(f"{decision['profile_id']:<8} {decision['outcome']:<10} {decision['name']}: {decision['reason']}")
        echo_problems(problem.to_dict() for problem in result.problems if problem.code != "look_alike")  # listed above
        counts = ", ".join(f"{result.counts.get(name, 0)} {name.replace('_', ' ')}" for name in push.COUNTS)
        click.echo(f"Run {result.run.id} {result.status.replace('_', ' ')}{' (dry run: nothing was changed)' if dry_run else ''}: {counts}.")
    _exit(result)


@sync.command("groups")
@ORG
@AS_JSON
def groups_command(org_id, as_json):
    """The Sign In App groups linked to the organisation, read from Sign In App now: the ids `sync push
    --group` and `safety-check --group` take. Exit 0, 1 when Sign In App cannot answer, 2 bad input."""
    with connected():
        organisation = organisation_or_stop(org_id)
        try:
            connection, groups = connections.linked_groups(organisation)
        except connections.NotYet as missing:
            stop(str(missing))
        except SiaError as error:
            stop(f"Sign In App could not list the groups of {organisation.name}: {error}", code=1)
    rows = [{"id": g.id, "name": g.name, "type": g.type, "repeat": g.is_returning} for g in groups]
    if as_json:
        echo_json({"organisation_id": organisation.id, "connection_id": connection.id, "groups": rows})
        return
    for row in rows:
        kind = "Repeat" if row["repeat"] else f"Standard ({row['type']}): not synced"
        click.echo(f"{row['id']}\t{row['name']}\t{kind}")
    if not rows:
        click.echo(f"No Sign In App group is linked to {organisation.name}: link a Repeat group to it in Sign In App "
                   "(Manage > Groups > select the group > Integrations).", err=True)


def _change_state(org_id, as_json, change, said):
    with connected():
        organisation = organisation_or_stop(org_id)
        try:
            change(organisation, "cli")
        except integration.StateRefused as refusal:
            stop(str(refusal), code=1)
    if as_json:
        echo_json({"id": organisation.id, "state": organisation.state})
    else:
        click.echo(said(organisation))


@sync.command("pause")
@ORG
@AS_JSON
def pause_command(org_id, as_json):
    """Pause the organisation's scheduled imports (Import and Push still run when asked). Exit 1 if not active."""
    _change_state(org_id, as_json, integration.pause, lambda o: f"{o.name}: scheduled imports paused.")


@sync.command("resume")
@ORG
@AS_JSON
def resume_command(org_id, as_json):
    """Resume the organisation's paused scheduled imports. Exit 1 if it is not paused."""
    _change_state(org_id, as_json, integration.resume, lambda o: f"{o.name}: scheduled imports resumed.")


@sync.command("link")
@ORG
@click.option("--profile", "profile_id", type=ID, required=True, help="The profile a push held back.")
@click.option("--member", "member_id", type=ID, required=True, help="The Sign In App member it looks like (its id).")
@AS_JSON
def link_command(org_id, profile_id, member_id, as_json):
    """Link a profile a push held back to the existing Sign In App member it looks like.

    Exit 0 linked (or already linked to that member), 1 refused with the reason, 2 bad input."""
    with connected():
        organisation = organisation_or_stop(org_id)
        profile = Profile.get_or_none((Profile.id == profile_id) & (Profile.organisation == organisation))
        if profile is None:
            stop(f"{organisation.name} has no profile {profile_id}; `tether sync push --dry-run --json` lists the held-back ones.")
        try:
            link, made = push.link_to_existing_member(organisation, profile, member_id, "cli")
        except links.ActionRefused as refusal:
            stop(str(refusal), code=1)
    if as_json:
        echo_json({"profile_id": profile.id, "sia_member_id": member_id, "link_id": link.id, "linked": made})
    else:
        said = "is linked to" if made else "was already linked to"
        click.echo(f"{profile.name} (profile {profile.id}) {said} Sign In App member {member_id}.")


class _progress:
    """A progress bar on stderr when it is a terminal and the output is not JSON; yields the callback."""

    def __init__(self, as_json, label):
        self.shown = not as_json and sys.stderr.isatty()
        self.bar = click.progressbar(length=1, label=label, file=sys.stderr, hidden=not self.shown)

    def __enter__(self):
        bar = self.bar.__enter__()

        def report(done, total):
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        return report

    def __exit__(self, *exc_info):
        return self.bar.__exit__(*exc_info)


def _or_busy(call):
    try:
        return call()
    except AlreadyRunning as error:
        stop(str(error), code=1)


def _exit(result):
    """Exit 0 for a run that succeeded; 1 with the reason for one that failed or needs attention."""
    echo_took_over(result.run.id, runs.took_over(result.run))
    if result.status == runs.NEEDS_ATTENTION:
        stop(f"run {result.run.id} needs attention: {result.message}", code=1)
    if result.status != "succeeded":
        stop(result.message, code=1)
