"""Support access (set-up help step 2, "Open your Central Record portal for support access").

A school admin opens the organisation to support for a chosen number of days and closes it at any
time; support may hand it back early. While it is open support sees and acts on the organisation;
outside it every page of the organisation is 404 for support (store/policy.py). The page shows the
access open now and the earlier ones, so the school can see who opened it and when.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from store import policy, setup
from store.models import SupportGrant

from . import nav
from .access import allowed, organisation_or_404

bp = Blueprint("support_access", __name__, url_prefix="/organisations/<int:org_id>/support-access")


def _render(org, days=SupportGrant.DEFAULT_DAYS, status=200):
    grants = list(setup.grants_of(org))
    current = next((grant for grant in grants if grant.is_open()), None)
    return render_template(
        "support_access/index.html",
        org=org,
        current=current,
        past=[grant for grant in grants if grant is not current],
        days=days,
        max_days=SupportGrant.MAX_DAYS,
    ), status


@bp.get("")
@login_required
def index(org_id):
    return _render(organisation_or_404(org_id))


@bp.post("/open")
@login_required
@allowed("open_support_access")
def open_access(org_id):
    org = organisation_or_404(org_id)
    typed = request.form.get("days", "")[:10]
    try:
        grant = setup.open_support_access(org, current_user, setup.parse_days(typed))
    except setup.SetupRefused as refusal:
        flash(str(refusal), "error")
        return _render(org, days=typed, status=422)
    flash(f"Support access is open until {grant.until:%d %b %Y %H:%M} UTC.", "success")
    return redirect(url_for(".index", org_id=org.id), 303)


@bp.post("/close")
@login_required
@allowed("close_support_access")
def close_access(org_id):
    org = organisation_or_404(org_id)
    try:
        setup.close_support_access(org, current_user)
    except setup.SetupRefused as refusal:
        flash(str(refusal), "error")
        return _render(org, status=422)
    flash(f"Support access to {org.name} is closed.", "success")
    if not policy.may_see(current_user, org.id):
        # Support handed access back: the organisation's pages are closed to them from now on.
        return redirect(url_for("overview.index"), 303)
    return redirect(url_for(".index", org_id=org.id), 303)


nav.register("Support access", "support_access.index")
