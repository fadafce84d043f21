"""Mapping rules editor: ordered rules with live validation, a preview from the mirror, and explain.

Admins and support edit; viewers read. Validation and preview are htmx endpoints that answer with
the fragment they replace, so typing a rule shows its error (with the caret) or its effect at once.
The groups a rule can name are the organisation's linked groups, read from Sign In App as the page
loads (console.groups), so a group just linked there shows after a refresh, without an import; the
account's custom field definitions are read with them, so rules show custom fields by their labels.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from playhouse.flask_utils import get_object_or_404
from jinja2_fragments.flask import render_block

from rules import RuleError
from store.ids import as_id
from store.models import MappingRule, ProfileType, SiaGroup, SiaMember
from store.search import search_terms
from sync import custom_fields, mapping

from . import groups as live_groups
from . import nav
from .access import allowed, organisation_or_404, record_or_404
from .paging import render_list

bp = Blueprint("mapping", __name__, url_prefix="/organisations/<int:org_id>/rules")


def _profile_types(org):
    return list(ProfileType.select().where(ProfileType.organisation == org).order_by(ProfileType.position))


def _candidate(org):
    """The rule being typed, as an unsaved MappingRule, from the form."""
    profile_type = ProfileType.get_or_none(
        (ProfileType.id == request.form.get("profile_type", type=as_id)) & (ProfileType.organisation == org)
    )
    rule_id = request.form.get("rule_id", type=as_id)
    rule = record_or_404(MappingRule, rule_id, org) if rule_id else MappingRule(organisation=org, position=10**6)
    rule.expression = request.form.get("expression", "")
    rule.profile_type = profile_type or (rule.profile_type if rule_id else None)
    return rule


def _rules_with(org, candidate):
    """The saved rules with `candidate` in its place (or last, when new)."""
    rules = [r for r in MappingRule.ordered(org) if r.id != candidate.id]
    if candidate.id is None:
        rules.append(candidate)
    else:
        rules.insert(next((i for i, r in enumerate(rules) if r.position > candidate.position), len(rules)), candidate)
    return rules


def _is_own(refusal, candidate):
    """Whether a refusal of the rule set is about the rule being typed, not a saved one."""
    return refusal.rule is candidate


def _shown_rule(org):
    """A function giving a saved rule's text with its custom fields by their current labels."""
    fields = custom_fields.for_organisation(org)
    return lambda expression: mapping.shown_expression(expression, fields)


def _page_context(org):
    linked = live_groups.linked_groups(org)
    rules = list(MappingRule.ordered(org))
    error = None
    try:
        preview = mapping.preview(org, None)
    except mapping.RuleChangeRefused as exc:
        preview, error = None, str(exc)
    return {
        "org": org,
        "rules": rules,
        "preview": preview,
        "preview_error": error,
        "groups": linked.groups,
        "groups_problem": linked.problem,
        "group_rule": mapping.group_rule,
        "shown_rule": _shown_rule(org),
    }


@bp.route("/")
@login_required
def index(org_id):
    org = organisation_or_404(org_id)
    return render_template("mapping/index.html", **_page_context(org))


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:rule_id>/edit", methods=["GET", "POST"])
@login_required
@allowed("edit_rules")
def edit(org_id, rule_id=None):
    org = organisation_or_404(org_id)
    rule = record_or_404(MappingRule, rule_id, org) if rule_id else None
    if request.method == "POST":
        expression = request.form.get("expression", "")
        try:
            if rule is None:
                mapping.create_rule(org, request.form.get("profile_type", type=as_id), expression, current_user)
            else:
                mapping.update_rule(
                    rule, request.form.get("profile_type", type=as_id), expression, current_user, request.form.get("version", type=as_id)
                )
        except RuleError as exc:
            return _edit_page(org, rule, expression, error=exc), 422
        except mapping.RuleChangeRefused as exc:
            flash(str(exc).capitalize() + ".", "error")
            return _edit_page(org, rule, expression), 409
        flash("Rule saved. Linked profiles keep their type until you apply the type changes below.", "success")
        return redirect(url_for(".index", org_id=org.id), code=303)
    return _edit_page(org, rule, None)


def _edit_page(org, rule, expression, error=None):
    """The editor with `expression` as typed, or (None) the saved rule shown with its current labels."""
    linked = live_groups.linked_groups(org)
    if expression is None:
        expression = _shown_rule(org)(rule.expression) if rule else ""
    warnings, canonical = [], None
    if error is None and expression.strip():
        try:
            canonical, warnings = mapping.check_expression(org, expression)
        except RuleError as exc:
            error = exc
    return render_template(
        "mapping/edit.html",
        org=org,
        rule=rule,
        expression=expression,
        profile_types=_profile_types(org),
        selected_type=request.form.get("profile_type", type=as_id) or (rule.profile_type_id if rule else None),
        error=error,
        warnings=warnings,
        canonical=canonical,
        groups=linked.groups,
        groups_problem=linked.problem,
        group_rule=mapping.group_rule,
        custom_fields=custom_fields.for_organisation(org),
    )


