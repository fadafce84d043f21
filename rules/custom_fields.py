"""Custom personal fields by label: a rule names `custom."Department"`, Sign In App keys it `c3YQ5d9wQi`.

Sign In App's custom fields are defined within each account: a member's `personal_fields` carry their
values under the account's own opaque keys, and the account's field definitions (DESIGN §3, partner
part) give each key its label and type. A rule may name a field by label or by key:

- a quoted name (`custom."DBS on file"`) is looked up as a label first, then as a key;
- a bare name (`custom.c3YQ5d9wQi`, `custom.department`) as a key first, then as a label;

case and spacing ignored either way. `resolve` gives the condition that reads the key; `keyed_text` is
the rule's own text with each field it can resolve rewritten to its key (how a rule is saved, so that
renaming the label in Sign In App does not break it) and `labelled_text` the text with each key
rewritten to the field's label as the account calls it now (how a rule is shown). A field that cannot
be resolved is left as written and only warned about (`warnings`): it is empty for every member.
"""
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .errors import RuleWarning
from .members import normalise
from .pretty import BARE_WORD, quoted
from .syntax import CUSTOM_PREFIX, Comparison, Condition, Not, comparisons

BOOLEAN_VALUES = ("true", "false")


@dataclass(frozen=True)
class CustomField:
    """One of the account's custom personal fields: its key in `personal_fields`, its label, its type."""

    key: str
    label: str
    type: str = "text"


class CustomFields:
    """An account's custom field definitions, found by key or by label.

    `known` is False when Sign In App did not say which custom fields it has (no definitions endpoint):
    a name in a rule is then taken as the key it is written as."""

    def __init__(self, fields: Iterable[CustomField] | None = None):
        self.known = fields is not None
        self.fields = tuple(fields or ())
        self._by_key, self._by_label = {}, {}
        for definition in self.fields:
            self._by_key.setdefault(normalise(definition.key), definition)
            self._by_label.setdefault(normalise(definition.label), definition)

    def find(self, name: str, quoted_name: bool = False) -> CustomField | None:
        """The field a rule's name stands for (a label first when the name was quoted, else a key first)."""
        wanted = normalise(name)
        lookups = (self._by_label, self._by_key) if quoted_name else (self._by_key, self._by_label)
        return next((found[wanted] for found in lookups if wanted in found), None)

    def by_key(self, key: str) -> CustomField | None:
        return self._by_key.get(normalise(key))

    def _identity(self):
        return self.known, self.fields

    def __eq__(self, other):
        return isinstance(other, CustomFields) and self._identity() == other._identity()

    def __hash__(self):
        return hash(self._identity())

    def __repr__(self):
        return f"CustomFields({list(self.fields) if self.known else None!r})"


UNKNOWN = CustomFields(None)


def _field_of(comparison: Comparison, fields: CustomFields) -> CustomField | None:
    name = comparison.custom_key
    return None if name is None else fields.find(name, comparison.field_quoted)


def resolve(condition: Condition, fields: CustomFields) -> Condition:
    """The condition with each custom field it names read by its key and shown by its label."""
    if isinstance(condition, Comparison):
        found = _field_of(condition, fields)
        if found is None:
            return condition
        return replace(condition, field=CUSTOM_PREFIX + found.key, label=found.label)
    if isinstance(condition, Not):
        return Not(resolve(condition.condition, fields))
    return type(condition)(tuple(resolve(part, fields) for part in condition.conditions))


def _rewritten(text: str, condition: Condition, fields: CustomFields, written) -> str:
    """`text` with each resolvable custom field's span replaced by `written(field)`, the rest as typed."""
    edits = []
    for comparison in comparisons(condition):
        found = _field_of(comparison, fields)
        if found is not None and comparison.field_span is not None:
            edits.append((comparison.field_span, written(found)))
    for (start, end), replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def keyed_text(text: str, condition: Condition, fields: CustomFields) -> str:
    """The rule's text with each custom field it can resolve written by its key: how a rule is saved."""
    return _rewritten(text, condition, fields, lambda found: key_text(found.key))


def labelled_text(text: str, condition: Condition, fields: CustomFields) -> str:
    """The rule's text with each custom field it can resolve written by its current label: how it is shown."""
    return _rewritten(text, condition, fields, lambda found: label_text(found.label))


def key_text(key: str) -> str:
    return CUSTOM_PREFIX + (key if BARE_WORD.fullmatch(key) else quoted(key))


def label_text(label: str) -> str:
    return CUSTOM_PREFIX + quoted(label)


def warnings(text: str, condition: Condition, fields: CustomFields) -> list[RuleWarning]:
    """Custom fields the account does not have, labels that cannot be looked up, yes/no fields compared
    with something other than true or false."""
    found_warnings = []
    for comparison in comparisons(condition):
        if comparison.custom_key is None:
            continue
        message = _warning(text, comparison, fields)
        if message:
            found_warnings.append(RuleWarning(message, text, comparison.line, comparison.column))
    return found_warnings


def _written(text: str, comparison: Comparison) -> str:
    if comparison.field_span is None:
        return comparison.field
    start, end = comparison.field_span
    return text[start:end]


def _warning(text: str, comparison: Comparison, fields: CustomFields) -> str | None:
    written = _written(text, comparison)
    if not fields.known:
        if comparison.field_quoted:
            return (f"Sign In App has not said which custom fields it has, so {written} is read as a field's key, "
                    "not its label; name the field by its key, or check the connection")
        return None
    found = _field_of(comparison, fields)
    if found is None:
        message = f"Sign In App has no custom field called {written}; the rule reads it as empty"
        labels = {normalise(field.label): field.label for field in fields.fields}
        close = difflib.get_close_matches(comparison.custom_key, list(labels), n=1, cutoff=0.6)
        if close:
            return f"{message}; did you mean {label_text(labels[close[0]])}?"
        if not labels:
            return f"{message}; the account has no custom fields"
        return message
    if found.type == "boolean" and comparison.operator.takes_value:
        odd = [value for value in comparison.values if normalise(value) not in BOOLEAN_VALUES]
        if odd:
            return f"{label_text(found.label)} is a yes/no field: compare it with true or false, not '{odd[0]}'"
    return None
