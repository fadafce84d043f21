"""Which members a profile looks like before "Push All" (sync.look_alikes): a generated table of every
email × name × date of birth case — the same email (any case), or the same first name, last name and
date of birth when Sign In App has one; a name alone never is."""
import datetime
import itertools
from types import SimpleNamespace

import pytest

from connectors.sia import Member
from sync.look_alikes import SAME_EMAIL, SAME_NAME_AND_DOB, LookAlikes, member_dob

BORN = datetime.date(1815, 12, 10)

EMAILS = {  # (profile's email, member's email)
    "same": ("ada@school.test", "ada@school.test"),
    "same in another case, spaced": ("  ADA@School.Test", "ada@school.test"),
    "different": ("ada@school.test", "countess@school.test"),
    "profile has none": (None, "ada@school.test"),
    "neither has one": (None, None),
}
NAMES = {  # ((forename, surname), member's name)
    "same": (("Ada", "Lovelace"), "Ada Lovelace"),
    "same in another case": (("ada", "LOVELACE"), "Ada  Lovelace"),
    "different first name": (("Augusta", "Lovelace"), "Ada Lovelace"),
}
DOBS = {  # (profile's date of birth, member's date_of_birth field)
    "same": (BORN, "1815-12-10"),
    "different": (BORN, "1816-12-10"),
    "Sign In App has none": (BORN, None),
    "profile has none": (None, "1815-12-10"),
    "Sign In App's is not a date": (BORN, "10th December"),
}


def _expected(email, name, dob):
    reasons = []
    if email.startswith("same"):
        reasons.append(SAME_EMAIL)
    if name.startswith("same") and dob == "same":
        reasons.append(SAME_NAME_AND_DOB)
    return reasons[:1]  # one candidate per member, the email first


@pytest.mark.parametrize("email, name, dob", list(itertools.product(EMAILS, NAMES, DOBS)))
def test_a_profile_looks_like_a_member_by_email_or_by_name_and_the_date_of_birth_sign_in_app_has(email, name, dob):
    (profile_email, member_email), ((forename, surname), member_name), (profile_dob, member_born) = (
        EMAILS[email], NAMES[name], DOBS[dob])
    fields = {"name": member_name, "email": member_email, "date_of_birth": member_born}
    member = Member.from_json({"id": 7, "group_id": 1, "personal_fields": {k: v for k, v in fields.items() if v}})
    index = LookAlikes()
    index.add(member)
    profile = SimpleNamespace(email=profile_email, forename=forename, surname=surname, dob=profile_dob)
    assert [candidate.why for candidate in index.matches(profile)] == _expected(email, name, dob)


def test_a_member_linked_excluded_or_going_to_another_profile_is_not_offered_for_linking():
    member = Member.from_json({"id": 7, "group_id": 1, "personal_fields": {"name": "Ada Lovelace", "email": "a@s.test"}})
    profile = SimpleNamespace(email="a@s.test", forename="Ada", surname="Lovelace", dob=None)
    offers = {}
    for case, options in {"free": {}, "linked": {"linked_to": (3, "Ada King")}, "excluded": {"excluded": True},
                          "pushed for another": {"created_for": (4, "Ada L")}}.items():
        index = LookAlikes()
        index.add(member, **options)
        [candidate] = index.matches(profile)
        offers[case] = (candidate.linkable, candidate.advice.split(":")[0])
    assert offers == {
        "free": (True, ""),
        "linked": (False, "it is linked to Ada King (profile 3)"),
        "excluded": (False, "it is on the exclusion list"),
        "pushed for another": (False, "it goes to Ada L (profile 4) in this push"),
    }


def test_the_date_of_birth_is_read_from_an_iso_date_or_datetime_only():
    def born(value):
        return member_dob(Member.from_json({"id": 1, "group_id": 1, "personal_fields": {"date_of_birth": value}}))

    assert [born("1815-12-10"), born("1815-12-10T00:00:00Z"), born("10/12/1815"), born(""), born(None)] == [
        BORN, BORN, None, None, None]
