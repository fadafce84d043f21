"""Compliance pages: recording and editing checks, the organisation summary, rating systems, tokens.

The profile page (console.profiles) shows a profile's readiness and checks through this module's
partials, `compliance/_readiness.html` and `compliance/_checks.html`, fed by
`compliance.readiness.check_records_of` and `CheckType.of_organisation`; the check forms here send the person back to it.

Every query is scoped to an organisation the signed-in user may see (another school's records are
404); changes need an admin or support user and go through one service in compliance/, which writes
the audit event.
"""
import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from playhouse.flask_utils import get_object_or_404

from compliance import readiness as readiness_service
from compliance import records, templates, tokens
from store import policy
from store.models import CheckRecord, CheckType, Profile, ProfileType, RatingRequirement, RatingSystem
from store.models import Organisation, RatingTemplate, SafetyCheckToken, SiaConnection, Trust

from . import nav
from .access import allowed, can, organisation_or_404, record_or_404

bp = Blueprint("compliance", __name__)


def _profile_url(org, profile):
    # The profile page itself belongs to console.profiles, which includes this module's partials.
    return url_for("profiles.show", org_id=org.id, profile_id=profile.id) + "#checks"


def _render_check_form(org, person, record, errors, status):
    return (
        render_template(
            "compliance/check_form.html", org=org, profile=person, record=record, check_types=CheckType.of_organisation(org),
            errors=errors, form=request.form if errors else {},
        ),
        status,
    )


@bp.route("/organisations/<int:org_id>/profiles/<int:profile_id>/checks", methods=["GET", "POST"])
@login_required
@allowed("record_checks")
def add_check(org_id, profile_id):
    org = organisation_or_404(org_id)
    person = record_or_404(Profile, profile_id, org)
    if request.method == "GET":
        return _render_check_form(org, person, None, {}, 200)
    try:
        record = records.add_check(person, request.form, actor=current_user)
    except records.Invalid as exc:
        return _render_check_form(org, person, None, exc.errors, 422)
    flash(f"{record.check_type.name} recorded for {person.label}.", "success")
    return redirect(_profile_url(org, person), 303)


@bp.route("/organisations/<int:org_id>/profiles/<int:profile_id>/checks/<int:check_id>", methods=["GET", "POST"])
@login_required
@allowed("record_checks")
def edit_check(org_id, profile_id, check_id):
    org = organisation_or_404(org_id)
    person = record_or_404(Profile, profile_id, org)
    record = get_object_or_404(CheckRecord, CheckRecord.id == check_id, CheckRecord.profile == person)
    if request.method == "GET":
        return _render_check_form(org, person, record, {}, 200)
    try:
        records.update_check(record, request.form, actor=current_user)
    except records.Invalid as exc:
        return _render_check_form(org, person, record, exc.errors, 422)
    flash(f"{record.check_type.name} updated for {person.label}.", "success")
    return redirect(_profile_url(org, person), 303)


@bp.get("/organisations/<int:org_id>/compliance")
@login_required
def summary(org_id):
    org = organisation_or_404(org_id)
    today = datetime.date.today()
    systems, tallies = readiness_service.organisation_readiness(org, today)
    return render_template(
        "compliance/summary.html",
        org=org,
        systems=systems,
        tallies=tallies,
        profile_types=list(ProfileType.select().where(ProfileType.organisation == org).order_by(ProfileType.position)),
        expiring=readiness_service.expiring_checks(org, today),
        days=readiness_service.EXPIRING_SOON_DAYS,
    )


@bp.route("/organisations/<int:org_id>/rating-systems", methods=["GET", "POST"])
@login_required
@allowed("manage_rating_systems")
def rating_systems(org_id):
    org = organisation_or_404(org_id)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            system = records.create_rating_system(org, request.form, actor=current_user)
        except records.Invalid as exc:
            errors, status = exc.errors, 422
        else:
            flash(f"Rating system {system.name} created: now choose what each profile type needs.", "success")
            return redirect(url_for(".rating_system", org_id=org.id, system_id=system.id), 303)
    return (
        render_template(
            "compliance/rating_systems.html", org=org, systems=readiness_service.rating_systems_of(org.id),
            errors=errors, form=request.form if errors else {},
            manages_trust=org.trust_id is not None and policy.may_manage_trust(current_user, org.trust_id),
        ),
        status,
    )


@bp.route("/organisations/<int:org_id>/rating-systems/<int:system_id>", methods=["GET", "POST"])
@login_required
@allowed("manage_rating_systems")
def rating_system(org_id, system_id):
    org = organisation_or_404(org_id)
    system = record_or_404(RatingSystem, system_id, org)
    errors, status = {}, 200
    if request.method == "POST":
        # An inherited system is refused by update_rating_system, in words, like any other mistake.
        try:
            records.update_rating_system(system, request.form, actor=current_user)
        except records.Invalid as exc:
            errors, status = exc.errors, 422
        else:
            flash(f"Rating system {system.name} saved.", "success")
            return redirect(url_for(".rating_system", org_id=org.id, system_id=system.id), 303)
    required = {
        f"{r.profile_type_id}:{r.check_type_id}"
        for r in RatingRequirement.select().where(RatingRequirement.rating_system == system)
    }
    if errors:
        required = set(request.form.getlist("requirements"))
    return (
        render_template(
            "compliance/rating_system.html", org=org, system=system, errors=errors,
            form=request.form if errors else {}, required=required, check_types=CheckType.of_organisation(org),
            profile_types=list(ProfileType.select().where(ProfileType.organisation == org).order_by(ProfileType.position)),
            manages_trust=system.inherited and policy.may_manage_trust(current_user, system.template.trust_id),
        ),
        status,
    )


