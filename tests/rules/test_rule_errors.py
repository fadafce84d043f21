"""Invalid rules: the exact message and position an admin sees, and that nothing but RuleError escapes."""

import pytest

from rules import RuleError, compile_rule, parse

VALUE = 'e.g. Staff or "Support Staff"'
OPERATORS = "==, !=, ~, !~, ^=, $=, in, not in, is empty or is not empty"

INVALID = [
    ("group ==", f"expected a value after '==', {VALUE}", 1, 9),
    ("group == and role ~ x",
     f"expected a value after '==', {VALUE}; to use the word 'and' as a value, put it in quotes: \"and\"", 1, 10),
    ("group == Empty",
     f"expected a value after '==', {VALUE}; to use the word 'Empty' as a value, put it in quotes: \"Empty\"", 1, 10),
    ("role in (Cleaner,)", f"expected a value after ',', {VALUE}", 1, 18),
    ("role in ()", f"expected a value after '(', {VALUE}", 1, 10),
    ("rol == Staff", "unknown field 'rol'; did you mean 'role'?", 1, 1),
    ("group == Staff and surname == Smith", "unknown field 'surname'; did you mean 'last_name'?", 1, 20),
    ("costum.dept == Science", "unknown field 'costum.dept'; did you mean 'custom.dept'?", 1, 1),
    ("custom == Science", "unknown field 'custom'; custom fields are written custom.<name>, e.g. custom.department",
     1, 1),
    ("colour == red", "unknown field 'colour'; use group, role, email, first_name, last_name, name or custom.<name>",
     1, 1),
    ("custom. == x", "expected a custom field's name after 'custom.', e.g. custom.department", 1, 1),
    ('role"x" == y', 'only custom fields have quoted names, e.g. custom."Staff Number"', 1, 1),
    ("role", f"expected an operator after 'role': {OPERATORS}", 1, 5),
    ("role teacher", f"expected an operator after 'role': {OPERATORS}", 1, 6),
    ("== Staff", "expected a condition at the start of the rule, e.g. group == Staff", 1, 1),
    ("group == Staff and", "expected a condition after 'and', e.g. group == Staff", 1, 19),
    ("group == Staff or or role ~ x", "expected a condition after 'or', e.g. group == Staff", 1, 19),
    ("()", "expected a condition after '(', e.g. group == Staff", 1, 2),
    ("group = Staff", "unexpected '='; use '==' to compare", 1, 7),
    ("group == Staff && role ~ x", "unexpected '&'; use 'and' to join conditions", 1, 16),
    ("group == Staff || role ~ x", "unexpected '|'; use 'or' to join conditions", 1, 16),
    ("role ! teacher", "unexpected '!'; use '!=' (is not) or '!~' (does not contain)", 1, 6),
    ("role ^ teacher", "unexpected '^'; use '^=' (starts with)", 1, 6),
    ("email $ x", "unexpected '$'; use '$=' (ends with)", 1, 7),
    ("role > 3", f"unexpected '>'; rules compare text with {OPERATORS}", 1, 6),
    ("custom.share ~ 50%", "unexpected character '%'; a value with characters other than letters, digits and "
                           "_ - . @ / + must be in quotes, e.g. \"50%\"", 1, 18),
    ('group == "Support Staff', 'this quoted value is not closed; end it with " on the same line', 1, 10),
    ("last_name == 'O\\'Neil", "this quoted value is not closed; end it with ' on the same line", 1, 14),
    ("group == Support Staff",
     "expected 'and', 'or' or the end of the rule after 'Support'; a value with spaces needs quotes, "
     'e.g. "Support Staff"', 1, 18),
    ("(group == Staff or group == Governors", "expected ')' to close the '(' at line 1, column 1", 1, 38),
    ("(group == Staff) or role in (a, b", "expected ')' to close the '(' at line 1, column 29", 1, 34),
    ("role in (a, b c)", "expected ',' or ')' after 'b'", 1, 15),
    ("(role ~ a b)", "expected 'and', 'or' or ')' after 'a'; a value with spaces needs quotes, e.g. \"a b\"", 1, 11),
    ("group == Staff)", "this ')' has no '(' to close", 1, 15),
    ("role in Staff", "expected '(' after 'in', e.g. in (Staff, Governors)", 1, 9),
    ("role not Staff", "expected 'in' after 'not', e.g. not in (Staff, Governors)", 1, 10),
    ("role is", "expected 'empty' or 'not empty' after 'is'", 1, 8),
    ("role is nothing", "expected 'empty' or 'not empty' after 'is'", 1, 9),
    ("role is not", "expected 'empty' after 'is not'", 1, 12),
    ("", "the rule is empty; write a condition, e.g. group == Staff", 1, 1),
    ("  \n ", "the rule is empty; write a condition, e.g. group == Staff", 1, 1),
    ("group == Staff\nand role ==\n", f"expected a value after '==', {VALUE}", 2, 12),
    ("group == Staff\n  and rol ~ teacher", "unknown field 'rol'; did you mean 'role'?", 2, 7),
]


@pytest.mark.parametrize(("text", "message", "line", "column"), INVALID)
def test_invalid_rule_reports_message_and_position(text, message, line, column):
    with pytest.raises(RuleError) as raised:
        compile_rule(text)
    assert (raised.value.message, raised.value.line, raised.value.column) == (message, line, column)


def test_error_snippet_puts_a_caret_under_the_place():
    with pytest.raises(RuleError) as raised:
        compile_rule("group == Staff and\nrole ==")
    assert raised.value.snippet == "role ==\n       ^"


def test_error_text_reads_message_position_then_snippet():
    with pytest.raises(RuleError) as raised:
        compile_rule("group ==")
    assert str(raised.value) == (
        "expected a value after '==', e.g. Staff or \"Support Staff\" (line 1, column 9)\ngroup ==\n        ^"
    )


def test_caret_lines_up_under_tabs():
    with pytest.raises(RuleError) as raised:
        compile_rule("\tgroup ==")
    assert raised.value.snippet == "\tgroup ==\n\t        ^"


def test_rule_that_is_not_text_is_a_rule_error():
    with pytest.raises(RuleError, match="a rule must be text, not int"):
        compile_rule(12)


def test_deeply_nested_rule_is_refused_in_words():
    text = "role ~ x"
    for level in range(60):
        text = f"role ~ y{level} {'and' if level % 2 else 'or'} ({text})"
    with pytest.raises(RuleError, match="nested too deeply"):
        compile_rule(text)


def test_redundant_parentheses_do_not_count_as_nesting():
    assert compile_rule("(" * 200 + "role ~ x" + ")" * 200).canonical == "role ~ x"


def test_hundreds_of_nots_are_refused_not_a_recursion_error():
    with pytest.raises(RuleError, match="nested too deeply"):
        parse("not " * 495 + "role ~ x")


def test_unprintable_character_is_named():
    with pytest.raises(RuleError, match="unexpected character U\\+0007 control character"):
        compile_rule("role ~ \x07")


def test_rule_error_is_a_value_error_with_a_dict_for_the_console():
    with pytest.raises(ValueError) as raised:
        compile_rule("group ==")
    assert raised.value.to_dict() == {
        "message": "expected a value after '==', e.g. Staff or \"Support Staff\"",
        "line": 1,
        "column": 9,
        "snippet": "group ==\n        ^",
    }
