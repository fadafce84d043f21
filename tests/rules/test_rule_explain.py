"""explain: each comparison with the member's actual value and result, and the overall answer."""

from rules import ComparisonStep, LogicStep, Operator, compile_rule, explain

MEMBER = {"group": "Staff", "group_id": 12, "role": "Teacher  of Maths", "first_name": "Jo"}


def test_explain_lists_each_comparison_with_actual_value_and_result():
    explanation = explain("group == Staff and role !~ teacher", MEMBER)
    assert not explanation.matched
    assert explanation.comparisons == [
        ComparisonStep("group", Operator.EQUALS, ("Staff",), "Staff", True, "group == Staff", 1, 1, actual_id="12"),
        ComparisonStep("role", Operator.NOT_CONTAINS, ("teacher",), "Teacher of Maths", False, "role !~ teacher",
                       1, 20),
    ]


def test_explain_shows_how_conditions_combine():
    explanation = compile_rule("not role ~ head or email is empty").explain(MEMBER)
    assert explanation.matched
    assert isinstance(explanation.trace, LogicStep)
    assert explanation.trace.operator == "or"
    assert [step.operator for step in explanation.trace.steps] == ["not", Operator.EMPTY]


def test_explain_evaluates_every_comparison_even_after_the_answer_is_known():
    explanation = explain("group == Governors and role ~ teacher and email is empty", MEMBER)
    assert [step.result for step in explanation.comparisons] == [False, True, True]


def test_explain_renders_as_text():
    text = explain("group == Staff and role !~ teacher", MEMBER).render()
    assert text == "\n".join([
        "no match: group == Staff and role !~ teacher",
        "  false  all of:",
        '    true   group == Staff  (group is "Staff", id 12)',
        '    false  role !~ teacher  (role is "Teacher of Maths")',
    ])


def test_explain_says_when_a_field_is_empty():
    assert str(explain("custom.house is empty", MEMBER)) == "\n".join([
        "match: custom.house is empty",
        "  true   custom.house is empty  (custom.house is empty)",
    ])


def test_explain_as_json_ready_dict():
    assert explain("role in (a, b)", {"role": "B"}).to_dict() == {
        "rule": "role in (a, b)",
        "matched": True,
        "trace": {"field": "role", "operator": "in", "expected": ["a", "b"], "actual": "B", "result": True,
                  "text": "role in (a, b)", "line": 1, "column": 1},
    }
