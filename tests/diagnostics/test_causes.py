"""Every cause diagnostics names (the troubleshooting help page), each built and checked on its own."""
import datetime

from compliance import decision
from compliance.decision import UNAVAILABLE_MESSAGE
from connectors.sia import SiaAuthError
from store.models import (
    CheckRecord, CheckType, Link, Organisation, Profile, RatingRequirement, RatingSystem, SiaMember, SyncRun, now,
)
from sync import diagnostics, linking, links, sia_import
from tests import factories as f

from .helpers import TODAY, build_school, cause, codes, diagnose, person, portal_user, set_group

YESTERDAY = TODAY - datetime.timedelta(days=1)


def fresh(profile):
    return Profile.get_by_id(profile.id)


def test_diagnose_says_nothing_is_wrong_when_the_person_syncs_and_is_ready(school):
    found = person(school.org, "ada lovelace")
    assert found.healthy and found.causes == []
    assert found.summary == "Syncing normally; green shield shown when ready."
    answer = decision.check_sign_in(school.conn, school.member.sia_id, school.staff.sia_id, notify=False)
    assert answer["shield"] is True


def test_diagnose_names_an_unlinked_group_as_the_cause(school):
    office = f.group(school.conn, None, "Office")
    f.member(office, "Bob Brown", email="bob@hill.test")
    found = person(school.org, "bob")
    unlinked = cause(found, "group_not_linked")
    assert "Office is not linked to Hill School" in unlinked.detail
    assert unlinked.fix.intent is None and "Manage > Groups > Office > Integrations" in unlinked.fix.text


def test_diagnose_names_a_standard_group_as_the_cause(school):
    visitors = f.group(school.conn, school.org, "Visitors", type="non-returning")
    f.member(visitors, "Val Visitor")
    found = person(school.org, "val")
    standard = cause(found, "group_not_returning")
    assert "Visitors is a Standard (non-returning) group" in standard.detail
    assert "link_broken" not in codes(found)  # a Standard group's sign-ins are not this link's business


def test_diagnose_names_a_group_linked_to_another_organisation_as_the_cause(school):
    dale = f.organisation("Dale School")
    theirs = f.group(school.conn, dale, "Dale Staff")
    f.member(theirs, "Dan Dale")
    found = person(school.org, "dan dale")
    elsewhere = cause(found, "group_linked_elsewhere")
    assert "linked to Dale School, not Hill School" in elsewhere.detail


def test_a_school_admin_never_finds_another_schools_members_of_a_shared_trust_account(school):
    dale = f.organisation("Dale School")
    f.member(f.group(school.conn, dale, "Dale Staff"), "Dan Dale")
    assert diagnose(school.org, "dan dale", other_schools=False).people == []


def test_diagnose_names_no_matching_rule_with_the_explain_trace(school):
    office = f.group(school.conn, school.org, "Office")
    set_group(office)
    f.member(office, "Olive Office", role="Bursar")
    found = person(school.org, "olive")
    unmatched = cause(found, "no_rule_matched")
    assert "matches no enabled mapping rule of Hill School (1 rule tried)" in unmatched.detail
    [(rule, explanation)] = unmatched.trace
    assert rule.expression == "group == Staff" and explanation.matched is False
    assert "Office" in explanation.render()
    assert unmatched.fix.intent == "edit_rules" and unmatched.fix.roles == ("support", "admin")
    assert unmatched.to_dict()["trace"][0]["matched"] is False


def test_diagnose_names_a_member_the_imports_have_not_reached_yet(school):
    f.member(school.staff, "Nia New", email="nia@hill.test")
    found = person(school.org, "nia")
    pending = cause(found, "never_imported")
    assert "maps it to Teaching Staff" in pending.detail and pending.fix.intent == "run_import"


def test_diagnose_names_an_organisation_never_imported(db):
    school = build_school()
    SyncRun.delete().execute()
    f.member(school.staff, "Nia New")
    never = cause(person(school.org, "nia"), "never_imported")
    assert "No Sign In App import of Hill School has succeeded yet" in never.detail


def test_diagnose_names_the_failed_last_import_with_its_error(school):
    class RefusedCredentials:
        def list_groups(self):
            raise SiaAuthError("Sign In App rejected the API key and secret for connection 'Hill Sign In App' (401).")

    result = sia_import.import_organisation(school.org, actor="test", client=RefusedCredentials())
    assert result.status == "failed"
    failed = cause(person(school.org, "ada"), "last_import_failed")
    assert "rejected the API key and secret" in failed.detail and f"run {result.run.id}" in failed.detail


