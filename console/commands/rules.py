"""`tether rules`: check a mapping rule and explain it for one member, from the command line (DESIGN.md §10)."""

import json
import sys

import click

from rules import RuleError, compile_rule

from .common import ID, connected, organisation_or_stop, stop

MEMBER_EXAMPLE = '{"group": "Staff", "role": "Teacher of Maths"}'
IN_ORG = click.option(
    "--org", "org_id", type=ID, default=None,
    help="Check against this organisation: its linked groups' names and its Sign In App account's custom "
         "fields, so a custom field may be named by its label (custom.\"Department\").",
)


def _compiled(expression, org_id, as_json):
    """(rule, linked group names or None) for EXPRESSION, its custom fields resolved for --org when given."""
    fields = names = None
    if org_id is not None:
        from sync import custom_fields
        from sync.mapping import linked_group_names

        with connected():
            organisation = organisation_or_stop(org_id)
            fields, names = custom_fields.for_organisation(organisation), linked_group_names(organisation)
    try:
        return compile_rule(expression, fields), names
    except RuleError as error:
        _fail(error, as_json)


@click.group("rules")
def rules():
    """Check mapping rules and explain how they treat a member."""


@rules.command("check")
@click.argument("expression")
@click.option("--groups", "group_names", multiple=True, metavar="NAME",
              help="A linked SIA group's name (repeat for each); unknown group names in the rule are warned about.")
@IN_ORG
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def check(expression: str, group_names: tuple[str, ...], org_id: int | None, as_json: bool):
    """Check EXPRESSION; print it in canonical form. Exit 0 when valid, 2 when not."""
    rule, linked = _compiled(expression, org_id, as_json)
    names = group_names or linked
    warnings = rule.warnings(names) if names is not None or rule.fields is not None else []
    if as_json:
        click.echo(json.dumps({"valid": True, "canonical": rule.canonical,
                               "warnings": [warning.to_dict() for warning in warnings]}))
    else:
        click.echo(rule.canonical)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


@rules.command("explain")
@click.argument("expression")
@click.option("--member", "member_json", required=True, metavar="JSON", help=f"The member, e.g. '{MEMBER_EXAMPLE}'.")
@IN_ORG
@click.option("--json", "as_json", is_flag=True, help="Print the trace as one JSON document.")
def explain(expression: str, member_json: str, org_id: int | None, as_json: bool):
    """Show each comparison of EXPRESSION with the member's value. Exit 0 on a match, 1 on none, 2 on bad input."""
    rule, _ = _compiled(expression, org_id, as_json)
    try:
        member = json.loads(member_json)
    except json.JSONDecodeError as error:
        stop(f"--member is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno}); "
              f"give an object such as '{MEMBER_EXAMPLE}'")
    if not isinstance(member, dict):
        stop(f"--member must be a JSON object such as '{MEMBER_EXAMPLE}'")
    explanation = rule.explain(member)
    click.echo(json.dumps(explanation.to_dict()) if as_json else explanation.render())
    sys.exit(0 if explanation.matched else 1)


def _fail(error: RuleError, as_json: bool):
    if as_json:
        click.echo(json.dumps({"valid": False, "error": error.to_dict()}))
    stop(str(error))
