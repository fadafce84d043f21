"""Profiles: the searchable list, one profile with its links, checks and readiness, creating and editing
a profile, and the actions that repair its tie to Sign In App — decouple, delete, restore, re-link, merge
and undo a merge.

Everyone who may see the organisation reads these pages. Admins and support create and edit profiles,
decouple, delete, merge and undo; restoring a profile and re-linking are for support (DESIGN §8). Each
action calls one service in sync/, which writes the audit event; a refusal comes back as a message saying
what to do instead. Forms carry the profile version the person saw, so a change made meanwhile is
refused, not overwritten, and an edit refused so is shown again with the person's entries kept.
"""
import datetime

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from compliance import readiness as readiness_service
from store.ids import as_id
from store.models import CheckType, Link, MergeRecord, Profile, ProfileType
from store.search import search_terms
from sync import duplicates, fields, leavers, links, merge, sign_ins
from sync import profiles as profile_service

from . import nav
from .access import allowed, can, organisation_or_404, record_or_404
from .paging import PER_PAGE, paginate, render_list
from .security import CONTENT_SECURITY_POLICY

bp = Blueprint("profiles", __name__, url_prefix="/organisations/<int:org_id>")

STATUSES = {"active": "Active", "deleted": "Deleted", "merged": "Merged", "all": "All"}
LINKED = {"": "Linked or not", "linked": "Linked to Sign In App", "unlinked": "Not linked"}


def _profile_as_seen(org, profile_id, field="version"):
    """The profile at the version the form was drawn from, so a change made meanwhile is refused."""
    profile = record_or_404(Profile, profile_id, org)
    profile.version = request.form.get(field, profile.version, type=as_id)
    return profile


def _matching_profiles(org, words, status, type_id, linked):
    """The organisation's profiles matching every one of `words` (a search box's `search_terms`) and the filters."""
    query = Profile.select(Profile, ProfileType).join(ProfileType).where(Profile.organisation == org)
    if status != "all":
        query = query.where(Profile.status == status)
    if type_id:
        query = query.where(Profile.profile_type == type_id)
    if linked:
        linked_ids = Link.active().where(Link.organisation == org).select(Link.profile)
        query = query.where(Profile.id.in_(linked_ids) if linked == "linked" else Profile.id.not_in(linked_ids))
    for term in words:
        query = query.where(
            Profile.forename.contains(term) | Profile.surname.contains(term) | Profile.email.contains(term)
        )
    return query.order_by(Profile.surname, Profile.forename, Profile.id)


def _back(profile):
    return redirect(url_for(".show", org_id=profile.organisation_id, profile_id=profile.id), 303)


@bp.get("/profiles")
@login_required
def index(org_id):
    org = organisation_or_404(org_id)
    filters = {
        "q": request.args.get("q", "").strip(),
        "status": request.args.get("status") if request.args.get("status") in STATUSES else "active",
        "type": request.args.get("type", 0, type=as_id),
        "linked": request.args.get("linked") if request.args.get("linked") in LINKED else "",
    }
    terms = search_terms(filters["q"])
    page = paginate(_matching_profiles(org, terms.words, filters["status"], filters["type"], filters["linked"]))
    return render_list(
        "profiles/index.html",
        org=org,
        filters=filters,
        search_notice=terms.notice,
        page=page,
        linked_ids={link.profile_id for link in Link.active().where(Link.profile.in_([p.id for p in page.items]))},
        profile_types=ProfileType.select().where(ProfileType.organisation == org).order_by(ProfileType.position),
        statuses=STATUSES,
        linked_choices=LINKED,
    )


@bp.get("/profiles/<int:profile_id>")
@login_required
def show(org_id, profile_id):
    org = organisation_or_404(org_id)
    profile = record_or_404(Profile, profile_id, org)
    today = datetime.date.today()
    member_search = request.args.get("member_q", "").strip()
    active_link = Link.active_for_profile(profile)
    relinkable = can("relink") and active_link is None and profile.status == "active"
    returner = leavers.is_returner(profile, today)
    # "Do not delete the duplicate profiles!": the delete form names the pair to merge instead.
    likely = duplicates.suggestions_with(profile) if can("delete_profile") else []
    duplicate = next((s for s in likely if s.default.offered), None)
    context = {
        "org": org,
        "profile": profile,
        "links": links.history(profile),
        "active_link": active_link,
        "member_absence": links.member_absence(active_link),
        "returner": returner,
        "previous_member": links.previous_member(profile) if returner else None,
        "merges": merge.merges_of(profile),
        "undoable_merges": merge.undoable_merges(profile),
        "restore_until": links.restore_deadline(profile) if links.can_restore(profile) else None,
        "offers": links.offered_members(profile, member_search) if relinkable else [],
        "duplicate": duplicate,
        "member_search": member_search,
        "readiness": readiness_service.readiness_of(profile, today),
        "checks": readiness_service.check_records_of(profile, today),
        "check_types": CheckType.of_organisation(org),
        "errors": {},
        "form": {},
    }
    photo = active_link.sia_member.photo_url if active_link is not None else None
    origin = sign_ins.photo_origin(photo)
    context["member_photo"] = photo.strip() if origin else None
    response = make_response(
        render_list("profiles/show.html", "relink_members", block_template="profiles/_actions.html", **context)
    )
    if origin:
        # The member's photo is Sign In App's URL: this page alone may load images from that origin, and
        # the img sends no Referer (referrerpolicy), so Sign In App's host learns nothing of Tether's pages.
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "img-src 'self' data:", f"img-src 'self' data: {origin}"
        )
    return response


