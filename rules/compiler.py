"""Compiling a rule's condition into Python source, once, so matching a member costs what a hand-written lambda does.

Expected values are normalised when the rule is compiled; a member's fields are normalised inside the
generated code: a field several comparisons read, once; any other, only if its comparison is reached.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from .members import custom_value, full_name, normalise
from .syntax import CUSTOM_PREFIX, And, Comparison, Condition, Not, Operator, comparisons

Matcher = Callable[[Mapping], Any]

# The group's numeric SIA id; `group == 12` compares it as well as the group's name.
GROUP_ID = "group_id"

_NAMESPACE = {"_full_name": full_name, "_custom_value": custom_value, "_NO_FIELDS": MappingProxyType({})}


def group_ids(comparison: Comparison) -> list[str]:
    """The expected values of a group comparison that can be SIA group ids."""
    if comparison.field != "group":
        return []
    return [value for value in map(normalise, comparison.values) if value.isascii() and value.isdigit()]


def fields_read(comparison: Comparison) -> list[str]:
    """The member fields a comparison reads (`group_id` when it may compare ids or asks if the group is empty)."""
    reads_id = group_ids(comparison) or (comparison.field == "group" and not comparison.operator.takes_value)
    return [comparison.field, GROUP_ID] if reads_id else [comparison.field]


class _FieldReads:
    """Python expressions for a member's fields inside generated code.

    A field read by more than one comparison is normalised once into a local (see `assignment`), just before
    the first rule that needs it; any other field is read where it is compared, so a comparison that is
    never reached costs nothing.
    """

    def __init__(self, shared: Iterable[str]):
        self.locals = {field: f"field_{index}" for index, field in enumerate(shared)}
        self.temporaries = 0

    def text(self, field: str) -> str:
        """The field's normalised text."""
        return self.locals.get(field) or self._normalised(field)

    def blank(self, field: str, wanted: bool = True) -> str:
        """True when the field is empty (or, with wanted=False, when it is not): no need to fold case."""
        test = "==" if wanted else "!="
        if field in self.locals:
            return f"{self.locals[field]} {test} ''"
        return f"{self._as_str(field)}.strip() {test} ''"

    def assignment(self, field: str) -> str:
        return f"{self.locals[field]} = {self._normalised(field)}"

    def _normalised(self, field: str) -> str:
        # normalise(), inlined: calling it would add about a quarter to the cost of each comparison.
        return f'" ".join({self._as_str(field)}.split()).casefold()'

    def _as_str(self, field: str) -> str:
        raw = self._temporary()
        return f'("" if ({raw} := {self._raw(field)}) is None else f"{{{raw}}}")'

    def _raw(self, field: str) -> str:
        if field == "name":
            return "_full_name(member)"
        if field.startswith(CUSTOM_PREFIX):
            key = field[len(CUSTOM_PREFIX):]
            exact = self._temporary()
            # The member's own spelling of the key is tried first; custom_value() looks for other spellings.
            return (f"(_custom_value(member, {key!r}) if ({exact} := (member.get('custom') or _NO_FIELDS)"
                    f".get({key!r})) is None else {exact})")
        return f"member.get({field!r})"

    def _temporary(self) -> str:
        self.temporaries += 1
        return f"raw_{self.temporaries}"


def _condition_source(condition: Condition, read: _FieldReads) -> str:
    if isinstance(condition, Comparison):
        return _comparison_source(condition, read)
    if isinstance(condition, Not):
        return f"(not {_condition_source(condition.condition, read)})"
    joiner = " and " if isinstance(condition, And) else " or "
    return "(" + joiner.join(_condition_source(part, read) for part in condition.conditions) + ")"


def _comparison_source(comparison: Comparison, read: _FieldReads) -> str:
    operator = comparison.operator
    field = comparison.field
    ids = group_ids(comparison)
    expected = [normalise(value) for value in comparison.values]
    if operator in (Operator.EMPTY, Operator.NOT_EMPTY):
        wanted = operator is Operator.EMPTY
        test = read.blank(field, wanted)
        if field == "group":
            test = f"({test} {'and' if wanted else 'or'} {read.blank(GROUP_ID, wanted)})"
        return test
    actual = read.text(field)
    if operator in (Operator.EQUALS, Operator.NOT_EQUALS):
        (value,) = expected
        test = f"{actual} == {value!r}"
        if ids:
            test = f"({test} or {read.text(GROUP_ID)} == {value!r})"
        return test if operator is Operator.EQUALS else f"(not {test})"
    if operator in (Operator.ONE_OF, Operator.NONE_OF):
        test = f"{actual} in {_set_source(expected)}"
        if ids:
            test = f"({test} or {read.text(GROUP_ID)} in {_set_source(ids)})"
        return test if operator is Operator.ONE_OF else f"(not {test})"
    (value,) = expected
    return {
        Operator.CONTAINS: f"({value!r} in {actual})",
        Operator.NOT_CONTAINS: f"({value!r} not in {actual})",
        Operator.STARTS_WITH: f"{actual}.startswith({value!r})",
        Operator.ENDS_WITH: f"{actual}.endswith({value!r})",
    }[operator]


def _set_source(values: Iterable[str]) -> str:
    # A set display after `in` is compiled to a frozenset constant, so membership is one hash lookup.
    return "{" + ", ".join(repr(value) for value in sorted(set(values))) + "}"


def _build(source: str, name: str, namespace: dict) -> Callable:
    scope = dict(_NAMESPACE, **namespace)
    exec(compile(source, f"<mapping {name}>", "exec"), scope)
    return scope[name]


def _reads(condition: Condition) -> list[str]:
    return [field for comparison in comparisons(condition) for field in fields_read(comparison)]


def _shared(conditions: list[Condition]) -> list[str]:
    """Fields read more than once: worth normalising once into a local."""
    uses = Counter(field for condition in conditions for field in _reads(condition))
    return [field for field, count in uses.items() if count > 1]


def compile_matcher(condition: Condition) -> Matcher:
    """`matches(member) -> bool` for one condition."""
    read = _FieldReads(_shared([condition]))
    test = _condition_source(condition, read)
    lines = ["def matches(member):", *(f"    {read.assignment(field)}" for field in read.locals), f"    return {test}"]
    return _build("\n".join(lines), "matches", {})


def compile_first_match(conditions: list[Condition], answers: list[Any]) -> Matcher:
    """`match(member)`: the answer of the first condition the member meets, else None.

    A field several conditions read is normalised once, just before the first condition that reads it.
    """
    read = _FieldReads(_shared(conditions))
    assigned = set()
    lines = ["def match(member):"]
    for index, condition in enumerate(conditions):
        for field in dict.fromkeys(_reads(condition)):
            if field in read.locals and field not in assigned:
                lines.append(f"    {read.assignment(field)}")
                assigned.add(field)
        lines += [f"    if {_condition_source(condition, read)}:", f"        return _answers[{index}]"]
    lines.append("    return None")
    return _build("\n".join(lines), "match", {"_answers": tuple(answers)})
