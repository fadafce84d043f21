"""The parsed form of a mapping rule: comparisons on a member's fields joined by and, or and not."""

from dataclasses import dataclass, field
from enum import StrEnum

# Fields every member has; any other field is custom.<key>, read from the member's custom fields.
MEMBER_FIELDS = ("group", "role", "email", "first_name", "last_name", "name")
CUSTOM_PREFIX = "custom."

# Bigger rules are refused before they are parsed: a school's real rules are a few lines, and reading,
# compiling and previewing a rule costs time in proportion to its size on a thread a sign-in may need.
MAX_LENGTH = 2000
MAX_COMPARISONS = 100
# Deeper rules are refused: nobody writes them on purpose, and Python's own parser has a nesting limit.
MAX_DEPTH = 50


class Operator(StrEnum):
    """A comparison, spelled as in a rule."""

    EQUALS = "=="
    NOT_EQUALS = "!="
    CONTAINS = "~"
    NOT_CONTAINS = "!~"
    STARTS_WITH = "^="
    ENDS_WITH = "$="
    ONE_OF = "in"
    NONE_OF = "not in"
    EMPTY = "is empty"
    NOT_EMPTY = "is not empty"

    @property
    def takes_list(self) -> bool:
        return self in (Operator.ONE_OF, Operator.NONE_OF)

    @property
    def takes_value(self) -> bool:
        return self not in (Operator.EMPTY, Operator.NOT_EMPTY)

    @property
    def in_words(self) -> str:
        return _IN_WORDS[self]


_IN_WORDS = {
    Operator.EQUALS: "is",
    Operator.NOT_EQUALS: "is not",
    Operator.CONTAINS: "contains",
    Operator.NOT_CONTAINS: "does not contain",
    Operator.STARTS_WITH: "starts with",
    Operator.ENDS_WITH: "ends with",
    Operator.ONE_OF: "is one of",
    Operator.NONE_OF: "is none of",
    Operator.EMPTY: "is empty",
    Operator.NOT_EMPTY: "is not empty",
}


@dataclass(frozen=True)
class Comparison:
    """`field operator values`: values as written (unquoted, original case); none for `is empty`."""

    field: str
    operator: Operator
    values: tuple[str, ...] = ()
    line: int = field(default=1, compare=False)
    column: int = field(default=1, compare=False)
    value_positions: tuple[tuple[int, int], ...] = field(default=(), compare=False)
    # Where the field is written in the rule's text (start and end offsets), and whether its name was quoted
    # (custom."Department"): a saved rule's custom fields are rewritten there, by key or by label.
    field_span: tuple[int, int] | None = field(default=None, compare=False)
    field_quoted: bool = field(default=False, compare=False)
    # A custom field's label, once its name is resolved against the account's field definitions.
    label: str | None = field(default=None, compare=False)

    depth = 1

    @property
    def custom_key(self) -> str | None:
        """The custom field's name for custom.<key>, else None."""
        return self.field[len(CUSTOM_PREFIX):] if self.field.startswith(CUSTOM_PREFIX) else None


@dataclass(frozen=True)
class And:
    conditions: tuple["Condition", ...]
    depth: int = field(default=0, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "depth", 1 + max(c.depth for c in self.conditions))


@dataclass(frozen=True)
class Or:
    conditions: tuple["Condition", ...]
    depth: int = field(default=0, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "depth", 1 + max(c.depth for c in self.conditions))


@dataclass(frozen=True)
class Not:
    condition: "Condition"
    depth: int = field(default=0, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "depth", 1 + self.condition.depth)


Condition = Comparison | And | Or | Not


def comparisons(condition: Condition) -> list[Comparison]:
    """Every comparison in the condition, left to right."""
    found, pending = [], [condition]
    while pending:
        node = pending.pop()
        if isinstance(node, Comparison):
            found.append(node)
        elif isinstance(node, Not):
            pending.append(node.condition)
        else:
            pending.extend(reversed(node.conditions))
    return found
