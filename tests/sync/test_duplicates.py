"""Duplicate suggestions (DESIGN §5): an SIA-sourced linked profile paired with an unlinked one of the
same organisation, scored certain (email), likely (name and date of birth) or possible (name); what bulk
merge does with each pair by default, and what differs."""
import datetime
import logging
from types import SimpleNamespace

import pytest

from store.models import Link, Profile
from sync.duplicates import (
    NEVER,
    PRE_TICKED,
    REVIEW,
    bulk_merge,
    bulk_merge_default,
    groups_adding_members_via_ipad,
    ipad_self_add_cause,
    suggestions,
    suggestions_with,
)
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


# -- what bulk merge does with a pair by default -----------------------------------------------------

TODAY = datetime.date(2024, 9, 2)
CONFLICTS = {
    "no conflict": {},
    "different dates of birth": {"removed": {"dob": datetime.date(1981, 3, 4)}},
    "both linked": {"both_linked": True},
    "a leaver": {"kept": {"leaving_date": TODAY}},
}
# Without a conflict: what the help's "merged in bulk" may do unasked, and what a person must look at first.
WITHOUT_CONFLICT = {
    ("same first name", "same email"): PRE_TICKED,
    ("same first name", "different email"): REVIEW,
    ("different first names", "same email"): REVIEW,  # one email shared by different first names
    ("different first names", "different email"): REVIEW,
}


def side(forename, email, **fields):
    values = {"forename": forename, "surname": "Lee", "email": email, "dob": DOB, "leaving_date": None}
    return SimpleNamespace(**{**values, **fields})


@pytest.mark.parametrize("first_names, emails, conflict", [
    (first_names, emails, conflict)
    for first_names, emails in WITHOUT_CONFLICT for conflict in CONFLICTS
])
def test_merged_in_bulk_with_your_existing_profiles_only_when_names_and_email_agree_and_nothing_conflicts(
    first_names, emails, conflict,
):
    """Setup help: "these profiles will need to be merged in bulk with your existing SCR profiles" — so a
    bulk merge with the default choices must never merge two people: pre-ticked only when names and email
    agree; one email shared by different first names is for review; a conflicting pair is never merged in bulk."""
    how = CONFLICTS[conflict]
    kept = side("Sam", "sam.lee@hill.test", **how.get("kept", {}))
    removed = side(
        "SAM " if first_names == "same first name" else "Samantha",
        " Sam.Lee@Hill.test" if emails == "same email" else "s.lee@home.test",
        **how.get("removed", {}),
    )
    default = bulk_merge_default(kept, removed, both_linked=how.get("both_linked", False), on=TODAY)
    expected = NEVER if conflict != "no conflict" else WITHOUT_CONFLICT[(first_names, emails)]
    assert default.choice == expected
    assert default.ticked == (expected == PRE_TICKED) and default.offered == (expected != NEVER)
    if expected == NEVER:
        assert conflict.split()[-1] in default.why and "Compare and merge the pair on its own" in default.why
    elif (first_names, emails) == ("different first names", "same email"):
        assert default.why.startswith("one email shared by different first names (Sam, Samantha)")


def test_one_email_shared_by_different_surnames_is_for_review_and_a_future_leaving_date_does_not_conflict():
    kept = side("Ada", "ada@hill.test", surname="King", leaving_date=TODAY + datetime.timedelta(days=1))
    removed = side("Ada", "ada@hill.test", surname="Lovelace")
    default = bulk_merge_default(kept, removed, on=TODAY)
    assert (default.choice, default.why) == (
        REVIEW, "one email shared by different surnames (King, Lovelace); check they are one person before ticking.",
    )


def test_a_merged_in_profile_that_is_a_leaver_is_never_merged_in_bulk():
    removed = side("Sam", "sam@hill.test", leaving_date=datetime.date(2024, 7, 19))
    default = bulk_merge_default(side("Sam", "sam@hill.test"), removed, on=TODAY)
    assert default.choice == NEVER and default.conflicts == ("Sam Lee is a leaver from 19 Jul 2024",)


def test_each_pair_shows_what_differs_field_by_field_in_words(school):
    f.profile(school.org, "Ada", "Lovelace", email="ada@hill.test", dob=DOB, role="Teacher of Maths")
    school.imported("Ada", "Lovelace", type_name="Support Staff", email="ADA@hill.test ", mobile="07700 900123",
                    role="Teacher of Maths")
    [suggestion] = suggestions(school.org)
    assert [d.words for d in suggestion.differences] == [
        "Profile type: Teaching Staff (kept) / Support Staff (merged in); the merge keeps Teaching Staff",
        "Mobile: none (kept) / 07700 900123 (merged in); the merge fills it in",
        "Date of birth: 10 Dec 1980 (kept) / none (merged in); the merge keeps 10 Dec 1980",
    ]
    assert suggestion.default.ticked


def test_bulk_merge_refuses_a_pair_that_conflicts_and_merges_the_others(school):
    own = f.profile(school.org, "Sam", "Lee", email="sam@hill.test", dob=DOB)
    sia = school.imported("Sam", "Lee", email="sam@hill.test", dob=datetime.date(1990, 5, 6))
    grace_own = f.profile(school.org, "Grace", "Hopper", email="grace@hill.test")
    grace_sia = school.imported("Grace", "Hopper", email="grace@hill.test")
    first, second = bulk_merge([(own, sia), (grace_own, grace_sia)], "admin@hill.test")
    assert not first.merged and second.merged
    assert first.refusal == (
        f"Sam Lee (#{sia.id}, sam@hill.test) and Sam Lee (#{own.id}, sam@hill.test) are never merged in bulk: "
        "different dates of birth (10 Dec 1980, 06 May 1990). Compare and merge the pair on its own if it is one person."
    )
    assert Profile.get_by_id(sia.id).status == "active" and Link.active_for_profile(sia) is not None


def test_a_profile_finds_the_suggested_pairs_it_is_part_of_from_either_side(school):
    own = f.profile(school.org, "Ada", "Lovelace", email="ada@hill.test")
    namesake = f.profile(school.org, "Ada", "lovelace ")
    f.profile(school.org, "Grace", "Hopper", email="grace@hill.test")
    sia = school.imported("Ada", "Lovelace", email="ada@hill.test")
    from_sia = [(s.kept.id, s.removed.id, s.score) for s in suggestions_with(sia)]
    assert from_sia == [(own.id, sia.id, "certain"), (namesake.id, sia.id, "possible")]
    assert [(s.kept.id, s.score) for s in suggestions_with(own)] == [(own.id, "certain")]
    deleted = f.profile(school.org, "Ada", "Lovelace", status="deleted")
    assert suggestions_with(deleted) == []


def test_a_synced_group_that_lets_members_add_themselves_via_the_ipad_is_the_likely_cause(school):
    """Troubleshooting help: check 'Allow new group members to be added via the iPad app'."""
    assert ipad_self_add_cause(groups_adding_members_via_ipad(school.org)) is None
    school.staff.settings = {"sign_in_options": {"allow_ipad_self_add": True}}
    school.staff.save()
    unlinked = f.group(school.staff.connection, None, "Volunteers")
    unlinked.settings = {"sign_in_options": {"allow_ipad_self_add": True}}
    unlinked.save()
    cause = ipad_self_add_cause(groups_adding_members_via_ipad(school.org))
    assert "The Sign In App group Staff has “Allow new group members to be added via the iPad app” toggled on" in cause.detail
    assert "accidentally create a second profile for themselves" in cause.detail
    assert cause.fix.startswith("From your Sign In App portal, head to Manage > Groups > Staff > Details and under "
                                "Permissions, toggle off")
