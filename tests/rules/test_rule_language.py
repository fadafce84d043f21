"""What valid rules mean: fields, operators, precedence, case, whitespace, quoting and missing fields."""

import pytest

from rules import And, Comparison, Not, Operator, Or, compile_rule, parse, pretty

TEACHER = {"group": "Staff", "group_id": 12, "role": "Teacher of Maths", "email": "J.Smith@School.org",
           "first_name": "Jo", "last_name": "Smith", "custom": {"department": "Science"}}

VALID = [
    ("group == Staff", "group == Staff"),
    ("GROUP == Staff AND Role !~ teacher", "group == Staff and role !~ teacher"),
    ("group==Staff and role!~teacher", "group == Staff and role !~ teacher"),
    ("email $= @school.org", "email $= @school.org"),
    ("email == j.smith+tether@x.org", "email == j.smith+tether@x.org"),
    ("role ^= 'Head of'", 'role ^= "Head of"'),
    ('group In ("Support Staff", Governors)', 'group in ("Support Staff", Governors)'),
    ("group NOT IN (Staff)", "group not in (Staff)"),
    ("email IS EMPTY", "email is empty"),
    ("email is NOT empty", "email is not empty"),
    ("custom.Department == Science", "custom.department == Science"),
    ('custom."Staff  Number" is not empty', 'custom."staff number" is not empty'),
    ("name == 'Jo Smith'", 'name == "Jo Smith"'),
    ("not not role ~ x", "not not role ~ x"),
    ("group == \"In\"", 'group == "In"'),
    ("group == 12", "group == 12"),
    ("group\n  == Staff\n\tor role ~ head", "group == Staff or role ~ head"),
    ("role == Siân", "role == Siân"),
]


@pytest.mark.parametrize(("text", "canonical"), VALID)
def test_valid_rule_reads_back_in_canonical_form(text, canonical):
    assert compile_rule(text).canonical == canonical


def test_not_binds_tighter_than_and():
    assert parse("not role ~ a and role ~ b") == And((
        Not(Comparison("role", Operator.CONTAINS, ("a",))),
        Comparison("role", Operator.CONTAINS, ("b",)),
    ))


def test_and_binds_tighter_than_or():
    assert parse("role ~ a or role ~ b and role ~ c") == Or((
        Comparison("role", Operator.CONTAINS, ("a",)),
        And((Comparison("role", Operator.CONTAINS, ("b",)), Comparison("role", Operator.CONTAINS, ("c",)))),
    ))


def test_parentheses_override_precedence():
    rule = compile_rule("(role ~ a or role ~ b) and role ~ c")
    assert rule.matches({"role": "a c"})
    assert not rule.matches({"role": "a"})
    assert not compile_rule("not (role ~ a or role ~ b)").matches({"role": "b"})


def test_precedence_decides_the_answer():
    member = {"role": "a"}
    assert compile_rule("role ~ a or role ~ b and role ~ c").matches(member)
    assert not compile_rule("(role ~ a or role ~ b) and role ~ c").matches(member)


def test_keywords_work_in_any_case():
    assert compile_rule("Role ~ teacher AnD NoT group iN (Governors) oR email Is NoT EmPtY").matches(TEACHER)


def test_keywords_inside_words_are_words():
    assert compile_rule("role == android or role == island or role == notary").matches({"role": "Island"})


def test_nested_groups_of_the_same_kind_are_flattened():
    assert parse("role ~ a or (role ~ b or role ~ c)") == parse("role ~ a or role ~ b or role ~ c")


@pytest.mark.parametrize(("text", "value"), [
    (r"last_name == 'O\'Neil'", "O'Neil"),
    (r'role == "say \"hi\""', 'say "hi"'),
    (r'role == "back\\slash"', "back\\slash"),
    (r'role == "tab\there"', "tab\there"),
    (r"role == 'double \" inside single'", 'double " inside single'),
    (r'role == "and"', "and"),
    ('role == ""', ""),
])
def test_quoted_values_unescape(text, value):
    assert parse(text).values == (value,)


def test_equality_ignores_case_on_both_sides():
    assert compile_rule("group == STAFF").matches({"group": "staff"})
    assert compile_rule("group == staff").matches({"group": "STAFF"})


