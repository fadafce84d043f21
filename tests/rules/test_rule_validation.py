"""Validating a rule against the organisation's linked SIA groups: unknown group names are warnings."""

import pytest

from rules import RuleError, compile_rule, validate

GROUPS = ["Staff", "Contractors", "Support Staff", "Governors"]


def test_unknown_group_name_is_a_warning_suggesting_the_nearest():
    (warning,) = validate("group == Contractor", GROUPS)
    assert warning.message == "no linked group called 'Contractor'; did you mean 'Contractors'?"
    assert (warning.line, warning.column) == (1, 10)
    assert str(warning) == (
        "no linked group called 'Contractor'; did you mean 'Contractors'? (line 1, column 10)\n"
        "group == Contractor\n         ^"
    )


def test_known_group_names_match_whatever_their_case_and_spacing():
    assert validate("group in ('support  staff', GOVERNORS) or group != staff", GROUPS) == []


def test_each_unknown_name_in_a_list_is_warned_about_at_its_place():
    warnings = validate("group not in (Staff, Visitors, Govenors)", GROUPS)
    assert [(w.message, w.column) for w in warnings] == [
        ("no linked group called 'Visitors'", 22),
        ("no linked group called 'Govenors'; did you mean 'Governors'?", 32),
    ]


def test_partial_group_matches_are_checked_against_the_names():
    assert validate("group ~ staff or group ^= gov or group $= ors", GROUPS) == []
    (warning,) = validate("group ^= Volunteer", GROUPS)
    assert warning.message == "no linked group's name starts with 'Volunteer'"


def test_group_ids_are_not_warned_about():
    assert validate("group == 12 or group in (7, Staff)", GROUPS) == []


def test_other_fields_are_not_checked_against_groups():
    assert validate("role == Contractor", GROUPS) == []


def test_without_group_names_there_are_no_warnings():
    assert validate("group == Anything") == []


def test_organisation_without_linked_groups_is_told_so():
    (warning,) = validate("group == Staff", [])
    assert warning.message == "no linked group called 'Staff'; this organisation has no linked groups"


def test_validate_raises_for_an_invalid_rule():
    with pytest.raises(RuleError):
        validate("group ==", GROUPS)


def test_compiled_rule_gives_the_same_warnings():
    assert compile_rule("group == Contractor").warnings(GROUPS) == validate("group == Contractor", GROUPS)
