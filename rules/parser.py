"""Reading a rule's text into a Condition, turning every way that can fail into one RuleError in plain words."""

import difflib
import functools
import re
import unicodedata
from pathlib import Path
from typing import NamedTuple

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

from .errors import RuleError
from .members import normalise
from .syntax import (
    CUSTOM_PREFIX,
    MAX_COMPARISONS,
    MAX_DEPTH,
    MAX_LENGTH,
    MEMBER_FIELDS,
    And,
    Comparison,
    Condition,
    Not,
    Operator,
    Or,
)

GRAMMAR = Path(__file__).resolve().parent.parent / "grammar" / "mapping.lark"

VALUE_EXAMPLE = 'e.g. Staff or "Support Staff"'
CONDITION_EXAMPLE = "e.g. group == Staff"
OPERATORS_IN_WORDS = "==, !=, ~, !~, ^=, $=, in, not in, is empty or is not empty"

# Field names people reach for that difflib would not find.
LIKELY_MEANT = {
    "forename": "first_name",
    "firstname": "first_name",
    "surname": "last_name",
    "lastname": "last_name",
    "full_name": "name",
    "fullname": "name",
    "group_id": "group",
    "groupid": "group",
    "job_title": "role",
    "e-mail": "email",
    "mail": "email",
}

VALUE_TERMINALS = {"WORD", "DOUBLE_QUOTED", "SINGLE_QUOTED"}
QUOTED_TERMINALS = {"DOUBLE_QUOTED", "SINGLE_QUOTED"}
KEYWORD_TERMINALS = {"_OR", "_AND", "_NOT", "_IN", "_IS", "_EMPTY"}
# Every comparison has exactly one of these: its operator, the 'in' of (not) in, or the 'is' of is (not) empty.
COMPARISON_TERMINALS = {"EQUALS", "NOT_EQUALS", "CONTAINS", "NOT_CONTAINS", "STARTS_WITH", "ENDS_WITH", "_IN", "_IS"}
SPLIT_IT = "split it into several rules"

ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


