"""Finding the person: profiles, Sign In App members in the mirror, exclusions and portal users, by name or
email in any case; records that belong together make one person. The last tests go through the sandbox."""
import pytest

from connectors.sia import SiaError, client_for
from sandbox.models import SandboxGroup
from store.models import Exclusion, SiaMember
from store.search import search_terms
from sync import diagnostics, group_links, sia_import
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
    # Unlinked in Sign In App only: Tether keeps the link, and the import says they differ.
    SandboxGroup.update(organisation_id=None).where(SandboxGroup.id == built.staff.id).execute()
    assert run_import(ctx, built).status == "needs_attention"
    assert "group_not_linked" not in codes(diagnostics.diagnose(built.org, "ada lovelace").people[0])
    # Unlinked in Tether (support, on the connection page): diagnostics say so.
    group_links.set_links(built.org, built.connection, unlink=[built.staff.id], actor="support@tether.test")
    assert run_import(ctx, built).status == "needs_attention"
    found = diagnostics.diagnose(built.org, "ada lovelace").people[0]
    assert "the group Staff is not linked to Oakfield Academy" in cause(found, "group_not_linked").detail
    assert found.profiles and found.members


def test_members_of_standard_or_unlinked_groups_are_found_in_sign_in_app_and_told_why(ctx):
    # "Is the group linked? ... Only Repeat groups can be linked — Standard groups will not sync."
    from sync import live

    built = sync_helpers.school()
    built.member("Ada Lovelace")
    visitors = built.group("Visitors", type="non-returning")
    contractors = built.group("Contractors", linked=False)
    built.member("Vera Visitor", group=visitors)
    built.member("Carl Contractor", group=contractors, email="carl@builders.test")
    assert run_import(ctx, built).status == "succeeded"
    assert live.read_groups(built.connection) is None  # what the page does first: the groups as they are now

    vera = person_of(diagnostics.diagnose(built.org, "vera"))
    assert [(m.name, m.group.name) for m in vera.live_members] == [("Vera Visitor", "Visitors")]
    assert ("is in the Standard group Visitors: the integration works for Repeat Sign In App groups only"
            in cause(vera, "group_not_returning").detail)

    carl = person_of(diagnostics.diagnose(built.org, "CARL@builders.test"))
    told = cause(carl, "group_not_linked")
    assert ("is in the group Contractors, which is not linked to Oakfield Academy: link it under Manage > Groups > "
            "Contractors > Integrations") in told.detail
    assert told.fix.in_sign_in_app

    # Someone in the mirror is not looked for live; nobody anywhere is simply not found.
    assert person_of(diagnostics.diagnose(built.org, "ada lovelace")).live_members == []
    assert diagnostics.diagnose(built.org, "zebedee").people == []


def test_the_live_search_is_bounded_and_says_what_it_did_not_search(ctx):
    built = sync_helpers.school()
    run_import(ctx, built)
    for n in range(diagnostics.LIVE_GROUPS + 1):
        sandbox_helpers.members(built.group(f"Visitors {n}", type="non-returning"), 3)
    from sync import live

    assert live.read_groups(built.connection) is None
    found = diagnostics.diagnose(built.org, "nobody")
    assert found.people == []
    assert f"Only {diagnostics.LIVE_GROUPS} of the Sign In App groups not linked to Oakfield Academy were searched" \
        in found.notes[0]


def test_a_sign_in_app_that_cannot_be_asked_leaves_a_note_instead_of_the_live_search(school):
    school.staff.organisation = None
    school.staff.save()

    class Unreachable:
        def members(self, group_id):
            raise SiaError("Sign In App did not answer in time.")

    found = diagnostics.diagnose(school.org, "grace", client=PortalUsersStub(), live_client=Unreachable())
    assert any("were not all searched: Sign In App did not answer in time." in note for note in found.notes)


class PortalUsersStub:
    def portal_users(self):
        return []


def person_of(diagnosis):
    [found] = diagnosis.people
    return found


def test_the_page_shows_a_member_of_a_standard_group_found_in_sign_in_app_with_why(client, ctx):
    built = sync_helpers.school()
    built.member("Vera Visitor", group=built.group("Visitors", type="non-returning"))
    run_import(ctx, built)
    f.user("admin@oakfield.test", "admin", [built.org])
    client.login("admin@oakfield.test")
    answer = client.get(f"/organisations/{built.org.id}/diagnostics?q=vera").get_data(as_text=True)
    assert "in the Standard group Visitors" in answer and "read from Sign In App just now" in answer
    assert "the integration works for Repeat Sign In App groups only" in answer
    assert "Fix in Sign In App:</strong> In Sign In App, add Vera Visitor to a Repeat group linked to Oakfield Academy." in answer
