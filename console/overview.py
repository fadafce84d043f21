"""The organisation overview: every organisation the user may see, with its sync health."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required
from peewee import fn

from store.models import Exclusion, Link, Notification, Organisation, Profile, SyncRun

from . import nav
from .access import organisation_or_404

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


@bp.route("/")
@login_required
def index():
    organisations = list(Organisation.visible_to(current_user))
    return render_template("overview/index.html", organisations=organisations, summaries=_summaries(organisations))


@bp.route("/organisations/<int:org_id>")
@login_required
def organisation(org_id):
    org = organisation_or_404(org_id)
    return render_template("overview/organisation.html", org=org, summary=_summaries([org])[org.id])


nav.register("Organisations", "overview.index", per_organisation=False)
nav.register("Overview", "overview.organisation")
