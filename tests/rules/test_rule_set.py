"""A rule set: ordered (profile type, rule, enabled) entries, the first enabled match wins, no match is None."""

import pytest

from rules import RuleError, RuleSet, compile_rule

RULES = RuleSet([
    ("Teaching Staff", "group == Staff and role ~ teacher"),
    ("Support Staff", "group == Staff"),
    ("Governors", "group == Governors", False),
    ("Contractors", compile_rule("group in (Contractors, 40)")),
])


def test_first_matching_rule_gives_the_profile_type():
    assert RULES.match({"group": "Staff", "role": "Teacher of Art"}) == "Teaching Staff"
    assert RULES.match({"group": "staff", "role": "Caretaker"}) == "Support Staff"
    assert RULES.match({"group": "Visitors", "group_id": 40}) == "Contractors"


def test_no_match_is_none():
    assert RULES.match({"group": "Visitors"}) is None
    assert RULES.match({}) is None


def test_disabled_rule_is_skipped():
    assert RULES.match({"group": "Governors"}) is None


def test_empty_rule_set_matches_nothing():
    assert RuleSet().match({"group": "Staff"}) is None


def test_profile_type_can_be_any_object():
    marker = object()
    assert RuleSet([(marker, "role is not empty")]).match({"role": "x"}) is marker


def test_rule_set_keeps_its_entries_in_order():
    assert [entry.profile_type for entry in RULES] == ["Teaching Staff", "Support Staff", "Governors", "Contractors"]
    assert len(RULES) == 4
    assert not RULES.entries[2].enabled


def test_invalid_rule_in_a_set_is_a_rule_error():
    with pytest.raises(RuleError, match="unknown field 'rol'"):
        RuleSet([("Teaching Staff", "rol ~ teacher")])


def test_rule_set_agrees_with_its_rules_one_by_one():
    member = {"group": "Staff", "role": "Cleaner"}
    first = next(entry.profile_type for entry in RULES if entry.enabled and entry.rule.matches(member))
    assert RULES.match(member) == first


def test_rule_set_explains_every_rule_tried_up_to_the_match():
    tried = RULES.explain({"group": "Staff", "role": "Cleaner"})
    assert [(entry.profile_type, explanation.matched) for entry, explanation in tried] == [
        ("Teaching Staff", False),
        ("Support Staff", True),
    ]
