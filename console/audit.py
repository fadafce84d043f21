"""The audit log: every action anyone took, filtered by organisation, actor, action, subject and date.

A support user's action on an organisation names the support access it ran under (DESIGN §12), so a
school reads who opened the door for each thing support did."""
import datetime

from flask import Blueprint, request
from flask_login import current_user, login_required
from peewee import JOIN

from store import policy
from store.ids import as_id
from store.models import AuditEvent, Organisation, SupportGrant
from store.search import search_phrase

from . import nav
from .access import organisation_or_404
from .paging import paginate, render_list

bp = Blueprint("audit", __name__)


def _date(name):
    try:
        return datetime.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _events(org=None):
    query = (
        AuditEvent.select(AuditEvent, Organisation, SupportGrant)
        .join(Organisation, JOIN.LEFT_OUTER)
        .switch(AuditEvent)
        .join(SupportGrant, JOIN.LEFT_OUTER)
    )
    if org is not None:
        query = query.where(AuditEvent.organisation == org)
    else:
        scope = AuditEvent.organisation.in_(policy.organisation_ids(current_user) or [0])
        if policy.may(current_user, "read_site_audit"):
            scope |= AuditEvent.organisation.is_null()  # users and organisations: support's site-wide work
        query = query.where(scope)
    filters = {key: search_phrase(request.args.get(key, "")) for key in ("actor", "action", "subject")}
    if filters["actor"]:
        query = query.where(AuditEvent.actor.contains(filters["actor"]))
    if filters["action"]:
        query = query.where(AuditEvent.action.startswith(filters["action"]))
    if filters["subject"]:
        query = query.where(AuditEvent.subject.contains(filters["subject"]))
    since, until = _date("from"), _date("to")
    if since:
        query = query.where(AuditEvent.at >= datetime.datetime.combine(since, datetime.time.min))
    if until:
        query = query.where(AuditEvent.at < datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()), filters


@bp.route("/audit")
@login_required
def index():
    org_id = request.args.get("organisation", type=as_id)
    org = organisation_or_404(org_id) if org_id else None
    events, filters = _events(org)
    return render_list(
        "audit/index.html",
        page=paginate(events),
        filters=filters,
        org=org,
        organisations=list(policy.visible_organisations(current_user)),
    )


@bp.route("/organisations/<int:org_id>/audit")
@login_required
def organisation(org_id):
    org = organisation_or_404(org_id)
    events, filters = _events(org)
    return render_list("audit/index.html", page=paginate(events), filters=filters, org=org, organisations=[org])


nav.register("Audit log", "audit.organisation")
nav.register("Audit log, every school", "audit.index", per_organisation=False)
