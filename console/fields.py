"""Field mapping editor: which field feeds which, in which direction, always or only on create."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from sync import fields

from . import nav
from .access import allowed, organisation_or_404

bp = Blueprint("fields", __name__, url_prefix="/organisations/<int:org_id>/field-mapping")


@bp.route("/")
@login_required
def index(org_id):
    org = organisation_or_404(org_id)
    return render_template(
        "fields/index.html",
        org=org,
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
    if source == "custom." or target == "custom.":
        custom = request.form.get("custom_key", "").strip()
        source, target = (f"custom.{custom}" if f == "custom." else f for f in (source, target))
    try:
        fields.add_mapping(org, source, target, direction, request.form.get("apply", "always"), current_user)
    except fields.FieldMappingRefused as exc:
        flash(f"Not saved: {exc}.", "error")
    else:
        flash(f"Mapped {source} → {target}. The next sync uses it.", "success")
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
