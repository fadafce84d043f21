"""Sign In App upload: the organisation's unintegrated profiles, and "Push all" to a linked returning group.

Everyone who may see the organisation reads the list; pushing is for admins and support, after a
confirmation that says how many members will be created in which group. The push runs in the
background and the page moves on to the run's live progress.
"""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from store.ids import as_id
from store.models import ProfileType, SiaGroup
from sync import push
from sync.lease import AlreadyRunning

from . import nav
from .access import allowed, organisation_or_404
from .paging import paginate

bp = Blueprint("upload", __name__, url_prefix="/organisations/<int:org_id>/sync/upload")


def _choices(org):
    types = list(ProfileType.select().where(ProfileType.organisation == org).order_by(ProfileType.position, ProfileType.name))
    chosen = [t for t in types if t.name in request.values.getlist("type")]
    groups = list(SiaGroup.synced_for(org).order_by(SiaGroup.name))
    group_id = request.values.get("group", type=as_id)
    group = next((g for g in groups if g.sia_id == group_id), None)
    return types, chosen, groups, group


@bp.route("")
@login_required
def index(org_id):
    org = organisation_or_404(org_id)
    types, chosen, groups, group = _choices(org)
    page = paginate(push.unintegrated(org, [t.id for t in chosen]))
    return render_template(
        "upload/index.html", org=org, types=types, chosen=chosen, groups=groups, group=group, page=page,
    )


@bp.route("", methods=["POST"])
@login_required
@allowed("push")
def push_all(org_id):
    org = organisation_or_404(org_id)
    types, chosen, groups, group = _choices(org)
    back = url_for(".index", org_id=org.id, type=[t.name for t in chosen], group=request.values.get("group"))
    if group is None:
        flash("Choose the Sign In App group to push to.", "error")
        return redirect(back, 303)
    try:
        run = push.start_push(
            current_app._get_current_object(), org, group_id=group.sia_id, type_names=[t.name for t in chosen],
            actor=current_user,
        )
    except (push.PushRefused, AlreadyRunning) as error:
        flash(f"Nothing was pushed: {error}", "error")
        return redirect(back, 303)
    return redirect(url_for("runs.show", org_id=org.id, run_id=run.id), code=303)


nav.register("Sign In App Upload", "upload.index")