def _types(org):
    return list(ProfileType.select().where(ProfileType.organisation == org).order_by(ProfileType.position))


def _imported_fields(org, profile):
    """The form's fields an import writes from the profile's Sign In App member, in the form's words."""
    if profile is None or Link.active_for_profile(profile) is None:
        return []
    targets = {m.target for m in fields.field_map(org).to_scr}
    if "name" in targets:
        targets |= {"forename", "surname"}
    return [label for name, label in profile_service.FIELDS.items() if name in targets]


def _render_form(org, profile, values, errors=None, status=200, saved_now=None):
    return render_template(
        "profiles/form.html", org=org, profile=profile, values=values, errors=errors or {},
        profile_types=_types(org), labels=profile_service.FIELDS, max_length=profile_service.MAX_LENGTH,
        imported=_imported_fields(org, profile), saved_now=saved_now or {},
    ), status


def _form_values(profile):
    """A profile's values as its form shows them."""
    values = {name: getattr(profile, name) for name in profile_service.FIELDS if name != "profile_type"}
    values = {name: ("" if value is None else value.isoformat() if name in profile_service.DATES else value)
              for name, value in values.items()}
    return {**values, "profile_type": str(profile.profile_type_id)}


def _submitted():
    return {name: request.form.get(name, "") for name in profile_service.FIELDS}


@bp.route("/profiles/new", methods=["GET", "POST"])
@login_required
@allowed("edit_profile")
def new(org_id):
    org = organisation_or_404(org_id)
    if request.method == "GET":
        # Diagnostics' "create the profile again" fills the names in from the query.
        return _render_form(org, None, {name: request.args.get(name, "") for name in profile_service.FIELDS})
    try:
        profile = profile_service.create_profile(org, request.form, current_user)
    except profile_service.Invalid as refusal:
        return _render_form(org, None, _submitted(), refusal.errors, 422)
    flash(f"{profile.name} is created as {profile.profile_type.name}. It is not linked to Sign In App: it shows on "
          "the upload page, to push, or merge it with its Sign In App profile after the next import.", "success")
    return _back(profile)


def _saved_message(saved):
    profile = saved.profile
    if not saved.changes:
        return f"Nothing changed: {profile.name} is as it was.", "success"
    if saved.severed is not None:
        return (f"Saved. {profile.name} is a leaver from {profile.leaving_date:%d %b %Y}: the integration link to Sign "
                f"In App member {saved.severed.sia_member.display_name} is severed, so no further updates sync for "
                "them.", "success")
    if saved.returned:
        relink = ("re-link it below: its previous member is offered first." if can("relink") else
                  "ask Tether support to re-link it if it does not begin syncing again.")
        return (f"Saved. {profile.name} is active again. Removing the leaving date does not re-establish the "
                f"integration link: {relink}", "success")
    if "leaving_date" in saved.changes and profile.leaving_date and Link.active_for_profile(profile) is not None:
        return (f"Saved. {profile.name} leaves on {profile.leaving_date:%d %b %Y}: the integration link is severed on "
                "that day.", "success")
    return f"Saved {profile.name}.", "success"


@bp.route("/profiles/<int:profile_id>/edit", methods=["GET", "POST"])
@login_required
@allowed("edit_profile")
def edit(org_id, profile_id):
    org = organisation_or_404(org_id)
    if request.method == "GET":
        profile = record_or_404(Profile, profile_id, org)
        return _render_form(org, profile, _form_values(profile))
    profile = _profile_as_seen(org, profile_id)
    try:
        saved = profile_service.edit_profile(profile, request.form, current_user)
    except profile_service.Invalid as refusal:
        return _render_form(org, profile, _submitted(), refusal.errors, 422)
    except profile_service.SavedMeanwhile as meanwhile:
        current = meanwhile.current
        now_values = _form_values(current)
        differs = {name: now_values[name] for name in profile_service.FIELDS if now_values[name] != request.form.get(name, "")}
        flash(str(meanwhile), "error")
        return _render_form(org, current, _submitted(), status=409, saved_now=differs)
    except links.ActionRefused as refusal:
        flash(str(refusal), "error")
        return _back(profile)
    message, category = _saved_message(saved)
    flash(message, category)
    anchor = "relink" if saved.returned and can("relink") else None
    return redirect(url_for(".show", org_id=org.id, profile_id=profile.id, _anchor=anchor), 303)


