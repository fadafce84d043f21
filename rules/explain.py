"""Why a rule did or did not match a member: every comparison with the member's actual value and its result.

This evaluates the condition step by step, without short-circuiting, so that every comparison is shown;
the answer is the same as the compiled rule's (the tests hold the two to that).
"""

from collections.abc import Mapping
from dataclasses import dataclass

from .compiler import GROUP_ID, group_ids
from .members import normalise, raw_value, tidy
from .pretty import comparison_text, field_text, pretty
from .syntax import And, Comparison, Condition, Not, Operator


@dataclass(frozen=True)
class ComparisonStep:
    """One comparison: `field operator expected`, what the member has (`actual`, as a person reads it), result."""

    field: str
    operator: Operator
    expected: tuple[str, ...]
    actual: str
    result: bool
    text: str
    line: int
    column: int
    actual_id: str | None = None
    label: str | None = None  # a custom field's label, when the account's definitions give one

    def to_dict(self) -> dict:
        found = {
            "field": self.field,
            "operator": str(self.operator),
            "expected": list(self.expected),
            "actual": self.actual,
            "result": self.result,
            "text": self.text,
            "line": self.line,
            "column": self.column,
        }
        if self.actual_id is not None:
            found["actual_id"] = self.actual_id
        if self.label is not None:
            found["label"] = self.label
        return found

    def lines(self, depth: int) -> list[str]:
        has = f'is "{self.actual}"' if self.actual else "is empty"
        if self.actual_id:
            has += f", id {self.actual_id}"
        return [f"{'  ' * depth}{_yes_no(self.result)}  {self.text}  ({field_text(self.field, self.label)} {has})"]


@dataclass(frozen=True)
class LogicStep:
    """`and`, `or` or `not` over the steps inside it."""

    operator: str
    steps: tuple["Step", ...]
    result: bool

    def to_dict(self) -> dict:
        return {"operator": self.operator, "result": self.result, "steps": [step.to_dict() for step in self.steps]}

    def lines(self, depth: int) -> list[str]:
        heading = {"and": "all of:", "or": "any of:", "not": "not:"}[self.operator]
        lines = [f"{'  ' * depth}{_yes_no(self.result)}  {heading}"]
        for step in self.steps:
            lines += step.lines(depth + 1)
        return lines


Step = ComparisonStep | LogicStep


@dataclass(frozen=True)
class Explanation:
    """The trace of one rule over one member, and the overall answer."""

    rule: str
    matched: bool
    trace: Step

    @property
    def comparisons(self) -> list[ComparisonStep]:
        found, pending = [], [self.trace]
        while pending:
            step = pending.pop()
            if isinstance(step, ComparisonStep):
                found.append(step)
            else:
                pending.extend(reversed(step.steps))
        return found

    def to_dict(self) -> dict:
        return {"rule": self.rule, "matched": self.matched, "trace": self.trace.to_dict()}

    def render(self) -> str:
        """The trace as indented text, as the CLI prints it."""
        heading = f"{'match' if self.matched else 'no match'}: {self.rule}"
        return "\n".join([heading, *self.trace.lines(1)])

    __str__ = render


def _yes_no(result: bool) -> str:
    return "true " if result else "false"


def explain_condition(condition: Condition, member: Mapping) -> Explanation:
    trace = _step(condition, member)
    return Explanation(pretty(condition), trace.result, trace)


def _step(condition: Condition, member: Mapping) -> Step:
    if isinstance(condition, Comparison):
        return _compare(condition, member)
    if isinstance(condition, Not):
        inner = _step(condition.condition, member)
        return LogicStep("not", (inner,), not inner.result)
    steps = tuple(_step(part, member) for part in condition.conditions)
    if isinstance(condition, And):
        return LogicStep("and", steps, all(step.result for step in steps))
    return LogicStep("or", steps, any(step.result for step in steps))


def _compare(comparison: Comparison, member: Mapping) -> ComparisonStep:
    raw = raw_value(member, comparison.field)
    actual = normalise(raw)
    expected = [normalise(value) for value in comparison.values]
    is_group = comparison.field == "group"
    group_id = normalise(member.get(GROUP_ID)) if is_group else ""
    ids = group_ids(comparison)
    operator = comparison.operator
    if operator in (Operator.EQUALS, Operator.NOT_EQUALS, Operator.ONE_OF, Operator.NONE_OF):
        found = actual in expected or group_id in ids
        result = found if operator in (Operator.EQUALS, Operator.ONE_OF) else not found
    elif operator in (Operator.EMPTY, Operator.NOT_EMPTY):
        empty = actual == "" and group_id == ""
        result = empty if operator is Operator.EMPTY else not empty
    else:
        (value,) = expected
        result = {
            Operator.CONTAINS: value in actual,
            Operator.NOT_CONTAINS: value not in actual,
            Operator.STARTS_WITH: actual.startswith(value),
            Operator.ENDS_WITH: actual.endswith(value),
        }[operator]
    return ComparisonStep(
        field=comparison.field,
        operator=operator,
        expected=comparison.values,
        actual=tidy(raw),
        result=result,
        text=comparison_text(comparison),
        line=comparison.line,
        column=comparison.column,
        actual_id=(tidy(member.get(GROUP_ID)) or None) if is_group else None,
        label=comparison.label,
    )
