"""Properties over generated rules and members: only RuleError escapes, pretty-printing keeps the meaning,
and explain, matches and the rule set always give the same answer."""

from hypothesis import given, settings
from hypothesis import strategies as st

from rules import And, Comparison, Not, Operator, Or, Rule, RuleError, RuleSet, compile_rule, explain, parse, pretty

PROPERTY = settings(deadline=None, max_examples=200)

# Words that collide with the language: keywords in odd case, ids, whitespace, quotes, escapes, a long s
# that lark's case-insensitive keywords read as "s".
TRICKY = ["Staff", "STAFF ", " support  staff", "12", "and", "In", "EMPTY", "iſ", "", "a b", "x\ny", 'q"uote',
          "it's", "back\\slash", "@school.org", "j.smith@school.org", "teacher", "Teacher of Maths", "50%", "Siân"]
WORDS = st.sampled_from(TRICKY) | st.text(max_size=8)
FIELDS = st.sampled_from(["group", "role", "email", "first_name", "last_name", "name", "custom.department",
                          "custom.staff number"])


@st.composite
def comparisons(draw):
    operator = draw(st.sampled_from(list(Operator)))
    if operator.takes_list:
        values = tuple(draw(st.lists(WORDS, min_size=1, max_size=3)))
    else:
        values = (draw(WORDS),) if operator.takes_value else ()
    return Comparison(draw(FIELDS), operator, values)


CONDITIONS = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: And(tuple(parts))),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: Or(tuple(parts))),
    ),
    max_leaves=8,
)

MEMBER_VALUES = st.none() | WORDS | st.integers(0, 20)
MEMBERS = st.fixed_dictionaries({}, optional={
    "group": MEMBER_VALUES,
    "group_id": st.none() | st.integers(0, 20) | st.sampled_from(["12", " 12 ", ""]),
    "role": MEMBER_VALUES,
    "email": MEMBER_VALUES,
    "first_name": MEMBER_VALUES,
    "last_name": MEMBER_VALUES,
    "custom": st.none() | st.dictionaries(
        st.sampled_from(["department", "Department", "Staff  Number", "staff number", "other"]), MEMBER_VALUES),
})

TOKENS = st.sampled_from([
    "group", "role", "email", "name", "first_name", "custom.department", 'custom."Staff No"', "custom.", "rol",
    "and", "OR", "Not", "in", "is", "empty", "==", "!=", "~", "!~", "^=", "$=", "=", "!", "(", ")", ",", "Staff",
    "12", '"Support Staff"', "'O\\'Neil'", '"open', "'", '"', "\\", "%", "&&", "\n", "\t", "\u00a0", "\x00",
])


def assert_well_reported(error: RuleError, text: str):
    assert error.message and error.line >= 1 and error.column >= 1
    assert error.snippet.endswith("^")
    assert str(error).startswith(f"{error.message} (line {error.line}, column {error.column})\n")
    assert error.text == text


def compiles_or_reports(text):
    try:
        rule = compile_rule(text)
    except RuleError as error:
        assert_well_reported(error, text)
        return None
    assert pretty(parse(rule.canonical)) == rule.canonical
    return rule


@PROPERTY
@given(st.text())
def test_random_text_raises_only_rule_error(text):
    compiles_or_reports(text)


@PROPERTY
@given(st.text(alphabet=st.sampled_from(list("()=!~^$,'\"\\ \n\tagimnoprstuvy.@/+-_0129%&|<>"))))
def test_random_rule_characters_raise_only_rule_error(text):
    compiles_or_reports(text)


@PROPERTY
@given(st.lists(TOKENS, max_size=12), st.sampled_from([" ", ""]))
def test_random_token_sequences_raise_only_rule_error(tokens, separator):
    compiles_or_reports(separator.join(tokens))


@PROPERTY
@given(st.lists(TOKENS, max_size=12), st.lists(MEMBERS, min_size=1, max_size=3))
def test_any_rule_that_compiles_explains_as_it_matches(tokens, members):
    rule = compiles_or_reports(" ".join(tokens))
    if rule is not None:
        for member in members:
            assert rule.explain(member).matched is rule.matches(member)


@PROPERTY
@given(CONDITIONS, st.lists(MEMBERS, min_size=1, max_size=5))
def test_pretty_printed_rule_reads_back_with_the_same_answers(condition, members):
    text = pretty(condition)
    reread = compile_rule(text)
    assert reread.canonical == text
    for member in members:
        assert reread.matches(member) is explain(reread, member).matched is Rule(text, condition).matches(member)


@PROPERTY
@given(CONDITIONS, MEMBERS)
def test_explain_agrees_with_matches(condition, member):
    rule = Rule(pretty(condition), condition)
    explanation = rule.explain(member)
    assert explanation.matched is rule.matches(member)
    assert all(isinstance(step.result, bool) for step in explanation.comparisons)


@PROPERTY
@given(st.lists(st.tuples(CONDITIONS, st.booleans()), max_size=4), MEMBERS)
def test_rule_set_gives_the_first_enabled_match(entries, member):
    rules = [(f"type {index}", Rule(pretty(condition), condition), enabled)
             for index, (condition, enabled) in enumerate(entries)]
    expected = next((profile_type for profile_type, rule, enabled in rules if enabled and rule.matches(member)), None)
    assert RuleSet(rules).match(member) == expected