class _Misplaced(Exception):
    """Raised while building a condition, before the rule's text is at hand to make the RuleError."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class _Field(NamedTuple):
    name: str
    line: int
    column: int
    span: tuple[int, int] | None = None
    quoted: bool = False


class _Value(NamedTuple):
    text: str
    line: int
    column: int


def unquote(token: Token) -> str:
    return re.sub(r"\\(.)", lambda escape: ESCAPES.get(escape[1], escape[1]), token.value[1:-1])


def unknown_field_message(word: str) -> str:
    lowered = word.casefold()
    prefix, dot, key = word.partition(".")
    if lowered == "custom":
        return f"unknown field '{word}'; custom fields are written custom.<name>, e.g. custom.department"
    if lowered in LIKELY_MEANT:
        suggestion = LIKELY_MEANT[lowered]
    elif dot and key and difflib.get_close_matches(prefix.casefold(), ["custom"], n=1, cutoff=0.6):
        suggestion = CUSTOM_PREFIX + key
    else:
        suggestion = next(iter(difflib.get_close_matches(lowered, MEMBER_FIELDS, n=1, cutoff=0.6)), None)
    if suggestion:
        return f"unknown field '{word}'; did you mean '{suggestion}'?"
    return f"unknown field '{word}'; use group, role, email, first_name, last_name, name or custom.<name>"


def _joined(parts: tuple[Condition, ...], kind: type) -> tuple[Condition, ...]:
    """`a or (b or c)` is `a or b or c`: nested groups of the same kind are spliced in."""
    spliced = []
    for part in parts:
        spliced.extend(part.conditions if isinstance(part, kind) else (part,))
    return tuple(spliced)


class _Builder(Transformer):
    """Builds the Condition while the LALR parser reduces, so no step recurses over the tree."""

    def start(self, children):
        return children[0]

    def either(self, children):
        return Or(_joined(children, Or))

    def both(self, children):
        return And(_joined(children, And))

    def negated(self, children):
        return Not(children[0])

    def compare(self, children):
        field, operator, value = children
        return self._comparison(field, Operator(operator.value), [value])

    def one_of(self, children):
        field, values = children
        return self._comparison(field, Operator.ONE_OF, values)

    def none_of(self, children):
        field, values = children
        return self._comparison(field, Operator.NONE_OF, values)

    def empty(self, children):
        return self._comparison(children[0], Operator.EMPTY, [])

    def not_empty(self, children):
        return self._comparison(children[0], Operator.NOT_EMPTY, [])

    def values(self, children):
        return children

    def value(self, children):
        (token,) = children
        text = unquote(token) if token.type in QUOTED_TERMINALS else token.value
        return _Value(text, token.line, token.column)

    def field(self, children):
        word = children[0]
        name = word.value.casefold()
        span = (word.start_pos, children[-1].end_pos)
        if len(children) == 2:
            if name != CUSTOM_PREFIX:
                raise _Misplaced(
                    'only custom fields have quoted names, e.g. custom."Staff Number"', word.line, word.column
                )
            key = normalise(unquote(children[1]))
        elif name in MEMBER_FIELDS:
            return _Field(name, word.line, word.column)
        elif name.startswith(CUSTOM_PREFIX):
            key = normalise(name[len(CUSTOM_PREFIX):])
        else:
            raise _Misplaced(unknown_field_message(word.value), word.line, word.column)
        if not key:
            raise _Misplaced(
                "expected a custom field's name after 'custom.', e.g. custom.department", word.line, word.column
            )
        return _Field(CUSTOM_PREFIX + key, word.line, word.column, span, len(children) == 2)

    @staticmethod
    def _comparison(field: _Field, operator: Operator, values: list[_Value]) -> Comparison:
        return Comparison(
            field.name,
            operator,
            tuple(value.text for value in values),
            field.line,
            field.column,
            tuple((value.line, value.column) for value in values),
            field.span,
            field.quoted,
        )


@functools.cache
def _lark() -> Lark:
    return Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="basic", transformer=_Builder())


def parse(text: str) -> Condition:
    """The rule's condition; raises RuleError, and nothing else, when the text is not a valid rule."""
    if not isinstance(text, str):
        raise RuleError(f"a rule must be text, not {type(text).__name__}", "", 1, 1)
    if not text.strip():
        raise RuleError(f"the rule is empty; write a condition, {CONDITION_EXAMPLE}", text, 1, 1)
    if len(text) > MAX_LENGTH:
        line, column = _position(text, MAX_LENGTH)
        raise RuleError(f"a rule may have at most {MAX_LENGTH:,} characters; this one has {len(text):,}; {SPLIT_IT}",
                        text, line, column)
    try:
        condition = _parse_tokens(text)
    except RuleError:
        raise
    except _Misplaced as misplaced:
        raise RuleError(misplaced.message, text, misplaced.line, misplaced.column) from None
    except UnexpectedCharacters as unexpected:
        raise RuleError(_unexpected_character(text, unexpected.pos_in_stream), text, unexpected.line,
                        unexpected.column) from None
    except Exception as error:
        # Callers are promised a RuleError for any text at all, even if lark or this module has a bug.
        raise RuleError(f"this rule could not be read ({type(error).__name__})", text, 1, 1) from error
    if condition.depth > MAX_DEPTH:
        raise RuleError(f"the rule is nested too deeply (more than {MAX_DEPTH} levels); {SPLIT_IT}", text, 1, 1)
    return condition


def _position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of the character at `offset`."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _parse_tokens(text: str) -> Condition:
    """Feeds the parser one token at a time so that an error can say what came before it.

    The comparisons are counted first, from the tokens alone, so that a rule with too many is refused
    before any of it is parsed."""
    lark = _lark()
    tokens = list(lark.lex(text))
    operators = [token for token in tokens if token.type in COMPARISON_TERMINALS]
    if len(operators) > MAX_COMPARISONS:
        first_extra = operators[MAX_COMPARISONS]
        raise RuleError(f"a rule may have at most {MAX_COMPARISONS} comparisons; this one has {len(operators):,}; "
                        f"{SPLIT_IT}", text, first_extra.line, first_extra.column)
    parser = lark.parse_interactive()
    previous = None
    open_parentheses: list[_Opening] = []
    for token in tokens:
        try:
            parser.feed_token(token)
        except UnexpectedToken as unexpected:
            raise _syntax_error(text, unexpected, previous, open_parentheses) from None
        if token.type == "_LPAR":
            open_parentheses.append(_Opening(token, is_list=previous is not None and previous.type == "_IN"))
        elif token.type == "_RPAR":
            open_parentheses.pop()
        previous = token
    try:
        return parser.feed_eof(previous)
    except UnexpectedToken as unexpected:
        raise _syntax_error(text, unexpected, previous, open_parentheses) from None


