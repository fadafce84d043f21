"""store.ids.parse_id: the one reading of an id from outside, for the API, the CLI and anything else."""
import pytest

from store.ids import MAX_ID, InvalidId, parse_id


@pytest.mark.parametrize("value, expected", [(1, 1), ("1", 1), ("0042", 42), (MAX_ID, MAX_ID), (str(MAX_ID), MAX_ID)])
def test_whole_numbers_in_range_are_ids(value, expected):
    assert parse_id(value, "member_id") == expected


@pytest.mark.parametrize(
    "value",
    [True, False, None, 1.0, 2.5, "²", "١", "١٢", "9" * 5000, 10**5000, "18446744073709551617", 2**64 + 1,
     MAX_ID + 1, 0, "0", -1, "-1", "", " 1", "1 ", "+1", "1_000", "0x10", [1], {"id": 1}],
    ids=lambda value: "a 5,000-digit number" if value == 10**5000 else repr(value)[:20],
)
def test_anything_else_is_refused_naming_the_field(value):
    with pytest.raises(InvalidId, match="^The group_id must be a whole number from 1 to 9223372036854775807") as refused:
        parse_id(value, "group_id")
    assert refused.value.field == "group_id"
    assert len(str(refused.value)) < 200