def _trust_or_404(trust_id):
    """The trust if the signed-in user may manage its templates; 404 otherwise, whether it exists or not."""
    if not policy.may_manage_trust(current_user, trust_id):
        abort(404)
    return get_object_or_404(Trust, Trust.id == trust_id)


def _render_template_page(page, trust, template, errors, status, required=None):
    type_names, checks = templates.choices(trust)
    if errors:
        required = set(request.form.getlist("requirements"))
    return (
        render_template(
            page, trust=trust, template=template, templates=templates.templates_of(trust), errors=errors,
            form=request.form if errors else {}, type_names=type_names, checks=checks,
            required=required or set(), key=templates.requirement_key,
            schools=list(trust.organisations.order_by(Organisation.name)),
        ),
        status,
    )


@bp.route("/trusts/<int:trust_id>/rating-systems", methods=["GET", "POST"])
@login_required
@allowed("manage_rating_systems")
def trust_rating_systems(trust_id):
    trust = _trust_or_404(trust_id)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            template = templates.create_template(trust, request.form, actor=current_user)
        except records.Invalid as exc:
            errors, status = exc.errors, 422
        else:
            flash(f"Rating system {template.name} created for every school of {trust.name}: now choose what each profile type needs.", "success")
            return redirect(url_for(".trust_rating_system", trust_id=trust.id, template_id=template.id), 303)
    return _render_template_page("compliance/trust_rating_systems.html", trust, None, errors, status)


@bp.route("/trusts/<int:trust_id>/rating-systems/<int:template_id>", methods=["GET", "POST"])
@login_required
@allowed("manage_rating_systems")
def trust_rating_system(trust_id, template_id):
    trust = _trust_or_404(trust_id)
    template = get_object_or_404(RatingTemplate, RatingTemplate.id == template_id, RatingTemplate.trust == trust)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            templates.update_template(template, request.form, actor=current_user)
        except records.Invalid as exc:
            errors, status = exc.errors, 422
        else:
            flash(f"Rating system {template.name} saved for every school of {trust.name}.", "success")
            return redirect(url_for(".trust_rating_system", trust_id=trust.id, template_id=template.id), 303)
    return _render_template_page(
        "compliance/trust_rating_system.html", trust, template, errors, status, required=templates.required_keys(template)
    )


@bp.post("/trusts/<int:trust_id>/rating-systems/<int:template_id>/delete")
@login_required
@allowed("manage_rating_systems")
def delete_trust_rating_system(trust_id, template_id):
    trust = _trust_or_404(trust_id)
    template = get_object_or_404(RatingTemplate, RatingTemplate.id == template_id, RatingTemplate.trust == trust)
    templates.delete_template(template, actor=current_user)
    flash(f"Rating system {template.name} removed from every school of {trust.name}.", "success")
    return redirect(url_for(".trust_rating_systems", trust_id=trust.id), 303)


def _connection_for(org):
    """The organisation's SIA connection, and whether the signed-in user may manage its tokens.

    A trust's connection answers for every school of the trust, so only support manages its tokens.
    """
    connection = SiaConnection.for_organisation(org)
    manageable = connection is not None and (connection.organisation_id == org.id or can("manage_trust_tokens"))
    return connection, manageable


def _render_tokens(org, *, secret=None, created=None, status=200):
    connection, manageable = _connection_for(org)
    response = render_template(
        "compliance/tokens.html",
        org=org,
        connection=connection,
        manageable=manageable,
        tokens=list(SafetyCheckToken.of_connection(connection)) if connection else [],
        secret=secret,
        created=created,
    )
    return response, status, {"Cache-Control": "no-store"}


@bp.get("/organisations/<int:org_id>/sia-tokens")
@login_required
@allowed("manage_tokens")
def token_list(org_id):
    return _render_tokens(organisation_or_404(org_id))


@bp.post("/organisations/<int:org_id>/sia-tokens")
@login_required
@allowed("manage_tokens")
def create_token(org_id):
    org = organisation_or_404(org_id)
    connection, manageable = _connection_for(org)
    if not manageable:
        abort(403)
    token, secret = tokens.create(connection, actor=current_user, name=request.form.get("name", "")[:100])
    # Shown in this answer only (never flashed: the session cookie would carry it).
    return _render_tokens(org, secret=secret, created=token, status=201)


@bp.post("/organisations/<int:org_id>/sia-tokens/<int:token_id>/revoke")
@login_required
@allowed("manage_tokens")
def revoke_token(org_id, token_id):
    org = organisation_or_404(org_id)
    connection, manageable = _connection_for(org)
    if not manageable:
        abort(403)
    token = get_object_or_404(SafetyCheckToken, SafetyCheckToken.id == token_id, SafetyCheckToken.connection == connection)
    try:
        tokens.revoke(token, actor=current_user)
    except tokens.TokenError as exc:
        flash(str(exc), "warning")
    else:
        flash(f"Token {token.prefix}… revoked: Sign In App can no longer use it.", "success")
    return redirect(url_for(".token_list", org_id=org.id), 303)


nav.register("Compliance", "compliance.summary")
nav.register("Rating systems", "compliance.rating_systems")
nav.register("Sign In App tokens", "compliance.token_list")
