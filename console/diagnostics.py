"""Diagnostics: "why isn't this person syncing / why is there no green shield?" for one search.

Everyone who may see the organisation asks; the answer (`sync.diagnostics.diagnose`) lists each person
found with every cause and its fix. A fix the signed-in person may do shows as a button or link to the
console action; any other fix (one for support only, or one made in Sign In App) shows as words.
"""
from flask import Blueprint, request
from flask_login import login_required

from sync import diagnostics

from . import nav
from .access import can, organisation_or_404
from .paging import render_list

bp = Blueprint("diagnostics", __name__, url_prefix="/organisations/<int:org_id>/diagnostics")


@bp.get("")
@login_required
def index(org_id):
    org = organisation_or_404(org_id)
    query = request.args.get("q", "").strip()
    return render_list("diagnostics/index.html", org=org, query=query, diagnosis=diagnostics.diagnose(org, query, other_schools=can("search_other_schools")))


nav.register("Diagnostics", "diagnostics.index")
