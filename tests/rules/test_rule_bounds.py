"""A rule's size is bounded before it is parsed, so one admin's huge rule cannot hold the server's threads."""
import pytest

from rules import RuleError, compile_rule, parser
from rules.syntax import MAX_COMPARISONS, MAX_LENGTH
from store.models import MappingRule
from tests import factories as f


def comparisons(count):
    return " or ".join(f"role==r{index}" for index in range(count))


def test_ten_thousand_term_rule_is_refused_before_lark_reads_it(monkeypatch):
    monkeypatch.setattr(parser, "_lark", lambda: pytest.fail("the parser was built for a rule that is too long"))
    text = comparisons(10_000)
    with pytest.raises(RuleError) as raised:
        compile_rule(text)
    assert raised.value.message == (
        f"a rule may have at most 2,000 characters; this one has {len(text):,}; split it into several rules"
    )
    assert (raised.value.line, raised.value.column) == (1, MAX_LENGTH + 1)


def test_rule_with_too_many_comparisons_is_refused():
    text = comparisons(MAX_COMPARISONS + 5)
    assert len(text) <= MAX_LENGTH
    with pytest.raises(RuleError) as raised:
        compile_rule(text)
    assert raised.value.message == "a rule may have at most 100 comparisons; this one has 105; split it into several rules"
    assert raised.value.column == text.index("role==r100") + len("role") + 1


def test_every_kind_of_comparison_counts_once():
    kinds = ["role ~ a", "group in (A, B, C)", "email not in (x, y)", "role is empty", "role is not empty"]
    text = " or ".join(kinds * 21)
    assert len(text) <= MAX_LENGTH
    with pytest.raises(RuleError, match="this one has 105;"):
        compile_rule(text)
    assert compile_rule(" or ".join(kinds * 20))


def test_a_rule_as_large_as_the_limits_allow_is_accepted():
    text = comparisons(MAX_COMPARISONS)
    text += " " * (MAX_LENGTH - len(text))
    assert compile_rule(text).matches({"role": "r99"})


def test_error_about_an_overlong_rule_shows_a_short_snippet_around_the_caret():
    error = RuleError("message", "x" * 50_000, 1, 2001)
    source, caret = error.snippet.split("\n")
    assert source == "…" + "x" * 80 + "…"
    assert caret.index("^") == 41


@pytest.fixture
def school(db):
    org = f.organisation("School One")
    f.user("admin1@school.test", "admin", [org])
    return org


def test_console_refuses_a_ten_thousand_term_rule_in_validation_preview_and_save(client, school):
    client.login("admin1@school.test")
    teaching = f.profile_type(school, "Teaching Staff").id
    huge = {"expression": comparisons(10_000), "profile_type": teaching}
    base = f"/organisations/{school.id}/rules"
    validation = client.post(f"{base}/validate", data=huge).get_data(as_text=True)
    assert "a rule may have at most 2,000 characters" in validation and "split it into several rules" in validation
    assert "Fix the rule to see its preview." in client.post(f"{base}/preview", data=huge).get_data(as_text=True)
    saved = client.post(f"{base}/new", data=huge)
    assert saved.status_code == 422
    assert "a rule may have at most 2,000 characters" in saved.get_data(as_text=True)
    assert MappingRule.select().count() == 0
