"""Prepared statements: what is written into their SQL, and what still travels as a parameter."""
from store.prepared import Slot, _inlined


def test_constant_whole_numbers_and_plain_words_are_written_into_the_sql():
    slot = Slot("member")
    sql, params = _inlined('SELECT a FROM t WHERE name = ? AND id = ? LIMIT ?', ["compliance", slot, 1])
    assert sql == "SELECT a FROM t WHERE name = 'compliance' AND id = ? LIMIT 1"
    assert params == [slot]


def test_anything_else_stays_a_parameter():
    values = ["it's", "a;b", True, 2**70, 1.5, None, b"x"]
    sql = "SELECT " + ", ".join("?" for _ in values)
    assert _inlined(sql, values) == (sql, values)


def test_sql_with_a_question_mark_that_is_not_a_parameter_is_left_as_it_is():
    sql = "SELECT '?' , ? LIMIT ?"
    assert _inlined(sql, [1, 2]) == (sql, [1, 2])