def test_diagnose_names_the_exclusion_and_offers_support_its_restore(school):
    exclusion = links.delete_profile(school.ada, "admin@hill.test", "second profile")
    found = person(school.org, "ada")
    excluded = cause(found, "excluded")
    assert "Sign In App member" in excluded.detail and "second profile" in excluded.detail
    assert excluded.fix.intent == "restore_exclusion" and excluded.fix.subject == {"exclusion_id": exclusion.id}
    assert excluded.fix.roles == ("support",)
    assert {"profile_deleted", "link_broken"} <= codes(found)
    assert "its member put on the exclusion list" in cause(found, "profile_deleted").detail


def test_diagnose_names_a_portal_user_only(school):
    found = person(school.org, "pat", portal_user("Pat Primary", "pat@hill.test"))
    only = cause(found, "portal_user_only")
    assert "Pat Primary (pat@hill.test) is a Sign In App portal user (primary)" in only.detail
    assert found.portal_users and not found.members


def test_diagnose_names_a_leaver_whose_link_is_severed(school):
    Profile.update(leaving_date=YESTERDAY).where(Profile.id == school.ada.id).execute()
    linking.sever(school.link, "leaver", "job")
    found = person(school.org, "ada")
    leaver = cause(found, "leaver")
    assert f"is a leaver from {YESTERDAY:%d %b %Y}: its link is severed" in leaver.detail
    assert "remove the leaving date" in leaver.fix.text


def test_diagnose_offers_to_relink_a_returned_leaver_to_the_previous_member(school):
    linking.sever(school.link, "leaver", "job")
    found = person(school.org, "ada")
    returned = cause(found, "leaver")
    assert "removing the date does not re-link it" in returned.detail
    assert returned.fix.intent == "relink" and returned.fix.subject["member_id"] == school.member.id
    assert returned.fix.roles == ("support",)


def test_diagnose_names_a_decoupled_profile_and_offers_to_relink_it(school):
    links.decouple(school.ada, "admin@hill.test")
    found = person(school.org, "ada")
    decoupled = cause(found, "decoupled")
    assert "was decoupled from its Sign In App member" in decoupled.detail
    assert decoupled.fix.intent == "relink"
    assert decoupled.fix.subject == {
        "profile_id": school.ada.id, "version": fresh(school.ada).version, "member_id": school.member.id,
        "restore_exclusion": False,
    }


def test_diagnose_names_a_duplicate_and_offers_to_merge_it_into_the_schools_profile(school):
    own = f.profile(school.org, "Ada", "Lovelace", email="ADA@hill.test")
    found = person(school.org, "ada")
    duplicate = cause(found, "duplicate")
    assert "have the same email" in duplicate.detail
    assert duplicate.fix.intent == "merge"
    assert duplicate.fix.subject == {"kept_id": own.id, "removed_id": school.ada.id}


def test_diagnose_names_the_ipad_app_setting_as_the_likely_cause_of_a_new_duplicate(school):
    """Troubleshooting help, "After First Sync": with 'Allow new group members to be added via the iPad app'
    on, "group members may accidentally create a second profile for themselves within the group"."""
    school.staff.settings["sign_in_options"]["allow_ipad_self_add"] = True
    school.staff.save()
    assert person(school.org, "ada").healthy  # no duplicate, nothing to explain
    f.profile(school.org, "Ada", "Lovelace", email="ada@hill.test")
    likely = cause(person(school.org, "ada"), "ipad_self_add")
    assert "The Sign In App group Staff has “Allow new group members to be added via the iPad app” toggled on" \
        in likely.detail
    assert likely.fix.in_sign_in_app and "Manage > Groups > Staff > Details and under Permissions" in likely.fix.text
    set_group(school.staff)  # the setting off again
    assert "duplicate" in codes(person(school.org, "ada")) and "ipad_self_add" not in codes(person(school.org, "ada"))


def test_diagnose_finds_a_duplicate_the_search_did_not_match(school):
    f.profile(school.org, "Ada", "Lovelace", email="a.king@home.test")
    found = person(school.org, "ada@hill")
    assert "have the same name" in cause(found, "duplicate").detail


def test_diagnose_names_a_member_archived_in_sign_in_app(school):
    SiaMember.update(archived=True, gone_at=now()).where(SiaMember.id == school.member.id).execute()
    found = person(school.org, "ada")
    assert "is archived in Sign In App" in cause(found, "member_archived").detail
    assert "link_broken" not in codes(found)


def test_diagnose_names_a_member_gone_from_sign_in_app(school):
    SiaMember.update(gone_at=now()).where(SiaMember.id == school.member.id).execute()
    assert "was not in Sign In App" in cause(person(school.org, "ada"), "member_gone").detail


def test_diagnose_names_the_safety_check_switched_off_for_the_organisation(school):
    Organisation.update(settings={"safety_check_enabled": False}).where(Organisation.id == school.org.id).execute()
    found = person(Organisation.get_by_id(school.org.id), "ada")
    off = cause(found, "safety_check_off")
    assert "switched off for Hill School" in off.detail and "Manage > Safety Check" in off.fix.text


