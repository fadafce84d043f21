"""Field mapping editor: which field feeds which, in which direction, always or only on create.

Custom fields are shown by the label Sign In App gives them now (read with the groups as the page loads,
console.groups) and kept by key, so renaming a label in Sign In App changes nothing that is mapped."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from sync import custom_fields, fields

from . import groups as live_groups
from . import nav
from .access import allowed, organisation_or_404

bp = Blueprint("fields", __name__, url_prefix="/organisations/<int:org_id>/field-mapping")


@bp.route("/")
@login_required
def index(org_id):
    org = organisation_or_404(org_id)
    live_groups.linked_groups(org)  # the custom fields' labels as Sign In App gives them now
    known = custom_fields.for_organisation(org)
    return render_template(
        "fields/index.html",
        org=org,
        custom_fields=known,
        shown=lambda field: custom_fields.shown(field, known),
        mappings=fields.in_force(org),
        invalid=fields.field_map(org).invalid,
        sia_fields=fields.SIA_FIELDS,
        # Step 3 of the set-up help: the MIS fields are offered once "Use SIA Wonde Connection" is on.
        mis_fields=fields.MIS_FIELDS if fields.wonde_on(org) else {},
        wonde_toggle=fields.WONDE_TOGGLE,
        date_targets=fields.DATE_TARGETS,
        scr_targets=fields.SCR_TARGETS,
        scr_sources=fields.SCR_SOURCES,
    )


@bp.route("/", methods=["POST"])
@login_required
@allowed("edit_fields")
def add(org_id):
    org = organisation_or_404(org_id)
    direction = request.form.get("direction", "")
    if direction == "to_scr":
        source, target = request.form.get("sia_field", ""), request.form.get("scr_field", "")
    else:
        source, target = request.form.get("scr_field", ""), request.form.get("sia_field", "")
    known = custom_fields.for_organisation(org)
    if source == "custom." or target == "custom.":
        # A custom field named by its label is kept by its key, as Sign In App keys the member's value.
        custom = custom_fields.key_for(request.form.get("custom_key", "").strip(), known)
        source, target = (f"custom.{custom}" if f == "custom." else f for f in (source, target))
    try:
        fields.add_mapping(org, source, target, direction, request.form.get("apply", "always"), current_user)
    except fields.FieldMappingRefused as exc:
        flash(f"Not saved: {exc}.", "error")
    else:
        shown = [custom_fields.shown(field, known) for field in (source, target)]
        flash(f"Mapped {shown[0]} → {shown[1]}. The next sync uses it.", "success")
    return redirect(url_for(".index", org_id=org.id), code=303)


@bp.route("/remove", methods=["POST"])
@login_required
@allowed("edit_fields")
def remove(org_id):
    org = organisation_or_404(org_id)
    try:
        fields.remove_mapping(org, request.form.get("direction", ""), request.form.get("target", ""), current_user)
    except fields.FieldMappingRefused as exc:
        flash(str(exc).capitalize() + ".", "error")
    return redirect(url_for(".index", org_id=org.id), code=303)


nav.register("Field Mapping", "fields.index")
