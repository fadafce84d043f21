"""Writing a condition back as a rule in canonical form: lower-case keywords and fields, single spaces,
parentheses only where precedence needs them, quotes only where a bare word would not read back."""

import re

from .syntax import CUSTOM_PREFIX, And, Comparison, Condition, Not, Or

# As the grammar reads them: a bare word, and the keywords (case-insensitively, as lark matches them).
BARE_WORD = re.compile(r"[\w.@/+-]+")
KEYWORD = re.compile(r"(?i:or|and|not|in|is|empty)")

_ESCAPED = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def pretty(condition: Condition) -> str:
    """The canonical text of a condition; parsing it gives back a condition with the same answers."""
    if isinstance(condition, Comparison):
        return comparison_text(condition)
    if isinstance(condition, Not):
        inner = condition.condition
        return "not " + (f"({pretty(inner)})" if isinstance(inner, (And, Or)) else pretty(inner))
    if isinstance(condition, And):
        return " and ".join(f"({pretty(part)})" if isinstance(part, Or) else pretty(part)
                            for part in condition.conditions)
    return " or ".join(pretty(part) for part in condition.conditions)


def comparison_text(comparison: Comparison) -> str:
    field = field_text(comparison.field, comparison.label)
    operator = comparison.operator
    if not operator.takes_value:
        return f"{field} {operator}"
    if operator.takes_list:
        return f"{field} {operator} ({', '.join(map(value_text, comparison.values))})"
    return f"{field} {operator} {value_text(comparison.values[0])}"


def field_text(field: str, label: str | None = None) -> str:
    """The field as a rule writes it; a custom field whose label is known by its label, quoted."""
    if label is not None:
        return CUSTOM_PREFIX + quoted(label)
    if field.startswith(CUSTOM_PREFIX):
        key = field[len(CUSTOM_PREFIX):]
        return CUSTOM_PREFIX + (key if BARE_WORD.fullmatch(key) else quoted(key))
    return field


def value_text(value: str) -> str:
    """A value bare when it reads back as the same word, else in double quotes."""
    return value if BARE_WORD.fullmatch(value) and not KEYWORD.fullmatch(value) else quoted(value)


def quoted(value: str) -> str:
    return '"' + "".join(_ESCAPED.get(char, char) for char in value) + '"'