@bp.route("/validate", methods=["POST"])
@login_required
@allowed("edit_rules")
def validate(org_id):
    org = organisation_or_404(org_id)
    live_groups.linked_groups(org)  # a group linked meanwhile is no longer an unknown name
    expression = request.form.get("expression", "")
    error, warnings, canonical = None, [], None
    if expression.strip():
        try:
            canonical, warnings = mapping.check_expression(org, expression)
        except RuleError as exc:
            error = exc
    return render_block("mapping/edit.html", "feedback", error=error, warnings=warnings, canonical=canonical, expression=expression)


@bp.route("/preview", methods=["POST"])
@login_required
@allowed("edit_rules")
def preview(org_id):
    org = organisation_or_404(org_id)
    live_groups.linked_groups(org)
    candidate = _candidate(org)
    result, error = None, None
    if candidate.profile_type_id is None:
        error = "Choose the profile type this rule maps to."
    else:
        try:
            result = mapping.preview(org, _rules_with(org, candidate), edited=candidate)
        except mapping.RuleChangeRefused as exc:
            # The rule being typed is still wrong (its error shows beside it), or a saved one no longer compiles.
            error = "Fix the rule to see its preview." if isinstance(exc.__cause__, RuleError) and _is_own(exc, candidate) else str(exc).capitalize() + "."
    return render_block("mapping/edit.html", "preview", preview=result, preview_error=error, org=org, rule=candidate)


@bp.route("/<int:rule_id>/move", methods=["POST"])
@login_required
@allowed("edit_rules")
def move(org_id, rule_id):
    org = organisation_or_404(org_id)
    mapping.move_rule(record_or_404(MappingRule, rule_id, org), -1 if request.form.get("direction") == "up" else 1, current_user)
    return redirect(url_for(".index", org_id=org.id), code=303)


@bp.route("/<int:rule_id>/enabled", methods=["POST"])
@login_required
@allowed("edit_rules")
def toggle(org_id, rule_id):
    org = organisation_or_404(org_id)
    rule = record_or_404(MappingRule, rule_id, org)
    try:
        mapping.set_enabled(rule, request.form.get("enabled") == "1", current_user, request.form.get("version", type=as_id))
    except mapping.RuleChangeRefused as exc:
        flash(str(exc).capitalize() + ".", "error")
    return redirect(url_for(".index", org_id=org.id), code=303)


@bp.route("/<int:rule_id>/delete", methods=["POST"])
@login_required
@allowed("edit_rules")
def delete(org_id, rule_id):
    org = organisation_or_404(org_id)
    mapping.delete_rule(record_or_404(MappingRule, rule_id, org), current_user)
    flash("Rule deleted.", "success")
    return redirect(url_for(".index", org_id=org.id), code=303)


@bp.route("/apply-type-changes", methods=["POST"])
@login_required
@allowed("edit_rules")
def apply_type_changes(org_id):
    org = organisation_or_404(org_id)
    try:
        changed = mapping.apply_type_changes(org, current_user)
    except mapping.RuleChangeRefused as exc:
        flash(str(exc).capitalize() + ".", "error")
    else:
        flash(f"Changed the profile type of {changed} linked profile{'s' if changed != 1 else ''}.", "success")
    return redirect(url_for(".index", org_id=org.id), code=303)


@bp.route("/explain")
@login_required
def explain(org_id):
    org = organisation_or_404(org_id)
    live_groups.linked_groups(org)  # the groups, and the custom fields' labels, as Sign In App gives them now
    searched = search_terms(request.args.get("q", ""))
    q = " ".join(searched.words)
    groups = {g.id: g for g in SiaGroup.synced_for(org)}
    candidates = []
    if q and groups:
        candidates = list(
            SiaMember.mentioning(q)
            .where(SiaMember.group.in_(list(groups)))
            .order_by(SiaMember.id)
            .limit(20)
        )
    chosen = None
    member_id = request.args.get("member", type=as_id)
    if member_id:
        chosen = get_object_or_404(SiaMember, SiaMember.id == member_id, SiaMember.group.in_(list(groups) or [0]))
    traced, winner = mapping.explain_member(org, chosen) if chosen else ([], None)
    return render_list(
        "mapping/explain.html", "explain_results", org=org, q=q, search_notice=searched.notice, candidates=candidates,
        chosen=chosen, traced=traced, winner=winner, shown_rule=_shown_rule(org),
    )


nav.register("Profile Type Map", "mapping.index")
