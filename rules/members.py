"""Reading a member's fields the way rules compare them: case-folded, whitespace collapsed, missing = empty.

A member as rules see it (DESIGN.md §4):
    {"group": "Staff", "group_id": 12, "role": "Teacher of Maths", "email": …, "first_name": …,
     "last_name": …, "custom": {"c3YQ5d9wQi": "Science", "kP0sQ2vLxe": True}}

Custom values keep the type Sign In App gives them: a yes/no compares as `true` or `false`, a number as
its text (`12`, `12.5`).
"""

import functools
from collections.abc import Mapping
from typing import Any


def normalise(value: Any) -> str:
    """The text rules compare: surrounding and repeated whitespace removed, case folded; None is empty."""
    if value is None:
        return ""
    return " ".join(str(value).split()).casefold()


def tidy(value: Any) -> str:
    """The value as a person reads it: whitespace collapsed, case kept; None is empty, a yes/no is true or false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return " ".join(str(value).split())


def full_name(member: Mapping) -> str:
    """`name` = first name and last name."""
    return f"{member.get('first_name') or ''} {member.get('last_name') or ''}"


def custom_value(member: Mapping, key: str) -> Any:
    """A custom field's raw value: under `key` itself, else under a key that reads the same normalised."""
    custom = member.get("custom")
    if not custom:
        return None
    value = custom.get(key)
    if value is None:
        wanted = _normalised_key(key)
        for name, candidate in custom.items():
            if _normalised_key(name) == wanted:
                return candidate
    return value


@functools.lru_cache(maxsize=1024)
def _normalised_key(name: Any) -> str:
    # An organisation's members share a handful of custom field names: normalise each once, not per member.
    return normalise(name)


def raw_value(member: Mapping, field: str) -> Any:
    """The member's value for a rule field before normalising (custom fields are `custom.<key>`)."""
    if field == "name":
        return full_name(member)
    if field.startswith("custom."):
        return custom_value(member, field[len("custom."):])
    return member.get(field)
