"""Warnings for rules that are valid but probably wrong: group names the organisation's SIA does not have."""

import difflib
from collections.abc import Iterable

from .errors import RuleWarning
from .members import normalise, tidy
from .syntax import Comparison, Condition, Operator, comparisons

_PARTIAL = {
    Operator.CONTAINS: ("contains", str.__contains__),
    Operator.NOT_CONTAINS: ("contains", str.__contains__),
    Operator.STARTS_WITH: ("starts with", str.startswith),
    Operator.ENDS_WITH: ("ends with", str.endswith),
}


def group_warnings(text: str, condition: Condition, group_names: Iterable[str]) -> list[RuleWarning]:
    """A warning for each group name in the rule that none of `group_names` (the linked SIA groups) answers to.

    Numbers are left alone: they compare SIA group ids, which names cannot confirm.
    """
    known = {normalise(name): tidy(name) for name in group_names}
    warnings = []
    for comparison in comparisons(condition):
        if comparison.field != "group" or not comparison.operator.takes_value:
            continue
        positions = comparison.value_positions or [(comparison.line, comparison.column)] * len(comparison.values)
        for value, (line, column) in zip(comparison.values, positions):
            message = _unknown_group(comparison, value, known)
            if message:
                warnings.append(RuleWarning(message, text, line, column))
    return warnings


def _unknown_group(comparison: Comparison, value: str, known: dict[str, str]) -> str | None:
    wanted = normalise(value)
    if wanted.isascii() and wanted.isdigit():
        return None
    if comparison.operator in _PARTIAL:
        words, test = _PARTIAL[comparison.operator]
        if any(test(name, wanted) for name in known):
            return None
        return f"no linked group's name {words} '{value}'"
    if wanted in known:
        return None
    message = f"no linked group called '{value}'"
    close = difflib.get_close_matches(wanted, list(known), n=1, cutoff=0.6)
    if close:
        return f"{message}; did you mean '{known[close[0]]}'?"
    if not known:
        return f"{message}; this organisation has no linked groups"
    return message
