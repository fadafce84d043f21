"""Students imported from SIMS: the list and one record, uploading an export with a preview before
import, the SIMS runs with their counts and problems (also as CSV), and confirming a halted run.

Everyone who may see the organisation may read these pages; uploading, importing and confirming
are for admins and support.
"""
import os
import re
import tempfile
import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from connectors.sims import SimsFileError, file_sha256
from store.models import RunProblem, Student, SyncRun
from store.search import search_terms
from sync import students
from sync.lease import AlreadyRunning

from . import csvfile, nav
from .access import allowed, organisation_or_404, record_or_404
from .paging import paginate, render_list

bp = Blueprint("students", __name__, url_prefix="/organisations/<int:org_id>/students")

PREVIEW_ROWS = 100
RUN_PROBLEMS_SHOWN = 500
UPLOAD_KEPT_SECONDS = 24 * 60 * 60
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _uploads(org):
    path = os.path.join(current_app.instance_path, "sims-uploads", str(org.id))
    os.makedirs(path, exist_ok=True)
    return path


def _keep_upload(org, upload):
    """Save an uploaded export under its SHA-256 (so the import can find it); drop day-old previews."""
    directory = _uploads(org)
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if os.path.getmtime(path) < time.time() - UPLOAD_KEPT_SECONDS:
            os.remove(path)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".upload-")
    with os.fdopen(handle, "wb") as out:
        upload.save(out)
    digest = file_sha256(temporary)
    os.replace(temporary, os.path.join(directory, digest))
    return digest


def _upload_path(org, digest):
    path = os.path.join(_uploads(org), digest)
    if not _SHA256.fullmatch(digest or "") or not os.path.exists(path):
        return None
    return path


def _forget_upload(org, path, run=None):
    """An upload is kept only while a halted run may still be confirmed: it holds pupils' personal data.

    Without a run (its import stopped on an exception, and the run says why) the upload goes too."""
    halted = run is not None and run.status == "halted"
    if not halted and os.path.dirname(path) == _uploads(org) and os.path.exists(path):
        os.remove(path)


@bp.route("")
@login_required
def index(org_id):
    org = organisation_or_404(org_id)
    search, status = request.args.get("q", "").strip(), request.args.get("status", "enabled")
    terms = search_terms(search)
    page = paginate(students.students_of(org, terms.words, status))
    return render_list("students/index.html", org=org, search=search, search_notice=terms.notice, status=status, page=page)


@bp.route("/<int:student_id>")
@login_required
def student(org_id, student_id):
    org = organisation_or_404(org_id)
    return render_template("students/student.html", org=org, student=record_or_404(Student, student_id, org))


@bp.route("/upload", methods=["GET", "POST"])
@login_required
@allowed("import")
def upload(org_id):
    org = organisation_or_404(org_id)
    if request.method == "GET":
        return render_template("students/upload.html", org=org)
    export = request.files.get("export")
    if export is None or not export.filename:
        flash("Choose the export file (XML from CommandReporter, or Tether JSON) to upload.", "error")
        return render_template("students/upload.html", org=org), 400
    digest = _keep_upload(org, export)
    path = _upload_path(org, digest)
    try:
        plan = students.preview_file(path, org)
    except SimsFileError as error:
        os.remove(path)
        flash(f"{export.filename} cannot be read: {error}", "error")
        return render_template("students/upload.html", org=org), 400
    except BaseException:
        os.remove(path)
        raise
    return render_template(
        "students/preview.html",
        org=org,
        plan=plan,
        rows=plan.rows[:PREVIEW_ROWS],
        halt=plan.halt_reason(float(org.setting("disable_threshold"))),
        digest=digest,
        file_name=export.filename,
    )


@bp.route("/import", methods=["POST"])
@login_required
@allowed("import")
def import_upload(org_id):
    org = organisation_or_404(org_id)
    path = _upload_path(org, request.form.get("upload", ""))
    if path is None:
        flash("That upload is no longer available. Upload the export again.", "error")
        return redirect(url_for(".upload", org_id=org.id), 303)
    try:
        result = students.import_file(
            org, path, actor=current_user, trigger="console", file_name=request.form.get("file_name") or None
        )
    except AlreadyRunning as error:
        flash(f"Not imported: {error}.", "error")
        return redirect(url_for(".runs", org_id=org.id), 303)
    except BaseException:
        _forget_upload(org, path)
        raise
    _forget_upload(org, path, result.run)
    return redirect(url_for(".run", org_id=org.id, run_id=result.run.id), 303)


@bp.route("/runs")
@login_required
def runs(org_id):
    org = organisation_or_404(org_id)
    return render_template("students/runs.html", org=org, page=paginate(students.runs_of(org)))


def _run_or_404(org, run_id):
    return record_or_404(SyncRun, run_id, org, SyncRun.kind == students.KIND)


@bp.route("/runs/<int:run_id>")
@login_required
def run(org_id, run_id):
    org = organisation_or_404(org_id)
    sims_run = _run_or_404(org, run_id)
    problems = RunProblem.select().where(RunProblem.run == sims_run).order_by(RunProblem.id)
    return render_template(
        "students/run.html",
        org=org,
        run=sims_run,
        problems=list(problems.limit(RUN_PROBLEMS_SHOWN)),
        problem_count=problems.count(),
        may_confirm=students.may_confirm(sims_run),
    )


@bp.route("/runs/<int:run_id>/problems.csv")
@login_required
def problems_csv(org_id, run_id):
    org = organisation_or_404(org_id)
    sims_run = _run_or_404(org, run_id)
    return csvfile.problems_csv(sims_run, f"sims-run-{sims_run.id}-problems.csv", id_header="person_id")


@bp.route("/runs/<int:run_id>/confirm", methods=["POST"])
@login_required
@allowed("import")
def confirm(org_id, run_id):
    org = organisation_or_404(org_id)
    sims_run = _run_or_404(org, run_id)
    path = sims_run.details.get("file_path") or ""
    try:
        result = students.confirm_halted_run(sims_run, actor=current_user)
    except (students.CannotConfirm, AlreadyRunning) as error:
        flash(str(error), "error")
        return redirect(url_for(".run", org_id=org.id, run_id=sims_run.id), 303)
    except BaseException:
        _forget_upload(org, path)
        raise
    _forget_upload(org, path, result.run)
    return redirect(url_for(".run", org_id=org.id, run_id=result.run.id), 303)


nav.register("Students", "students.index")
