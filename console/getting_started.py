"""Getting started (the set-up help's "Get Started with your Integration").

The help's three steps before the integration is set up, with where each stands: a school admin
requests the integration (with an optional note); the school opens its portal for support access
(the Support access page); support records the Sign In App Primary User's confirmation — which
support can only do while access is open, since outside it this page is 404 for support.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from store import setup
from store.models import now

from . import nav
from .access import allowed, organisation_or_404

bp = Blueprint("getting_started", __name__, url_prefix="/organisations/<int:org_id>/getting-started")


def _render(org, form=None, status=200):
    ready, reason = setup.may_create_connection(org)
    return render_template(
        "getting_started/index.html",
        org=org,
        steps=setup.steps(org),
        integration=setup.request_of(org),
        ready=ready,
        reason=reason,
        form=form or {},
        today=now().date().isoformat(),
        note_limit=setup.NOTE_LIMIT,
        name_limit=setup.NAME_LIMIT,
    ), status


@bp.get("")
@login_required
def index(org_id):
    return _render(organisation_or_404(org_id))


@bp.post("/request")
@login_required
@allowed("request_integration")
def request_integration(org_id):
    org = organisation_or_404(org_id)
    # Read a little past the limit, so an over-long note is refused in words rather than cut short.
    note = request.form.get("note", "")[: setup.NOTE_LIMIT * 2]
    try:
        setup.request_integration(org, current_user, note)
    except setup.SetupRefused as refusal:
        flash(str(refusal), "error")
        return _render(org, form={"note": note}, status=422)
    flash("Integration requested: support will be in touch. Next, open your portal for support access.", "success")
    return redirect(url_for(".index", org_id=org.id), 303)


@bp.post("/confirmation")
@login_required
@allowed("record_confirmation")
def record_confirmation(org_id):
    org = organisation_or_404(org_id)
    form = {key: request.form.get(key, "")[: setup.NAME_LIMIT * 2] for key in ("primary_user", "confirmed_on")}
    try:
        setup.record_confirmation(org, current_user, form["primary_user"], setup.parse_day(form["confirmed_on"]))
    except setup.SetupRefused as refusal:
        flash(str(refusal), "error")
        return _render(org, form=form, status=422)
    flash("The Primary User's confirmation is recorded.", "success")
    return redirect(url_for(".index", org_id=org.id), 303)


nav.register("Getting started", "getting_started.index")
