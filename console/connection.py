"""Settings → Sign In App → Connection: the page every "check the connection" message points at.

It shows the Sign In App account the school syncs through (its trust's, or its own): base URL, API key,
when it was created and "secret saved" — the secret itself is never shown again. Support creates the
connection once getting started is complete and may change the base URL, key and secret; admins and
support press "Test connection" and set the set-up help's "Use SIA Wonde Connection (if available)".
The safety-check tokens live on their own page ("Sign In App tokens"), linked from here.

"Linked groups" lists the account's Repeat groups, read from Sign In App as the page loads (`GET /groups`,
sync.live.read_groups), each with whether Tether keeps it linked to this school and what
Sign In App's integration settings say; support ticks the groups that sync (sync.group_links).
"""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from htmx_flask import request
from jinja2_fragments.flask import render_block

from connectors.sia.client import connection_label
from store.ids import InvalidId, parse_id
from store.models import SiaConnection
from sync import connections, group_links, live
from sync.organisations import Invalid

from . import nav
from .access import allowed, organisation_or_404

bp = Blueprint("connection", __name__, url_prefix="/organisations/<int:org_id>/settings/sign-in-app/connection")
TEMPLATE = "connection/show.html"


def sandbox_mounted():
    """Whether this Tether serves the Sign In App sandbox, so a connection may be of kind `sandbox`."""
    return "sandbox_api" in current_app.blueprints


def _form_values():
    """What the credentials form sent: never the secret, which is not shown again after an error either."""
    return {key: request.form.get(key, "") for key in ("kind", "base_url", "api_key")}


def _groups(org, connection):
    """(the connection's Repeat groups as the page lists them, why they could not be read just now or None,
    how many are linked to other schools of the trust)."""
    if connection is None:
        return [], None, 0
    # Read now, not through the minute-long cache of the pages that list linked groups (console.groups):
    # this page is where links are made, and it must not hold back a link made in Sign In App meanwhile.
    problem = live.read_groups(connection)
    groups = [group_links.describe(group, org) for group in group_links.choices(org, connection)]
    return groups, problem, group_links.elsewhere(org, connection)


def _render(org, *, errors=None, form=None, status=200):
    connection = SiaConnection.for_organisation(org)
    may_create, reason = (False, "")
    if connection is None:
        may_create, reason = connections.may_create_connection(org)
    groups, groups_problem, groups_elsewhere = _groups(org, connection)
    context = {
        "org": org,
        "connection": connection,
        "label": connection_label(connection) if connection else "",
        "trust_wide": connection is not None and connection.trust_id is not None,
        "secret_problem": connections.secret_problem(connection) if connection else None,
        "may_create": may_create,
        "reason": reason,
        "kinds": connections.KIND_LABELS,
        "sandbox_mounted": sandbox_mounted(),
        "errors": errors or {},
        "form": form or {},
        "groups": groups,
        "groups_problem": groups_problem,
        "groups_elsewhere": groups_elsewhere,
        "connection_page": group_links.CONNECTION_PAGE,
    }
    return render_template(TEMPLATE, **context), status, {"Cache-Control": "no-store"}


@bp.get("")
@login_required
@allowed("see_connection")
def show(org_id):
    return _render(organisation_or_404(org_id))


@bp.post("/create")
@login_required
@allowed("manage_connection")
def create(org_id):
    org = organisation_or_404(org_id)
    try:
        connections.create_for_organisation(org, request.form, actor=current_user, sandbox_mounted=sandbox_mounted())
    except connections.NotYet as refused:
        flash(str(refused), "error")
        return _render(org, form=_form_values(), status=422)
    except Invalid as invalid:
        return _render(org, errors=invalid.errors, form=_form_values(), status=422)
    flash("Connection created and its secret saved: press “Test connection” to check Sign In App accepts it.", "success")
    return _back_to_page(org)


def _back_to_page(org):
    return redirect(url_for(".show", org_id=org.id), 303)


def _connection_or_say(org, why_not):
    """The school's connection; None, with "<school> has no Sign In App connection <why_not>" flashed, when none."""
    connection = SiaConnection.for_organisation(org)
    if connection is None:
        flash(f"{org.name} has no Sign In App connection {why_not}", "error")
    return connection


@bp.post("/credentials")
@login_required
@allowed("manage_connection")
def update(org_id):
    org = organisation_or_404(org_id)
    connection = _connection_or_say(org, "to change; create it first.")
    if connection is None:
        return _back_to_page(org)
    try:
        connections.update_credentials(
            connection, request.form, actor=current_user, organisation=org, sandbox_mounted=sandbox_mounted()
        )
    except Invalid as invalid:
        return _render(org, errors=invalid.errors, form=_form_values(), status=422)
    flash("Connection saved. Press “Test connection” to check Sign In App accepts it.", "success")
    return _back_to_page(org)


@bp.post("/wonde")
@login_required
@allowed("use_wonde")
def save_wonde(org_id):
    org = organisation_or_404(org_id)
    connection = _connection_or_say(org, "yet, so there is nothing to save.")
    if connection is None:
        return _back_to_page(org)
    on = request.form.get("wonde") == "on"
    connections.set_wonde(connection, on, actor=current_user, organisation=org)
    flash(f"Saved: Use SIA Wonde Connection (if available) is {'on' if on else 'off'}.", "success")
    return _back_to_page(org)


@bp.post("/test")
@login_required
@allowed("test_connection")
def test(org_id):
    org = organisation_or_404(org_id)
    connection = _connection_or_say(org, "to test; support creates it first.")
    if connection is None:
        return _back_to_page(org)
    result = connections.test_connection(connection, actor=current_user, organisation=org)
    if request.htmx:
        return render_block(TEMPLATE, "connection_test", org=org, connection=connection, detail=result.detail)
    if result.detail:
        flash(result.detail, "info")
    return _back_to_page(org)


def _group_ids(name):
    """The SIA group ids the form sent under `name`, each checked; InvalidId or LinkRefused when not."""
    values = request.form.getlist(name)
    if len(values) > group_links.MAX_GROUPS:
        raise group_links.LinkRefused(f"The form named more than {group_links.MAX_GROUPS} groups; reload the page and try again.")
    return [parse_id(value, "Sign In App group id") for value in values]


@bp.post("/groups")
@login_required
@allowed("link_groups")
def save_groups(org_id):
    """"Save linked groups": the ticked groups are linked to the school, the other groups shown unlinked."""
    org = organisation_or_404(org_id)
    connection = _connection_or_say(org, "yet, so no group can be linked.")
    if connection is None:
        return _back_to_page(org)
    try:
        ticked, shown = _group_ids("group"), _group_ids("shown")
        linked, unlinked = group_links.set_links(
            org, connection, link=ticked, unlink=[group_id for group_id in shown if group_id not in ticked],
            actor=current_user,
        )
    except (InvalidId, group_links.LinkRefused) as refused:
        flash(f"Nothing was changed: {refused}", "error")
        return _render(org, status=422)
    said = [f"linked {', '.join(linked)}" if linked else "", f"unlinked {', '.join(unlinked)}" if unlinked else ""]
    flash(("Saved: " + "; ".join(s for s in said if s) + ". Run the import to sync them.") if linked or unlinked
          else "Nothing to change: the linked groups are as shown.", "success")
    return _back_to_page(org)


nav.register("Connection", "connection.show")
