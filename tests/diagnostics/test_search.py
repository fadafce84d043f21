"""Finding the person: profiles, Sign In App members in the mirror, exclusions and portal users, by name or
email in any case; records that belong together make one person. The last tests go through the sandbox."""
import pytest

from connectors.sia import client_for
from sandbox.models import SandboxGroup
from store.models import Exclusion, SiaMember
from store.search import search_terms
from sync import diagnostics, sia_import
from tests import factories as f
from tests.sandbox import helpers as sandbox_helpers
from tests.sync import helpers as sync_helpers

from .helpers import cause, codes, diagnose, person, portal_user


def test_search_finds_a_profile_by_email_in_any_case_with_its_linked_member(school):
    found = person(school.org, "ADA@Hill.TEST")
    assert [p.id for p in found.profiles] == [school.ada.id]
    assert [m.id for m in found.members] == [school.member.id]


def test_search_finds_a_member_only_in_the_mirror(school):
    nia = f.member(school.staff, "Nia New", email="nia@hill.test")
    found = person(school.org, "nia new")
    assert found.name == "Nia New" and found.members == [nia] and found.profiles == []


def test_search_finds_an_exclusion_whose_member_is_not_in_the_mirror(school):
    Exclusion.create(organisation=school.org, connection=school.conn, sia_member_id=9999, display_name="Eve Excluded")
    found = person(school.org, "eve")
    assert [e.display_name for e in found.exclusions] == ["Eve Excluded"]
    assert "Sign In App member 9999" in cause(found, "excluded").detail


def test_search_finds_portal_users_by_name_or_email(school):
    pat = portal_user("Pat Primary", "pat@hill.test")
    other = portal_user("Sam Second", "sam@hill.test", id=2)
    assert person(school.org, "PAT@hill", pat, other).portal_users == [pat]


def test_search_keeps_different_people_apart_and_joins_records_of_one(school):
    f.profile(school.org, "Ben", "Lovelace", email="ben@hill.test")
    found = diagnose(school.org, "lovelace").people
    assert [p.name for p in found] == ["Ada Lovelace", "Ben Lovelace"]
    assert len(found[0].members) == 1 and found[1].members == []


def test_an_empty_search_looks_for_nobody(school):
    assert diagnose(school.org, "   ").people == []


def test_search_does_not_show_another_organisations_profiles(school):
    dale = f.organisation("Dale School")
    f.profile(dale, "Ada", "Dale")
    assert [p.name for p in diagnose(school.org, "ada").people] == ["Ada Lovelace"]


def test_search_ignores_control_characters_even_on_postgresql(school):
    assert [p.name for p in diagnose(school.org, "ada\x00 love\x07lace").people] == ["Ada Lovelace"]


def test_search_looks_at_the_first_ten_words_and_says_so(school):
    found = diagnose(school.org, " ".join(["lovelace"] * 79))
    assert [p.name for p in found.people] == ["Ada Lovelace"]
    assert found.notes == ["Only the first 10 words were searched."]


def test_search_terms_are_bounded_and_cleaned():
    terms = search_terms("  a\x00b " + "c" * 150 + " " + " ".join(str(n) for n in range(20)))
    assert terms.words == ("ab", "c" * 100, *(str(n) for n in range(8)))
    assert (terms.dropped_words, terms.shortened) == (12, True)
    assert search_terms("ada lovelace") == search_terms("ada\tlovelace\n") and search_terms("ada").notice is None


def test_a_percent_sign_finds_only_members_whose_fields_hold_one(school):
    f.member(school.staff, "Percy Half", role="50% teacher")
    f.member(school.staff, "Fifi Five", role="500 club")
    assert [m.personal_fields["name"] for m in SiaMember.mentioning("50%")] == ["Percy Half"]
    assert [m.personal_fields["name"] for m in SiaMember.mentioning("f_f")] == []


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def run_import(ctx, built):
    return sia_import.import_organisation(built.org, actor="test", client=client_for(built.connection, wsgi_app=ctx))


def test_portal_users_are_asked_of_sign_in_app_at_diagnose_time(ctx):
    built = sync_helpers.school()
    sandbox_helpers.portal_user(built.account, name="Pat Primary", email="pat@oakfield.test")
    found = diagnostics.diagnose(built.org, "pat")
    [pat] = found.people
    assert "portal_user_only" in codes(pat) and found.notes == []


def test_a_sign_in_app_that_refuses_leaves_a_note_and_the_rest_of_the_answer(ctx, school):
    found = diagnostics.diagnose(school.org, "ada")
    assert "Sign In App portal users were not checked" in found.notes[0] and "(401)" in found.notes[0]
    assert found.people[0].healthy


def test_a_group_unlinked_after_an_import_is_named_through_real_imports(ctx):
    built = sync_helpers.school()
    built.member("Ada Lovelace")
    assert run_import(ctx, built).counts["created"] == 1
    SandboxGroup.update(organisation_id=None).where(SandboxGroup.id == built.staff.id).execute()
    assert run_import(ctx, built).status == "succeeded"
    found = diagnostics.diagnose(built.org, "ada lovelace").people[0]
    assert "the group Staff is not linked to Oakfield Academy" in cause(found, "group_not_linked").detail
    assert found.profiles and found.members
