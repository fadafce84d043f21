"""The organisation overview: every organisation the user may see, with its integration state and sync
health (for support, also the names of the organisations it could work on once their school opens
support access); one organisation's page adds its set-up checklist (console/checklist.py) and, for a
school admin or support, pausing and resuming its scheduled imports (sync/integration.py, DESIGN §12 item 4)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from peewee import fn

from jobs import registry
from store import policy
from store.models import Exclusion, Link, Notification, Organisation, Profile, SyncRun
from sync import integration

from . import checklist, nav
from . import groups as live_groups
from .access import allowed, organisation_or_404

bp = Blueprint("overview", __name__)


def _summaries(organisations):
    ids = [o.id for o in organisations]
    if not ids:
        return {}

    def count_by(query, field):
        return {row[0]: row[1] for row in query.select(field, fn.COUNT(field)).where(field.in_(ids)).group_by(field).tuples()}

    profiles = count_by(Profile.select().where(Profile.status == "active"), Profile.organisation)
    links = count_by(Link.select().where(Link.severed_at.is_null()), Link.organisation)
    exclusions = count_by(Exclusion.select().where(Exclusion.restored_at.is_null()), Exclusion.organisation)
    unread = count_by(Notification.select().where(Notification.read_at.is_null()), Notification.organisation)
    latest = {}
    for run in SyncRun.select().where(SyncRun.organisation.in_(ids)).order_by(SyncRun.started_at.desc()).limit(500):
        latest.setdefault((run.organisation_id, run.kind), run)
    return {
        org_id: {
            "profiles": profiles.get(org_id, 0),
            "links": links.get(org_id, 0),
            "exclusions": exclusions.get(org_id, 0),
            "unread": unread.get(org_id, 0),
            "last_runs": {kind: run for (oid, kind), run in latest.items() if oid == org_id},
        }
        for org_id in ids
    }


def state_words(org):
    """The organisation's integration state, as the overview says it."""
    if org.state == integration.SETTING_UP:
        return "Setting up: profiles appear when you choose Import or Push"
    if org.state == integration.PAUSED:
        by = f" by {org.state_changed_by}" if org.state_changed_by else ""
        on = f" on {org.state_changed_at:%d %b %Y}" if org.state_changed_at else ""
        return f"Paused{by}{on}"
    return f"Active: imports {registry.get('sia_import').schedule}"


@bp.route("/")
@login_required
def index():
    organisations = list(policy.visible_organisations(current_user))
    return render_template(
        "overview/index.html",
        organisations=organisations,
        summaries=_summaries(organisations),
        through_support_access=policy.reaches_through_support_access(current_user.role),
        to_ask=list(policy.organisations_to_ask(current_user).select(Organisation.name)),
        state_words=state_words,
    )


CHART_RUNS = 30
CHART_HEIGHT = 60
BAR_WIDTH = 10


def _run_chart(org):
    """Bars for the latest runs, oldest first: height by records handled, class by status."""
    runs = list(
        SyncRun.select()
        .where((SyncRun.organisation == org) & (SyncRun.dry_run == False))  # noqa: E712
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        .limit(CHART_RUNS)
    )[::-1]
    tallest = max([run.total for run in runs] + [1])
    bars = []
    for index, run in enumerate(runs):
        height = max(3, round(CHART_HEIGHT * run.total / tallest))
        bars.append(
            {
                "run": run,
                "x": index * (BAR_WIDTH + 2),
                "y": CHART_HEIGHT - height,
                "height": height,
                "label": f"{run.kind.replace('_', ' ')} {run.started_at:%d %b %H:%M}: {run.status}, {run.total} records",
            }
        )
    failures = sum(1 for run in runs if run.status == "failed")
    return {"bars": bars, "width": max(1, len(runs)) * (BAR_WIDTH + 2), "height": CHART_HEIGHT, "bar_width": BAR_WIDTH, "failures": failures}


@bp.route("/organisations/<int:org_id>")
@login_required
def organisation(org_id):
    org = organisation_or_404(org_id)
    # "Link the group, then refresh the page": the checklist's groups and safety check are Sign In App's as
    # they are now (read within the minute), not as the last import saw them.
    live_groups.linked_groups(org)
    return render_template(
        "overview/organisation.html", org=org, summary=_summaries([org])[org.id], chart=_run_chart(org),
        state=state_words(org), steps=checklist.steps(org),
    )


def _change_state(org_id, change, done):
    org = organisation_or_404(org_id)
    try:
        change(org, current_user)
    except integration.StateRefused as refusal:
        flash(str(refusal), "error")
    else:
        flash(done(org), "success")
    return redirect(url_for(".organisation", org_id=org.id), 303)


@bp.post("/organisations/<int:org_id>/schedule/pause")
@login_required
@allowed("pause_schedule")
def pause(org_id):
    return _change_state(org_id, integration.pause, lambda org: (
        f"{org.name}'s scheduled imports are paused until someone resumes them. Import and Push still run when "
        "you choose them."
    ))


@bp.post("/organisations/<int:org_id>/schedule/resume")
@login_required
@allowed("pause_schedule")
def resume(org_id):
    return _change_state(org_id, integration.resume, lambda org: (
        f"{org.name}'s scheduled imports are resumed: they run {registry.get('sia_import').schedule}."
    ))


nav.register("Organisations", "overview.index", per_organisation=False)
nav.register("Overview", "overview.organisation")