class _Opening(NamedTuple):
    """A '(' not yet closed: a list of values after 'in', or a group of conditions."""

    token: Token
    is_list: bool


def _shown(token: Token | None) -> str:
    return "the end of the rule" if token is None or token.type == "$END" else f"'{token.value}'"


def _syntax_error(text: str, unexpected: UnexpectedToken, previous: Token | None,
                  open_parentheses: list[_Opening]) -> RuleError:
    found = unexpected.token
    if found.type == "$END":
        line, column = (previous.end_line, previous.end_column) if previous else (1, 1)
    else:
        line, column = found.line, found.column
    innermost = open_parentheses[-1] if open_parentheses else None
    message = _expected_message(set(unexpected.expected), previous, found, innermost)
    return RuleError(message, text, line, column)


def _expected_message(expected: set[str], previous: Token | None, found: Token, innermost: _Opening | None) -> str:
    """What the parser wanted instead of `found`, in words; `innermost` is the '(' still open, if any."""
    after = f"after {_shown(previous)}" if previous else "at the start of the rule"
    if "_LPAR" in expected and "WORD" in expected:
        return f"expected a condition {after}, {CONDITION_EXAMPLE}"
    if VALUE_TERMINALS <= expected:
        message = f"expected a value {after}, {VALUE_EXAMPLE}"
        if found.type in KEYWORD_TERMINALS:
            message += f"; to use the word {_shown(found)} as a value, put it in quotes: \"{found.value}\""
        return message
    if "EQUALS" in expected:
        return f"expected an operator {after}: {OPERATORS_IN_WORDS}"
    if expected == {"_LPAR"}:
        return f"expected '(' {after}, e.g. in (Staff, Governors)"
    if expected == {"_IN"}:
        return f"expected 'in' {after}, e.g. not in (Staff, Governors)"
    if expected == {"_EMPTY", "_NOT"}:
        return f"expected 'empty' or 'not empty' {after}"
    if expected == {"_EMPTY"}:
        return "expected 'empty' after 'is not'"
    if found.type == "$END" and innermost:
        opened = innermost.token
        return f"expected ')' to close the '(' at line {opened.line}, column {opened.column}"
    if found.type == "_RPAR":
        return "this ')' has no '(' to close"
    if innermost and innermost.is_list:
        return f"expected ',' or ')' {after}"
    choices = ["'and'", "'or'", "')'" if innermost else "the end of the rule"]
    message = f"expected {', '.join(choices[:-1])} or {choices[-1]} {after}"
    if previous is not None and previous.type == "WORD" and found.type == "WORD":
        message += f'; a value with spaces needs quotes, e.g. "{previous.value} {found.value}"'
    return message


def _unexpected_character(text: str, position: int) -> str:
    char = text[position]
    if char in "\"'":
        return f"this quoted value is not closed; end it with {char} on the same line"
    if char == "=":
        return "unexpected '='; use '==' to compare"
    if char == "!":
        return "unexpected '!'; use '!=' (is not) or '!~' (does not contain)"
    if char == "&":
        return "unexpected '&'; use 'and' to join conditions"
    if char == "|":
        return "unexpected '|'; use 'or' to join conditions"
    if char == "^":
        return "unexpected '^'; use '^=' (starts with)"
    if char == "$":
        return "unexpected '$'; use '$=' (ends with)"
    if char in "<>":
        return f"unexpected '{char}'; rules compare text with {OPERATORS_IN_WORDS}"
    if char.isprintable():
        shown = f"'{char}'"
    else:
        shown = f"U+{ord(char):04X} {unicodedata.name(char, 'control character')}"
    return (f"unexpected character {shown}; a value with characters other than letters, digits and "
            f"_ - . @ / + must be in quotes, e.g. \"50%\"")
