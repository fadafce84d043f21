"""Settings > Sign In App Upload: the organisation's unintegrated profiles, "Preview" and the red "Push All"
to a linked returning group, and "Link to the existing member" for a profile a push held back.

Everyone who may see the organisation reads the list; pushing and linking are for admins and support.
"Push All" asks for a confirmation that says how many profiles go to which group; "Preview" is a dry run
of the same push (nothing changes) that shows what would be created, linked and held back. Both run in
the background and the page moves on to the run's live progress, where held-back profiles are listed
with their look-alike members. A held-back profile that is a different person can be pushed alone,
"despite the look-alike".
"""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from store.ids import as_id
from store.models import Profile, ProfileType, SiaGroup, SyncRun
from sync import links, push
from sync.lease import AlreadyRunning

from . import nav
from .access import allowed, organisation_or_404, record_or_404
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


def _start(org, dry_run):
    """Start a push (or its dry run) of the form's group and types; the run's page, or back with why not."""
    types, chosen, groups, group = _choices(org)
    back = url_for(".index", org_id=org.id, type=[t.name for t in chosen], group=request.values.get("group"))
    if group is None:
        flash("Choose the Sign In App group to push to.", "error")
        return redirect(back, 303)
    profile_id = request.form.get("profile", type=as_id)
    if request.form.get("profile") and profile_id is None:
        flash("That is not a profile id; push again from the run's page.", "error")
        return redirect(back, 303)
    if profile_id is not None:
        record_or_404(Profile, profile_id, org)
    try:
        run = push.start_push(
            current_app._get_current_object(), org, group_id=group.sia_id, type_names=[t.name for t in chosen],
            actor=current_user, dry_run=dry_run, profile_ids=[profile_id] if profile_id is not None else None,
            despite_look_alikes=profile_id is not None and request.form.get("despite_look_alikes") == "yes",
        )
    except (push.PushRefused, AlreadyRunning) as error:
        flash(f"Nothing was {'previewed' if dry_run else 'pushed'}: {error}", "error")
        return redirect(back, 303)
    return redirect(url_for("runs.show", org_id=org.id, run_id=run.id), code=303)


@bp.route("", methods=["POST"])
@login_required
@allowed("push")
def push_all(org_id):
    return _start(organisation_or_404(org_id), dry_run=False)


@bp.post("/preview")
@login_required
@allowed("push")
def preview(org_id):
    return _start(organisation_or_404(org_id), dry_run=True)


@bp.post("/link")
@login_required
@allowed("link_existing_member")
def link(org_id):
    """Link a profile a push held back to the Sign In App member it looks like; back to the run's page."""
    org = organisation_or_404(org_id)
    profile = record_or_404(Profile, request.form.get("profile", type=as_id), org)
    run_id = request.form.get("run", type=as_id)
    back = url_for(".index", org_id=org.id)
    if run_id is not None:
        back = url_for("runs.show", org_id=org.id, run_id=record_or_404(SyncRun, run_id, org).id)
    member_id = request.form.get("member", type=as_id)
    if member_id is None:
        flash(f"Choose the Sign In App member to link {profile.name} (profile {profile.id}) to.", "error")
        return redirect(back, 303)
    try:
        link, made = push.link_to_existing_member(org, profile, member_id, current_user)
    except links.ActionRefused as refusal:
        flash(str(refusal), "error")
        return redirect(back, 303)
    who = f"{profile.name} (profile {profile.id}{', ' + profile.email if profile.email else ''})"
    if made:
        flash(f"{who} is linked to the existing Sign In App member {link.sia_member.display_name} ({member_id}).", "success")
    else:
        flash(f"{who} was already linked to Sign In App member {link.sia_member.display_name} ({member_id}).", "info")
    return redirect(back, 303)


nav.register("Sign In App Upload", "upload.index")
