"""Diagnostics: "why isn't this person syncing / why is there no green shield?" for one search, and the
returners waiting for support to re-link them (the troubleshooting help's "Leavers and Returners").

Everyone who may see the organisation asks; the answer (`sync.diagnostics.diagnose`) lists each person
found with every cause and its fix. The engine names a fix by its intent ("relink", "restore_exclusion"…);
`FIX_ROUTES` here says which console form or link carries out each one. A fix the signed-in person may
take shows as that button or link; any other fix (one for support only, or one made in Sign In App)
shows as words. The organisation's groups are read from Sign In App first (console.groups), so the
causes about a group's link and sign-in options are about the group as it is now.
"""
from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, request, url_for
from flask_login import current_user, login_required

from sync import diagnostics, leavers, links

from . import groups as live_groups
from . import nav
from .access import can, organisation_or_404
from .paging import render_list

bp = Blueprint("diagnostics", __name__, url_prefix="/organisations/<int:org_id>/diagnostics")


@dataclass(frozen=True)
class FixRoute:
    """A console endpoint that carries out an intent: its URL arguments and, for a POST, its hidden
    fields, each read from the fix's subject."""

    endpoint: str
    args: Callable[[dict], dict] = lambda subject: {}
    form: Callable[[dict], dict] | None = None  # None: a link, not a form

    @property
    def method(self):
        return "get" if self.form is None else "post"


FIX_ROUTES = {
    "open_profile": FixRoute("profiles.show", lambda s: {"profile_id": s["profile_id"]}),
    "relink": FixRoute(
        "profiles.relink", lambda s: {"profile_id": s["profile_id"]},
        lambda s: {"member": s["member_id"], "version": s["version"]} | ({"restore_exclusion": "yes"} if s["restore_exclusion"] else {}),
    ),
    "restore_profile": FixRoute("profiles.restore", lambda s: {"profile_id": s["profile_id"]}, lambda s: {"version": s["version"]}),
    "restore_exclusion": FixRoute("exclusions.restore", lambda s: {"exclusion_id": s["exclusion_id"]}, lambda s: {}),
    "run_import": FixRoute("runs.start_import", form=lambda s: {}),
    "edit_rules": FixRoute("mapping.index"),
    "merge": FixRoute("profiles.merge_with", lambda s: {"profile_id": s["kept_id"], "removed": s["removed_id"]}),
    "push": FixRoute("upload.index"),
    # "Do X on the profile": the form that does X, scrolled to the field (tests/diagnostics/test_fix_forms.py).
    "edit_profile": FixRoute("profiles.edit", lambda s: {"profile_id": s["profile_id"], "_anchor": s["field"]}),
    "create_profile": FixRoute("profiles.new", lambda s: dict(s)),
    "record_checks": FixRoute("compliance.add_check", lambda s: {"profile_id": s["profile_id"]}),
}


@dataclass(frozen=True)
class FixForm:
    """A fix as the page shows it to someone who may take it: where to send it, how, with what."""

    method: str
    url: str
    fields: dict


def fix_form(org, fix):
    """The form or link that carries out `fix` for the signed-in user; None when they may not (or it is
    not an action in Central Record), and the page says the fix in words instead."""
    if not fix.allows(current_user):
        return None
    route = FIX_ROUTES[fix.intent]
    url = url_for(route.endpoint, org_id=org.id, **route.args(fix.subject))
    return FixForm(route.method, url, route.form(fix.subject) if route.form else {})


@bp.get("")
@login_required
def index(org_id):
    org = organisation_or_404(org_id)
    query = request.args.get("q", "").strip()
    # The groups as Sign In App has them now, so a group linked or changed there since the last import counts.
    linked = live_groups.linked_groups(org) if query else None
    diagnosis = diagnostics.diagnose(org, query, other_schools=can("search_other_schools"))
    if linked is not None and linked.connected and linked.problem:
        diagnosis.notes.insert(0, linked.problem)
    returners = [(r, links.previous_member(r.profile)) for r in leavers.returners(org)]
    return render_list("diagnostics/index.html", org=org, query=query, diagnosis=diagnosis, fix_form=fix_form,
                       returners=returners)


nav.register("Diagnostics", "diagnostics.index")
