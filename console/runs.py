"""Sync runs of an organisation: the list, one run with live progress (htmx polling), its problems and CSV,
and "Run import now".

Everyone who may see the organisation reads these pages; starting an import is for admins and support.
"""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from store.models import Link, RunProblem, SiaMember, SyncRun
from sync import leavers, plan, purge, push, runs, sia_import
from sync.lease import AlreadyRunning

from . import csvfile, nav
from .access import allowed, organisation_or_404, record_or_404
from .paging import paginate

bp = Blueprint("runs", __name__, url_prefix="/organisations/<int:org_id>/sync/runs")

KINDS = (sia_import.KIND, push.KIND, leavers.KIND, purge.KIND)
COUNT_NAMES = {sia_import.KIND: plan.SITUATIONS, push.KIND: push.COUNTS, leavers.KIND: ("severed",), purge.KIND: ("purged",)}
PROBLEMS_SHOWN = 500


def _run_or_404(org, run_id):
    return record_or_404(SyncRun, run_id, org, SyncRun.kind.in_(KINDS))


@bp.route("")
@login_required
def index(org_id):
    org = organisation_or_404(org_id)
    return render_template(
        "runs/index.html", org=org, page=paginate(runs.runs_of(org, KINDS)), labels=runs.KIND_LABELS
    )


@bp.route("/import", methods=["POST"])
@login_required
@allowed("import")
def start_import(org_id):
    org = organisation_or_404(org_id)
    try:
        run = sia_import.start_import(current_app._get_current_object(), org, actor=current_user)
    except AlreadyRunning as error:
        flash(f"The import was not started: {error}.", "error")
        return redirect(url_for(".index", org_id=org.id), 303)
    return redirect(url_for(".show", org_id=org.id, run_id=run.id), code=303)


def _context(org, run):
    problems = RunProblem.select().where(RunProblem.run == run).order_by(RunProblem.id)
    return {
        "org": org,
        "run": run,
        "label": runs.KIND_LABELS.get(run.kind, run.kind),
        "count_names": COUNT_NAMES.get(run.kind, ()),
        "problems": list(problems.limit(PROBLEMS_SHOWN)),
        "problem_count": problems.count(),
        "linked_now": _linked_now(run),
    }


def _linked_now(run):
    """{profile id: Sign In App member id} for the profiles a push held back that are linked now."""
    held_back = [d["profile_id"] for d in (run.details or {}).get("held_back", [])] if run.status != "running" else []
    if not held_back:
        return {}
    rows = Link.active().select(Link.profile, SiaMember.sia_id).join(SiaMember).where(Link.profile.in_(held_back)).tuples()
    return dict(rows)


@bp.route("/<int:run_id>")
@login_required
def show(org_id, run_id):
    org = organisation_or_404(org_id)
    return render_template("runs/run.html", **_context(org, _run_or_404(org, run_id)))


@bp.route("/<int:run_id>/progress")
@login_required
def progress(org_id, run_id):
    """The progress fragment htmx polls every second while the run is running; it stops once it is not."""
    org = organisation_or_404(org_id)
    return render_block("runs/run.html", "progress", **_context(org, _run_or_404(org, run_id)))


@bp.route("/<int:run_id>/problems.csv")
@login_required
def problems_csv(org_id, run_id):
    org = organisation_or_404(org_id)
    run = _run_or_404(org, run_id)
    return csvfile.problems_csv(run, f"run-{run.id}-problems.csv")


nav.register("Import", "runs.index")
