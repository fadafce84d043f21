"""Notifications: safety-check rejections and warnings, failed syncs and syncs that need attention; read and marked read per school."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required

from store.models import Notification, now

from . import nav
from .access import organisation_or_404
from .paging import paginate, render_list

bp = Blueprint("notifications", __name__, url_prefix="/organisations/<int:org_id>/notifications")

KINDS = {
    "safety_reject": "Sign-in rejected",
    "safety_warning": "Signed in while not compliant",
    "sync_failed": "Sync failed",
    "sync_needs_attention": "Sync needs attention",
}


@bp.route("/")
@login_required
def index(org_id):
    org = organisation_or_404(org_id)
    query = Notification.select().where(Notification.organisation == org)
    show = request.args.get("show", "unread")
    if show == "unread":
        query = query.where(Notification.read_at.is_null())
    kind = request.args.get("kind", "")
    if kind in KINDS:
        query = query.where(Notification.kind == kind)
    page = paginate(query.order_by(Notification.at.desc(), Notification.id.desc()))
    return render_list("notifications/index.html", org=org, page=page, show=show, kind=kind, kinds=KINDS)


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(org_id, notification_id):
    org = organisation_or_404(org_id)
    updated = (
        Notification.update(read_at=now())
        .where((Notification.id == notification_id) & (Notification.organisation == org) & Notification.read_at.is_null())
        .execute()
    )
    if not updated and not Notification.select().where((Notification.id == notification_id) & (Notification.organisation == org)).exists():
        return ("", 404)
    return redirect(url_for(".index", org_id=org.id, show=request.args.get("show", "unread")), code=303)


@bp.route("/read-all", methods=["POST"])
@login_required
def mark_all_read(org_id):
    org = organisation_or_404(org_id)
    count = Notification.update(read_at=now()).where((Notification.organisation == org) & Notification.read_at.is_null()).execute()
    flash(f"Marked {count} notification{'s' if count != 1 else ''} as read.", "info")
    return redirect(url_for(".index", org_id=org.id), code=303)


nav.register("Notifications", "notifications.index")