@bp.post("/profiles/<int:profile_id>/decouple")
@login_required
@allowed("decouple")
def decouple(org_id, profile_id):
    profile = _profile_as_seen(organisation_or_404(org_id), profile_id)
    try:
        link = links.decouple(profile, current_user, request.form.get("reason", "").strip())
    except links.ActionRefused as refusal:
        flash(str(refusal), "error")
    else:
        flash(
            f"{profile.label} is no longer linked to Sign In App member {link.sia_member.display_name}. The profile "
            "now shows on the upload page; the member comes back as a new profile on the next import unless it "
            "is deleted or archived in Sign In App.",
            "success",
        )
    return _back(profile)


@bp.post("/profiles/<int:profile_id>/delete")
@login_required
@allowed("delete_profile")
def delete(org_id, profile_id):
    profile = _profile_as_seen(organisation_or_404(org_id), profile_id)
    try:
        exclusion = links.delete_profile(profile, current_user, request.form.get("reason", "").strip())
    except links.ActionRefused as refusal:
        flash(str(refusal), "error")
    else:
        excluded = f" Sign In App member {exclusion.display_name} is on the exclusion list." if exclusion else ""
        flash(f"{profile.label} is deleted.{excluded} Support can restore the profile within 90 days.", "success")
    return _back(profile)


@bp.post("/profiles/<int:profile_id>/restore")
@login_required
@allowed("restore_profile")
def restore(org_id, profile_id):
    profile = _profile_as_seen(organisation_or_404(org_id), profile_id)
    try:
        links.restore_profile(profile, current_user)
    except links.ActionRefused as refusal:
        flash(str(refusal), "error")
    else:
        flash(
            f"{profile.label} is active again. Its Sign In App link was not restored and its member stays on the "
            "exclusion list: re-link it below (restoring the exclusion in the same step), or merge it.",
            "success",
        )
    return _back(profile)


@bp.post("/profiles/<int:profile_id>/relink")
@login_required
@allowed("relink")
def relink(org_id, profile_id):
    org = organisation_or_404(org_id)
    profile = _profile_as_seen(org, profile_id)
    member = links.member_of(org, request.form.get("member", type=as_id))
    if member is None:
        flash("Choose the Sign In App member to link from the list.", "error")
        return _back(profile)
    try:
        links.relink(profile, member, current_user, restore_exclusion=request.form.get("restore_exclusion") == "yes")
    except links.ActionRefused as refusal:
        flash(str(refusal), "error")
    else:
        flash(f"{profile.label} is linked to Sign In App member {member.display_name}.", "success")
    return _back(profile)


@bp.route("/profiles/<int:profile_id>/merge", methods=["GET", "POST"])
@login_required
@allowed("merge")
def merge_with(org_id, profile_id):
    org = organisation_or_404(org_id)
    if request.method == "POST":
        kept = _profile_as_seen(org, profile_id)
        removed = _profile_as_seen(org, request.form.get("removed", type=as_id), field="removed_version")
        choices = {field: request.form.get(f"choice_{field}") for field in merge.MERGE_FIELDS}
        merged = f"Merged {removed.label} into {kept.label}."
        try:
            merge.merge(kept, removed, current_user, {f: side for f, side in choices.items() if side})
        except links.ActionRefused as refusal:
            flash(str(refusal), "error")
            return redirect(url_for(".merge_with", org_id=org.id, profile_id=kept.id, removed=removed.id), 303)
        flash(f"{merged} The merge can be undone for 30 days.", "success")
        return _back(kept)
    kept = record_or_404(Profile, profile_id, org)
    removed_id = request.args.get("removed", type=as_id)
    if removed_id is None:
        search = request.args.get("q", "").strip()
        terms = search_terms(search)
        candidates = _matching_profiles(org, terms.words, "active", 0, "").where(Profile.id != kept.id).limit(PER_PAGE)
        return render_template("profiles/merge_pick.html", org=org, kept=kept, search=search, search_notice=terms.notice,
                               candidates=candidates)
    removed = record_or_404(Profile, removed_id, org)
    return render_template(
        "profiles/merge.html", org=org, kept=kept, removed=removed, rows=merge.comparison(kept, removed),
        kept_linked=Link.active_for_profile(kept), removed_linked=Link.active_for_profile(removed),
    )


@bp.post("/merges/<int:merge_id>/undo")
@login_required
@allowed("merge")
def undo_merge(org_id, merge_id):
    org = organisation_or_404(org_id)
    record = record_or_404(MergeRecord, merge_id, org)
    try:
        merge.undo_merge(record, current_user)
    except links.ActionRefused as refusal:
        flash(str(refusal), "error")
    else:
        flash(f"The merge is undone: {record.removed.label} and {record.kept.label} are separate again.", "success")
    return redirect(url_for(".show", org_id=org.id, profile_id=record.kept_id), 303)


nav.register("Profiles", "profiles.index")