def test_diagnose_names_a_group_set_to_dont_check(school):
    set_group(school.staff, safety_check="dont_check")
    dont = cause(person(school.org, "ada"), "group_dont_check")
    assert "Staff is set to “Don't check”" in dont.detail


def test_diagnose_names_a_group_whose_rating_check_is_none(school):
    set_group(school.staff, rating_check="none")
    none = cause(person(school.org, "ada"), "group_rating_none")
    assert "Do not check rating systems" in none.detail


def test_diagnose_names_a_group_whose_selected_rating_systems_are_all_disabled(school):
    RatingSystem.update(enabled=False).execute()
    set_group(school.staff, rating_check="selected", rating_systems=[school.school_ready.id])
    assert "no_rating_system" in codes(person(school.org, "ada"))


def test_diagnose_names_what_is_missing_when_not_ready(school):
    school.record.delete_instance()
    not_ready = cause(person(school.org, "ada"), "not_ready")
    assert "School Ready: missing Enhanced DBS" in not_ready.detail
    assert not_ready.fix.intent == "record_checks"


def test_diagnose_names_what_has_expired_when_not_ready(school):
    CheckRecord.update(completed_on=TODAY - datetime.timedelta(days=4 * 365)).execute()
    assert "School Ready: expired Enhanced DBS" in cause(person(school.org, "ada"), "not_ready").detail


def test_diagnose_checks_readiness_only_in_the_rating_systems_the_group_selected(school):
    inspector = RatingSystem.create(organisation=school.org, name="Inspector Ready")
    barred = CheckType.create(organisation=school.org, code="barred_list", name="Barred list")
    RatingRequirement.create(rating_system=inspector, profile_type=f.profile_type(school.org), check_type=barred)
    assert "Inspector Ready: missing Barred list" in cause(person(school.org, "ada"), "not_ready").detail
    set_group(school.staff, rating_check="selected", rating_systems=[school.school_ready.id])
    assert person(school.org, "ada").healthy


def test_diagnose_names_a_broken_link_with_the_message_sign_in_app_shows(school):
    Link.update(severed_at=now(), sever_reason="merged").where(Link.id == school.link.id).execute()
    broken = cause(person(school.org, "ada"), "link_broken")
    assert UNAVAILABLE_MESSAGE in broken.detail
    answer = decision.check_sign_in(school.conn, school.member.sia_id, school.staff.sia_id, notify=False)
    assert answer["message"] == UNAVAILABLE_MESSAGE
    assert broken.fix.intent == "relink" and broken.fix.subject["member_id"] == school.member.id


def test_diagnose_offers_support_the_restore_of_a_deleted_profile(school):
    links.delete_profile(school.ada, "admin@hill.test")
    deleted = cause(person(school.org, "ada"), "profile_deleted")
    assert deleted.fix.intent == "restore_profile" and deleted.fix.roles == ("support",)


def test_diagnose_names_a_profile_with_no_member_in_the_linked_groups(school):
    f.profile(school.org, "Grace", "Hopper", email="grace@hill.test")
    missing = cause(person(school.org, "grace"), "not_in_sign_in_app")
    assert "(read: Staff)" in missing.detail and missing.fix.intent == "push"


def test_diagnose_names_an_organisation_without_a_sign_in_app_connection(db):
    org = f.organisation("Moor School")
    f.profile(org, "Mo", "Moor")
    found = diagnostics.diagnose(org, "moor").people[0]
    assert "no_connection" in codes(found)


def test_diagnose_names_an_organisation_with_no_linked_group(school):
    school.staff.organisation = None
    school.staff.save()
    f.profile(school.org, "Grace", "Hopper")
    unlinked = cause(person(school.org, "grace"), "group_not_linked")
    assert "No Repeat group of Hill Sign In App is linked to Hill School" in unlinked.detail


def test_a_broken_link_is_re_linked_to_the_one_free_profile_sharing_the_members_email_else_support_is_asked(school):
    links.delete_profile(school.ada, "admin@hill.test")
    Profile.update(deleted_at=now() - datetime.timedelta(days=120)).where(Profile.id == school.ada.id).execute()
    first = f.profile(school.org, "Ada", "Lovelace", email="ada.l@home.test")
    second = f.profile(school.org, "Ada", "Lovelace", email="a.lovelace@home.test")
    fix = cause(person(school.org, "lovelace"), "link_broken").fix
    assert fix.intent is None and fix.label == "Re-link the right profile"
    assert f"(#{first.id}, ada.l@home.test) or Ada Lovelace (#{second.id}" in fix.text

    Profile.update(email="ada@hill.test").where(Profile.id == second.id).execute()
    fix = cause(person(school.org, "lovelace"), "link_broken").fix
    assert fix.intent == "relink" and fix.roles == ("support",)
    assert fix.subject == {"profile_id": second.id, "version": fix.subject["version"], "member_id": school.member.id,
                           "restore_exclusion": True}
