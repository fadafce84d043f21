"""A Sign In App member as the sync reads it: its names, and the tidied values a sync copies."""
import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.sia.protocol import STANDARD_FIELDS, Member

text = st.one_of(st.none(), st.text(alphabet=" \tAbé-'.@", max_size=12), st.integers(-5, 5))
personal_fields = st.dictionaries(st.sampled_from(STANDARD_FIELDS + ("department",)), text, max_size=7)


@given(personal_fields)
def test_a_members_tidied_values_are_its_fields_with_runs_of_spaces_made_one(fields):
    tidied = Member(1, 2, dict(fields)).tidied
    plain = Member(1, 2, dict(fields))
    assert tidied == {name: " ".join(getattr(plain, name).split()) or None for name in STANDARD_FIELDS}


@given(personal_fields)
def test_a_members_names_are_the_same_whether_asked_before_or_after_its_tidied_values(fields):
    asked_first, asked_after = Member(1, 2, dict(fields)), Member(1, 2, dict(fields))
    before = [getattr(asked_first, name) for name in STANDARD_FIELDS]
    asked_after.tidied
    assert [getattr(asked_after, name) for name in STANDARD_FIELDS] == before


def test_a_name_alone_gives_the_first_and_last_name():
    member = Member(1, 2, {"name": "  Mary  Jane   Watson "})
    assert (member.first_name, member.last_name) == ("Mary  Jane", "Watson")
    assert member.tidied["first_name"] == "Mary Jane" and member.tidied["last_name"] == "Watson"


def test_first_and_last_name_give_the_name_when_there_is_none():
    member = Member(1, 2, {"first_name": "Ada", "last_name": "Lovelace", "department": "Maths"})
    assert member.name == "Ada Lovelace" and member.custom == {"department": "Maths"}
    assert member.tidied["email"] is None


def test_a_member_read_from_json_is_the_member_built_field_by_field_and_stays_frozen():
    data = {"id": "7", "group_id": 3, "personal_fields": {"name": "Ada Lovelace"}, "archived": 1,
            "updated_at": "2026-11-25T09:00:00.000000Z", "site_id": "4", "last_in": "2026-11-25T08:00:00Z",
            "last_out": None, "photo_url": "", "permissions": {"can_pre_reg": True},
            "qr_codes": [{"id": 345, "contents": "ABC123DEF456"}]}
    member = Member.from_json(data)
    assert member == Member(
        7, 3, {"name": "Ada Lovelace"}, "signed_out", True, "2026-11-25T09:00:00.000000Z", site_id=4,
        last_in="2026-11-25T08:00:00Z", permissions={"can_pre_reg": True}, qr_codes=[{"id": 345, "contents": "ABC123DEF456"}],
    )
    assert member.personal_fields is not data["personal_fields"] and member.permissions is not data["permissions"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        member.archived = False
