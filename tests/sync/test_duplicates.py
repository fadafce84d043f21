"""Duplicate suggestions (DESIGN §5): an SIA-sourced linked profile paired with an unlinked one of the
same organisation, scored certain (email), likely (name and date of birth) or possible (name)."""
import datetime
import logging
from types import SimpleNamespace

import pytest

from sync.duplicates import suggestions
from sync.linking import create_link
from tests import factories as f

DOB = datetime.date(1980, 12, 10)


@pytest.fixture
def school(db):
    org = f.organisation("Hill School")
    staff = f.group(f.connection(org), org, "Staff")

    def imported(forename, surname, **fields):
        profile = f.profile(org, forename, surname, source="sia", **fields)
        create_link(profile, f.member(staff, f"{forename} {surname}"), "import")
        return profile

    return SimpleNamespace(org=org, staff=staff, imported=imported)


def pairs(org):
    return [(s.kept.id, s.removed.id, s.score) for s in suggestions(org)]


def test_the_same_email_is_a_certain_match_ignoring_case_and_spaces(school):
    own = f.profile(school.org, "Ada", "King", email="Ada.Lovelace@Hill.test ")
    sia = school.imported("Ada", "Lovelace", email="ada.lovelace@hill.test")
    [suggestion] = suggestions(school.org)
    assert (suggestion.kept.id, suggestion.removed.id, suggestion.score) == (own.id, sia.id, "certain")
    assert suggestion.reason == "same email (ada.lovelace@hill.test)"


def test_the_same_name_and_date_of_birth_is_a_likely_match(school):
    own = f.profile(school.org, "ada", " LOVELACE", dob=DOB, email="ada@home.test")
    sia = school.imported("Ada", "Lovelace", dob=DOB, email="ada@hill.test")
    [suggestion] = suggestions(school.org)
    assert (suggestion.kept.id, suggestion.removed.id, suggestion.score) == (own.id, sia.id, "likely")
    assert suggestion.reason == "same name and date of birth (10 Dec 1980)"


def test_the_same_name_alone_is_a_possible_match(school):
    own = f.profile(school.org, "Ada", "Lovelace", dob=datetime.date(1990, 1, 1))
    sia = school.imported("Ada  ", "lovelace", dob=DOB)
    assert pairs(school.org) == [(own.id, sia.id, "possible")]
    assert suggestions(school.org)[0].reason.startswith("same name")


def test_each_candidate_is_suggested_once_with_its_best_score_most_certain_first(school):
    by_name = f.profile(school.org, "Ada", "Lovelace")
    by_email = f.profile(school.org, "Augusta", "King", email="ada@hill.test")
    by_name_and_email = f.profile(school.org, "Ada", "Lovelace", email="ada@hill.test")
    sia = school.imported("Ada", "Lovelace", email="ada@hill.test")
    assert pairs(school.org) == [
        (by_name_and_email.id, sia.id, "certain"), (by_email.id, sia.id, "certain"), (by_name.id, sia.id, "possible"),
    ]


def test_only_linked_sia_profiles_and_unlinked_active_profiles_of_the_school_are_paired(school):
    school.imported("Ada", "Lovelace")
    f.profile(school.org, "Ada", "Lovelace", status="deleted")
    f.profile(school.org, "Ada", "Lovelace", status="merged")
    f.profile(f.organisation("Dale School"), "Ada", "Lovelace")
    manual_linked = f.profile(school.org, "Grace", "Hopper")
    create_link(manual_linked, f.member(school.staff, "Grace Hopper"), "push")
    f.profile(school.org, "Grace", "Hopper", source="sia")  # SIA-sourced but unlinked: a candidate, not a source
    assert pairs(school.org) == []


def test_two_linked_profiles_are_never_suggested(school):
    school.imported("Ada", "Lovelace", email="ada@hill.test")
    school.imported("Ada", "Lovelace", email="ada@hill.test")
    assert pairs(school.org) == []


def test_suggestions_read_the_profiles_in_three_queries_however_many_there_are(school, caplog):
    """Two queries of plain rows find the pairs; one more reads the profiles of the pairs found."""
    for n in range(60):
        f.profile(school.org, f"Person{n}", "Smith", email=f"p{n}@hill.test")
    for n in range(0, 60, 3):
        school.imported(f"PERSON{n}", "smith", email=f"P{n}@hill.test")
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        found = suggestions(school.org)
    assert len(found) == 20 and {s.score for s in found} == {"certain"}
    assert all(s.kept.forename.lower() == s.removed.forename.lower() for s in found)
    assert len([r for r in caplog.records if r.name == "peewee"]) == 3
