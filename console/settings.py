"""Organisation settings: how the school's SIMS students are imported (its admins and support).

One form: the SIMS username policy, the disable threshold, the SIMS drop folder's path (support only: it
is a path on Tether's server) and the captions of the school's CommandReporter report, with a sample
export uploaded on the same form to check the captions before they are saved. Each setting carries its
help in the SIMS help page's words; `sync.organisation_settings` checks and saves.
"""
import os

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from connectors.sims import DEFAULT_CAPTIONS
from sync import organisation_settings as service
from sync.students import USERNAME_POLICIES, drop_folder

from . import nav
from .access import allowed, can, organisation_or_404

bp = Blueprint("settings", __name__, url_prefix="/organisations/<int:org_id>/settings")

# The report's columns in groups, each with the SIMS help page's words for what it is mapped to.
CAPTION_GROUPS = (
    ("The student", "Forename, Surname and an email address are required in all cases; a record without one "
     "is not imported.", (
        ("person_id", "Person ID — mapped to Third Party ID"),
        ("admission_number", "Admissions Number — mapped to the school identifier field"),
        ("forename", "Forename — mapped to forename"),
        ("surname", "Surname — mapped to surname"),
        ("dob", "Date of Birth — mapped to the date of birth field"),
        ("gender", "Gender — mapped only if a matching gender can be found"),
        ("fsm", "Free School Meal Status — mapped to free school meals"),
        ("sen_provision", "SEN Provisions — mapped to SEN Information"),
        ("ad_username", "Active Directory username — the username under that policy"),
    )),
    ("Home Address", "A single address with the type “H” (meaning Home) is mapped to the address field, and the "
     "postcode matching it to the postcode field; of several, the one with the most recent Start Date.", (
        ("address_id", "Address ID"), ("address_type", "Address Type"), ("address_start_date", "Start Date"),
        ("house_number", "House Number"), ("house_name", "House Name"), ("street", "Street"), ("town", "Town"),
        ("county", "County"), ("postcode", "Postcode"),
    )),
    ("Telephones", "A single telephone with the type “H” (Home) or “M” (Mobile): the one marked Primary, else "
     "the one marked Main, else the first in the list.", (
        ("telephone_id", "Telephone ID"), ("telephone_type", "Telephone Type"), ("telephone_number", "Number"),
        ("telephone_main", "Main"), ("telephone_primary", "Primary"),
    )),
    ("Email addresses", "A single email address with the type “H” (Home, the personal email) or “W” (Work): the one "
     "marked Primary, else Main, else the first. The user must have at least one email address (it should be "
     "marked as primary too).", (
        ("email_id", "Email ID"), ("email_type", "Email Type"), ("email_address", "Email Address"),
        ("email_main", "Main"), ("email_primary", "Primary"),
    )),
)


def _protected():
    """Folders a drop folder may not be inside: Tether's own files, and the root of the per-id folders."""
    return (
        (current_app.instance_path, "holds Tether's own files (its database, secret key and uploads)"),
        (current_app.config["TETHER_SIMS_DROP"], "is inside the drop folders' root, where each organisation's "
         "folder is named after its id"),
    )


def _shown(org):
    """The form's values as saved."""
    captions = service.effective_captions(org.setting("sims_captions"))
    return {
        "username_policy": org.setting("username_policy"),
        "disable_threshold": org.setting("disable_threshold"),
        "sims_drop_folder": org.setting("sims_drop_folder"),
        "captions": captions,
    }


def _submitted():
    values = {
        "username_policy": request.form.get("username_policy", ""),
        "disable_threshold": request.form.get("disable_threshold", ""),
        "captions": {name: request.form.get(f"caption_{name}", "") for name in DEFAULT_CAPTIONS},
    }
    if can("set_drop_folder"):
        values["sims_drop_folder"] = request.form.get("sims_drop_folder", "")
    return values


def _render(org, values, errors=None, status=200):
    return render_template(
        "settings/index.html", org=org, values=values, errors=errors or {}, policies=USERNAME_POLICIES,
        groups=CAPTION_GROUPS, defaults=DEFAULT_CAPTIONS, max_caption=service.MAX_CAPTION, max_path=service.MAX_PATH,
        default_folder=os.path.join(current_app.config["TETHER_SIMS_DROP"], str(org.id)),
        folder=drop_folder(org, current_app.config["TETHER_SIMS_DROP"]),
    ), status


@bp.route("", methods=["GET", "POST"])
@login_required
@allowed("edit_settings")
def index(org_id):
    org = organisation_or_404(org_id)
    if request.method == "GET":
        return _render(org, _shown(org))
    values = _submitted()
    upload = request.files.get("sample")
    try:
        sample = (upload.filename, service.sample_captions(upload.stream, upload.filename)) if upload and upload.filename else None
        outcome = service.update_settings(
            org, values, actor=current_user, drop_root=current_app.config["TETHER_SIMS_DROP"], protected=_protected(),
            sample=sample,
        )
    except service.Invalid as refusal:
        shown = {**_shown(org), **values, "captions": {**_shown(org)["captions"], **values["captions"]}}
        return _render(org, shown, refusal.errors, 422)
    if outcome.changed:
        flash(f"Saved {org.name}'s organisation settings.", "success")
    else:
        flash(f"Nothing changed in {org.name}'s organisation settings.", "success")
    for note in outcome.notes:
        flash(note, "warning")
    return redirect(url_for(".index", org_id=org.id), 303)


nav.register("Organisation settings", "settings.index")
