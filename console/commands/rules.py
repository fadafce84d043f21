"""`tether rules`: check a mapping rule and explain it for one member, from the command line (DESIGN.md §10)."""

import json
import sys

import click

from rules import RuleError, compile_rule

from .common import stop

MEMBER_EXAMPLE = '{"group": "Staff", "role": "Teacher of Maths"}'


@click.group("rules")
def rules():
    """Check mapping rules and explain how they treat a member."""


@rules.command("check")
@click.argument("expression")
@click.option("--groups", "group_names", multiple=True, metavar="NAME",
              help="A linked SIA group's name (repeat for each); unknown group names in the rule are warned about.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def check(expression: str, group_names: tuple[str, ...], as_json: bool):
    """Check EXPRESSION; print it in canonical form. Exit 0 when valid, 2 when not."""
    try:
        rule = compile_rule(expression)
    except RuleError as error:
        _fail(error, as_json)
    warnings = rule.warnings(group_names) if group_names else []
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
@click.option("--json", "as_json", is_flag=True, help="Print the trace as one JSON document.")
def explain(expression: str, member_json: str, as_json: bool):
    """Show each comparison of EXPRESSION with the member's value. Exit 0 on a match, 1 on none, 2 on bad input."""
    try:
        rule = compile_rule(expression)
    except RuleError as error:
        _fail(error, as_json)
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