def test_equality_ignores_surrounding_and_repeated_whitespace():
    assert compile_rule("group == 'Support  Staff '").matches({"group": "  support\tstaff"})
    assert compile_rule("group == \"Support Staff\"").matches({"group": "Support\n\n Staff"})


@pytest.mark.parametrize(("text", "matches"), [
    ("role == 'teacher of maths'", True),
    ("role != 'teacher of maths'", False),
    ("role ~ MATHS", True),
    ("role ~ 'of  maths'", True),
    ("role !~ maths", False),
    ("role !~ science", True),
    ("role ^= teacher", True),
    ("role ^= maths", False),
    ("role $= maths", True),
    ("role $= teacher", False),
    ("group in (Governors, STAFF)", True),
    ("group in (Governors)", False),
    ("group not in (Governors)", True),
    ("group not in (staff)", False),
    ("email $= @SCHOOL.ORG", True),
    ("name == 'jo smith'", True),
    ("first_name == jo and last_name == smith", True),
    ("custom.department == science", True),
    ("custom.DEPARTMENT ~ sci", True),
    ("custom.house is empty", True),
    ("custom.department is not empty", True),
])
def test_operators_on_a_teacher(text, matches):
    assert compile_rule(text).matches(TEACHER) is matches


@pytest.mark.parametrize(("text", "matches"), [
    ("role is empty", True),
    ("role is not empty", False),
    ("role == ''", True),
    ("role != Teacher", True),
    ("role ~ teacher", False),
    ("role !~ teacher", True),
    ("role not in (Teacher)", True),
    ("name is empty", True),
    ("custom.department is empty", True),
    ("group is empty", True),
])
def test_missing_field_is_empty(text, matches):
    assert compile_rule(text).matches({}) is matches


def test_none_and_numbers_are_read_as_text():
    assert compile_rule("role is empty").matches({"role": None})
    assert compile_rule("custom.year == 7").matches({"custom": {"year": 7}})
    assert compile_rule("custom.year is empty").matches({"custom": None})


def test_group_matches_by_name_or_numeric_id():
    rule = compile_rule("group == 12")
    assert rule.matches({"group": "Staff", "group_id": 12})
    assert rule.matches({"group": "Staff", "group_id": "12"})
    assert not rule.matches({"group": "Staff", "group_id": 13})
    assert compile_rule("group in (Governors, 12)").matches({"group": "Staff", "group_id": 12})
    assert not compile_rule("group != 12").matches({"group": "Staff", "group_id": 12})
    assert not compile_rule("group not in (7, 12)").matches({"group_id": 12})


def test_group_with_only_an_id_is_not_empty():
    assert compile_rule("group is not empty").matches({"group_id": 12})
    assert not compile_rule("group is empty").matches({"group_id": 12})


def test_custom_field_names_match_whatever_their_case_and_spacing():
    member = {"custom": {"Staff  Number": " A12 "}}
    assert compile_rule('custom."staff number" == a12').matches(member)


def test_name_is_first_and_last_name():
    assert compile_rule("name == smith").matches({"last_name": "Smith"})
    assert compile_rule("name ^= 'jo sm'").matches({"first_name": "Jo", "last_name": "Smith"})


def test_field_used_twice_reads_the_same_value():
    rule = compile_rule("role ~ head and (role ~ science or role ~ maths)")
    assert rule.matches({"role": "Head of Maths"})
    assert not rule.matches({"role": "Head of Music"})


def test_pretty_accepts_text_rules_and_conditions():
    text = "NOT (group == Staff OR group == 'Governors') AND role ~ \"x\""
    assert pretty(text) == "not (group == Staff or group == Governors) and role ~ x"
    assert pretty(parse(text)) == pretty(compile_rule(text)) == pretty(text)


def test_pretty_quotes_values_that_would_not_read_back():
    rule = compile_rule('role in ("two words", "", "not", "50%", "say \\"hi\\"", "back\\\\slash", plain)')
    assert rule.canonical == 'role in ("two words", "", "not", "50%", "say \\"hi\\"", "back\\\\slash", plain)'
