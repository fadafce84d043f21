"""Operations (support only): how the scheduled work stands across every organisation (DESIGN §13).

Each organisation's next due time per job, the run the schedule last made (linked), failures in a
row, the paused ones, and the runs a dying process abandoned. It is operational metadata (names,
times, statuses), so support sees every organisation here whatever access the schools have opened;
a run's own page is still the organisation's, shown as its scope says. `tether jobs status` prints
the same.
"""
from flask import Blueprint, request
from flask_login import login_required

from jobs import registry
from jobs import status as job_status
from sync import runs

from . import nav
from .access import allowed
from .paging import paginate, render_list

bp = Blueprint("operations", __name__)

# Where a run of each kind is shown: the Sync runs pages, or the SIMS import's.
RUN_PAGES = {"sims_students": "students.run"}


@bp.route("/operations")
@login_required
@allowed("view_operations")
def index():
    show = request.args.get("show", "all")
    if show not in job_status.SHOWS:
        show = "all"
    page = paginate(job_status.organisations(show))
    schedules = job_status.schedules_of([organisation.id for organisation in page.items])
    rows = [job_status.organisation_entry(organisation, schedules.get(organisation.id, {})) for organisation in page.items]
    return render_list(
        "operations/index.html",
        page=page,
        rows=rows,
        show=show,
        shows=job_status.SHOWS,
        jobs=registry.SCHEDULED,
        abandoned=job_status.abandoned_runs(),
        abandoned_days=job_status.ABANDONED_DAYS,
        labels=runs.KIND_LABELS,
        run_pages=RUN_PAGES,
    )


nav.register("Operations", "operations.index", per_organisation=False)
