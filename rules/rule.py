"""A compiled mapping rule: its text, its condition, and a fast `matches(member)`."""

from collections.abc import Iterable, Mapping
from functools import cached_property

from . import custom_fields
from .compiler import Matcher, compile_matcher
from .custom_fields import CustomFields
from .errors import RuleError, RuleWarning
from .explain import Explanation, explain_condition
from .parser import parse
from .pretty import pretty
from .syntax import Condition, comparisons
from .validation import group_warnings


class Rule:
    """One rule, compiled once.

    `matches(member) -> bool` is the generated function itself (an attribute, not a method) so that a call
    costs no more than calling a hand-written lambda. With the account's custom field definitions
    (`fields`), custom fields named by label read their keys and are shown by their labels.
    """

    matches: Matcher

    def __init__(self, text: str, condition: Condition, fields: CustomFields | None = None):
        self.text = text
        self.parsed = condition
        self.fields = fields
        self.condition = custom_fields.resolve(condition, fields) if fields is not None else condition
        self.matches = compile_matcher(self.condition)

    @cached_property
    def canonical(self) -> str:
        """The rule in canonical form (see rules.pretty)."""
        return pretty(self.condition)

    @cached_property
    def member_fields(self) -> frozenset[str]:
        """The member fields the rule reads."""
        return frozenset(comparison.field for comparison in comparisons(self.condition))

    def explain(self, member: Mapping) -> Explanation:
        return explain_condition(self.condition, member)

    def warnings(self, group_names: Iterable[str] | None = None) -> list[RuleWarning]:
        """Warnings for group names that none of the organisation's linked SIA groups has (when given) and
        for custom fields the account's definitions do not have."""
        found = [] if group_names is None else group_warnings(self.text, self.condition, group_names)
        if self.fields is not None:
            found += custom_fields.warnings(self.text, self.parsed, self.fields)
        return found

    @cached_property
    def keyed_text(self) -> str:
        """The rule as typed, its custom fields written by key where the definitions know them: what is saved."""
        return self.text if self.fields is None else custom_fields.keyed_text(self.text, self.parsed, self.fields)

    @cached_property
    def labelled_text(self) -> str:
        """The rule as typed, its custom fields written by their current labels: what is shown."""
        return self.text if self.fields is None else custom_fields.labelled_text(self.text, self.parsed, self.fields)

    def __repr__(self) -> str:
        return f"Rule({self.canonical!r})"


def compile_rule(text: str, fields: CustomFields | None = None) -> Rule:
    """Parse and compile a rule; raises RuleError (and nothing else) when the text is not a valid rule.

    `fields` are the account's custom field definitions (rules.custom_fields; `CustomFields(None)` when
    the account did not say): custom fields named by label are read by key, and warned about when they
    cannot be found. Without them a custom field's name is taken as its key, with no warning."""
    condition = parse(text)
    try:
        return Rule(text, condition, fields)
    except Exception as error:
        # Python's own compiler has limits (size, nesting); callers are promised only RuleError.
        raise RuleError(f"this rule is too large to compile ({type(error).__name__})", text, 1, 1) from error
