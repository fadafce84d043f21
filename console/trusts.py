"""Trusts and organisations (support only, site-wide): create a trust, add a school to it, rename either.

This is a site page, not an organisation's: support creates and renames schools here whether or not a
school has opened its portal to support, so organisations are looked up by id here rather than through
`organisation_or_404` (which scopes an organisation's own pages to what the user may see). The URLs
name `organisation_id`, never `org_id`, so no organisation menu hangs off them.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from peewee import fn
from playhouse.flask_utils import get_object_or_404

from store.models import Organisation, Trust
from store.search import search_phrase
from sync import organisations
from sync.organisations import MAX_NAME, Invalid

from . import nav
from .access import allowed
from .paging import paginate, render_list

bp = Blueprint("trusts", __name__, url_prefix="/trusts")


def _trusts(q):
    query = Trust.select().order_by(fn.LOWER(Trust.name), Trust.id)
    if q:
        named = Organisation.select(Organisation.trust).where(Organisation.name.contains(q) & Organisation.trust.is_null(False))
        query = query.where(Trust.name.contains(q) | Trust.id.in_(named))
    return query


def _render_index(*, errors=None, form=None, status=200):
    q = search_phrase(request.args.get("q", ""))
    without_trust = list(Organisation.select().where(Organisation.trust.is_null()).order_by(Organisation.name))
    response = render_list(
        "trusts/index.html", page=paginate(_trusts(q), related=[Organisation]), q=q, without_trust=without_trust,
        errors=errors or {}, form=form or {}, max_name=MAX_NAME,
    )
    return response, status


@bp.route("", methods=["GET", "POST"])
@login_required
@allowed("manage_organisations")
def index():
    if request.method == "GET":
        return _render_index()
    try:
        trust = organisations.create_trust(request.form.get("name", ""), actor=current_user)
    except Invalid as invalid:
        return _render_index(errors=invalid.errors, form=request.form, status=422)
    flash(f"Trust {trust.name} created: now add its schools.", "success")
    return redirect(url_for(".show", trust_id=trust.id), 303)


def _render_trust(trust, *, errors=None, form=None, status=200):
    schools = list(Organisation.select().where(Organisation.trust == trust).order_by(fn.LOWER(Organisation.name)))
    return render_template(
        "trusts/show.html", trust=trust, schools=schools, errors=errors or {}, form=form or {}, max_name=MAX_NAME,
    ), status


@bp.route("/<int:trust_id>", methods=["GET", "POST"])
@login_required
@allowed("manage_organisations")
def show(trust_id):
    trust = get_object_or_404(Trust, Trust.id == trust_id)
    if request.method == "GET":
        return _render_trust(trust)
    try:
        organisations.rename_trust(trust, request.form.get("name", ""), actor=current_user)
    except Invalid as invalid:
        return _render_trust(trust, errors={"trust_" + k: v for k, v in invalid.errors.items()}, form=request.form, status=422)
    flash(f"Trust renamed {trust.name}.", "success")
    return redirect(url_for(".show", trust_id=trust.id), 303)


@bp.post("/<int:trust_id>/organisations")
@login_required
@allowed("manage_organisations")
def add_organisation(trust_id):
    trust = get_object_or_404(Trust, Trust.id == trust_id)
    try:
        organisation = organisations.create_organisation(
            trust, request.form.get("name", ""), request.form.get("urn", ""), actor=current_user
        )
    except Invalid as invalid:
        return _render_trust(trust, errors=invalid.errors, form=request.form, status=422)
    flash(f"{organisation.name} created in {trust.name} (organisation {organisation.id}), setting up.", "success")
    return redirect(url_for(".show", trust_id=trust.id), 303)


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
@login_required
@allowed("manage_organisations")
def edit_organisation(organisation_id):
    organisation = get_object_or_404(Organisation, Organisation.id == organisation_id)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            organisations.rename_organisation(
                organisation, request.form.get("name", ""), request.form.get("urn", ""), actor=current_user
            )
        except Invalid as invalid:
            errors, status = invalid.errors, 422
        else:
            flash(f"Saved {organisation.name}.", "success")
            back = url_for(".show", trust_id=organisation.trust_id) if organisation.trust_id else url_for(".index")
            return redirect(back, 303)
    return render_template(
        "trusts/organisation.html", organisation=organisation, errors=errors,
        form=request.form if errors else {}, max_name=MAX_NAME,
    ), status


nav.register("Trusts and organisations", "trusts.index", per_organisation=False)
