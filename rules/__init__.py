"""Mapping rules: which Sign In App members become which Central Record profile type (DESIGN.md §4).

    from rules import compile_rule, RuleError
    rule = compile_rule("group == Staff and role !~ teacher")
    rule.matches({"group": "Staff", "role": "Caretaker"})   # True
    print(rule.explain(member))                              # each comparison, the member's value, the result

Pure Python: imports lark and the standard library only.
"""

from collections.abc import Iterable, Mapping

from .custom_fields import CustomField, CustomFields
from .custom_fields import warnings as custom_field_warnings
from .errors import RuleError, RuleWarning
from .explain import ComparisonStep, Explanation, LogicStep
from .parser import parse
from .pretty import pretty as _pretty_condition
from .rule import Rule, compile_rule
from .ruleset import MappingEntry, RuleSet
from .syntax import And, Comparison, Condition, Not, Operator, Or
from .validation import group_warnings


def pretty(rule: Rule | Condition | str) -> str:
    """A rule in canonical form: lower-case keywords, minimal parentheses, quotes only where needed."""
    if isinstance(rule, str):
        rule = parse(rule)
    return _pretty_condition(rule.condition if isinstance(rule, Rule) else rule)


def explain(rule: Rule | str, member: Mapping) -> Explanation:
    """Each comparison of `rule` with the member's actual value and its result, and the overall answer."""
    return (rule if isinstance(rule, Rule) else compile_rule(rule)).explain(member)


def validate(text: str, group_names: Iterable[str] | None = None, fields: CustomFields | None = None) -> list[RuleWarning]:
    """Raises RuleError when `text` is not a valid rule; else warnings: unknown group names, given the
    organisation's linked SIA group names, and unknown custom fields, given the account's definitions."""
    condition = parse(text)
    found = [] if group_names is None else group_warnings(text, condition, group_names)
    return found if fields is None else found + custom_field_warnings(text, condition, fields)


__all__ = [
    "And",
    "Comparison",
    "ComparisonStep",
    "Condition",
    "CustomField",
    "CustomFields",
    "Explanation",
    "LogicStep",
    "MappingEntry",
    "Not",
    "Operator",
    "Or",
    "Rule",
    "RuleError",
    "RuleSet",
    "RuleWarning",
    "compile_rule",
    "explain",
    "parse",
    "pretty",
    "validate",
]
