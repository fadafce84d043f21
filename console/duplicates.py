"""Duplicate suggestions and bulk merge: the profiles an import created beside the school's own ones.

Everyone who may see the organisation reads the suggestions, a page at a time, each with what differs and
what bulk merge does with it by default (ticked, for review, or never in bulk), and the likely cause of new
duplicates when a synced group lets members add themselves via the iPad app. Admins and support merge
them, one pair at a time (through the merge form, choosing values) or many at once with the default choices.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from store.ids import is_id
from store.models import Profile
from sync import duplicates

from . import nav
from .access import allowed, organisation_or_404
from .paging import page_of

bp = Blueprint("duplicates", __name__, url_prefix="/organisations/<int:org_id>/duplicates")


def _pairs(org, values):
    """(kept, removed) profiles from `kept_id:removed_id` form values; 404 unless both are the school's."""
    pairs = []
    for value in values:
        kept_id, _, removed_id = value.partition(":")
        if not (is_id(kept_id) and is_id(removed_id)):
            abort(400)
        found = {p.id: p for p in Profile.select().where(
            (Profile.organisation == org) & Profile.id.in_([int(kept_id), int(removed_id)])
        )}
        if len(found) != 2:
            abort(404)
        pairs.append((found[int(kept_id)], found[int(removed_id)]))
    return pairs


@bp.get("")
@login_required
def index(org_id):
    org = organisation_or_404(org_id)
    page = page_of(duplicates.ranked_pairs(org))
    page.items = duplicates.suggestions(org, page.items)
    return render_template(
        "duplicates/index.html", org=org, page=page, suggestions=page.items,
        likely_cause=duplicates.ipad_self_add_cause(duplicates.groups_adding_members_via_ipad(org)),
    )


@bp.post("/merge")
@login_required
@allowed("merge")
def bulk_merge(org_id):
    org = organisation_or_404(org_id)
    pairs = _pairs(org, request.form.getlist("pair"))
    if not pairs:
        flash("Tick the pairs to merge first.", "error")
        return redirect(url_for(".index", org_id=org.id), 303)
    return render_template("duplicates/results.html", org=org, results=duplicates.bulk_merge(pairs, current_user))


nav.register("Duplicates", "duplicates.index")
