"""A compiled mapping rule: its text, its condition, and a fast `matches(member)`."""

from collections.abc import Iterable, Mapping
from functools import cached_property

from .compiler import Matcher, compile_matcher
from .errors import RuleError, RuleWarning
from .explain import Explanation, explain_condition
from .parser import parse
from .pretty import pretty
from .syntax import Condition, comparisons
from .validation import group_warnings


class Rule:
    """One rule, compiled once.

    `matches(member) -> bool` is the generated function itself (an attribute, not a method) so that a call
    costs no more than calling a hand-written lambda.
    """

    matches: Matcher

    def __init__(self, text: str, condition: Condition):
        self.text = text
        self.condition = condition
        self.matches = compile_matcher(condition)

    @cached_property
    def canonical(self) -> str:
        """The rule in canonical form (see rules.pretty)."""
        return pretty(self.condition)

    @cached_property
    def fields(self) -> frozenset[str]:
        """The member fields the rule reads."""
        return frozenset(comparison.field for comparison in comparisons(self.condition))

    def explain(self, member: Mapping) -> Explanation:
        return explain_condition(self.condition, member)

    def warnings(self, group_names: Iterable[str]) -> list[RuleWarning]:
        """Warnings for group names that none of the organisation's linked SIA groups has."""
        return group_warnings(self.text, self.condition, group_names)

    def __repr__(self) -> str:
        return f"Rule({self.canonical!r})"


def compile_rule(text: str) -> Rule:
    """Parse and compile a rule; raises RuleError (and nothing else) when the text is not a valid rule."""
    condition = parse(text)
    try:
        return Rule(text, condition)
    except Exception as error:
        # Python's own compiler has limits (size, nesting); callers are promised only RuleError.
        raise RuleError(f"this rule is too large to compile ({type(error).__name__})", text, 1, 1) from error
