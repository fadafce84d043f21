"""The exclusion list: Sign In App members that are never imported again, and restoring one (support).

An integrated profile deleted in Central Record puts its member here. Everyone who may see the
organisation reads the list (a page at a time, searched by member name or id); only support restores an entry, after which the member imports again on
the next run.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from store.ids import is_id
from store.models import Exclusion
from store.search import search_phrase
from sync import links

from . import nav
from .access import allowed, organisation_or_404, record_or_404
from .paging import paginate

bp = Blueprint("exclusions", __name__, url_prefix="/organisations/<int:org_id>/exclusions")


@bp.get("")
@login_required
def index(org_id):
    org = organisation_or_404(org_id)
    restored = request.args.get("show") == "restored"
    query = Exclusion.select().where(
        (Exclusion.organisation == org)
        & (Exclusion.restored_at.is_null(False) if restored else Exclusion.restored_at.is_null())
    )
    search = search_phrase(request.args.get("q", ""))
    if search:
        matches = Exclusion.display_name.contains(search)
        if is_id(search):
            matches |= Exclusion.sia_member_id == int(search)
        query = query.where(matches)
    page = paginate(query.order_by(Exclusion.created_at.desc(), Exclusion.id.desc()))
    return render_template(
        "exclusions/index.html", org=org, restored=restored, search=search, page=page, exclusions=page.items,
    )


@bp.post("/<int:exclusion_id>/restore")
@login_required
@allowed("restore_exclusion")
def restore(org_id, exclusion_id):
    org = organisation_or_404(org_id)
    exclusion = record_or_404(Exclusion, exclusion_id, org)
    try:
        links.restore_exclusion(exclusion, current_user)
    except links.ActionRefused as refusal:
        flash(str(refusal), "error")
    else:
        flash(f"{exclusion.display_name} is no longer excluded: the member imports again on the next run.", "success")
    return redirect(url_for(".index", org_id=org.id), 303)


nav.register("Exclusions", "exclusions.index")
