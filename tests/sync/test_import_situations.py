"""Every situation of DESIGN §5's table, each with its own test, through a real import of the sandbox."""
import datetime

from sandbox.models import SandboxPortalUser
from store.models import Exclusion, FieldMapping, Link, Profile, SiaGroup, SiaMember
from sync import linking, links
from tests import factories

from . import helpers

YESTERDAY = datetime.date.today() - datetime.timedelta(days=1)


def profile_of(sia_id):
    link = Link.active().join(SiaMember).where(SiaMember.sia_id == sia_id).first()
    return Profile.get_by_id(link.profile_id) if link else None


def test_unlinked_member_matching_a_rule_becomes_a_new_linked_profile(school, run_import):
    ada = school.member("Ada Lovelace", role="Teacher of Maths", mobile="07700 900001")
    result = run_import(school)
    assert result.status == "succeeded"
    assert result.counts["created"] == 1
    profile = profile_of(ada.id)
    assert (profile.forename, profile.surname, profile.email, profile.mobile, profile.role) == (
        "Ada", "Lovelace", "ada.lovelace@school.test", "07700 900001", "Teacher of Maths")
    assert profile.profile_type.name == "Teaching Staff" and profile.source == "sia"


def test_created_profile_beside_a_similar_one_is_left_as_a_duplicate_to_merge(school, run_import):
    existing = factories.profile(school.org, "Ada", "Lovelace", email="ada.lovelace@school.test")
    ada = school.member("Ada Lovelace")
    assert run_import(school).counts["created"] == 1
    assert profile_of(ada.id).id != existing.id


def test_unlinked_member_matching_no_rule_is_unmapped(school, run_import):
    visitors = school.group("Visitors")
    school.member("Val Visitor", group=visitors)
    result = run_import(school)
    assert result.counts["unmapped"] == 1
    assert Profile.select().count() == 0


def test_linked_member_whose_mapped_fields_changed_updates_the_profile(school, run_import):
    ada = school.member("Ada Lovelace")
    run_import(school)
    helpers.rename(ada, "Ada King")
    result = run_import(school)
    assert result.counts["updated"] == 1
    profile = profile_of(ada.id)
    assert (profile.forename, profile.surname, profile.version) == ("Ada", "King", 2)


def test_linked_member_with_nothing_changed_is_unchanged(school, run_import):
    school.member("Ada Lovelace")
    run_import(school)
    assert run_import(school).counts["unchanged"] == 1


def test_two_runs_in_a_row_leave_the_second_all_unchanged(school, run_import):
    for n in range(12):
        school.member(f"Person Number{n}")
    first = run_import(school)
    before = helpers.Snapshot()
    second = run_import(school)
    assert first.counts["created"] == 12
    assert second.counts == {**dict.fromkeys(second.counts, 0), "unchanged": 12}
    assert helpers.Snapshot().tables == before.tables


def test_linked_profile_that_left_today_has_its_link_severed_as_leaver(school, run_import):
    ada = school.member("Ada Lovelace")
    run_import(school)
    profile = profile_of(ada.id)
    Profile.update(leaving_date=datetime.date.today()).where(Profile.id == profile.id).execute()
    helpers.rename(ada, "Ada King")
    result = run_import(school)
    assert result.counts["leaver"] == 1
    link = Link.get(Link.profile == profile.id)
    assert link.sever_reason == "leaver" and link.severed_at is not None
    assert Profile.get_by_id(profile.id).surname == "Lovelace"  # no further updates


def test_member_severed_as_leaver_is_not_imported_again_as_a_new_profile(school, run_import):
    ada = school.member("Ada Lovelace")
    run_import(school)
    Profile.update(leaving_date=YESTERDAY).execute()
    run_import(school)
    result = run_import(school)
    assert result.counts["leaver"] == 1 and result.counts["created"] == 0
    assert Profile.select().count() == 1 and profile_of(ada.id) is None


def test_returner_is_active_again_but_the_link_stays_severed(school, run_import):
    ada = school.member("Ada Lovelace")
    run_import(school)
    profile = profile_of(ada.id)
    Profile.update(leaving_date=YESTERDAY).execute()
    run_import(school)
    Profile.update(leaving_date=None).execute()
    result = run_import(school)
    assert result.counts["leaver"] == 1
    assert Link.active_for_profile(profile.id) is None
    assert links.previous_member(Profile.get_by_id(profile.id)).sia_id == ada.id


def test_auto_link_links_the_one_active_unlinked_profile_with_the_same_email(ctx, run_import):
    school = helpers.school(auto_link_exact_email=True)
    existing = factories.profile(school.org, "Ada", "Byron", email="Ada.Lovelace@school.test")
    ada = school.member("Ada Lovelace")
    result = run_import(school)
    assert result.counts["linked"] == 1 and result.counts["created"] == 0
    profile = profile_of(ada.id)
    assert profile.id == existing.id and profile.surname == "Lovelace"
    assert run_import(school).counts["unchanged"] == 1


def test_auto_link_creates_a_profile_when_two_profiles_share_the_email(ctx, run_import):
    school = helpers.school(auto_link_exact_email=True)
    for surname in ("One", "Two"):
        factories.profile(school.org, "Ada", surname, email="ada.lovelace@school.test")
    school.member("Ada Lovelace")
    result = run_import(school)
    assert result.counts["created"] == 1 and result.counts["linked"] == 0


def test_without_auto_link_a_profile_with_the_same_email_is_not_linked(school, run_import):
    factories.profile(school.org, "Ada", "Lovelace", email="ada.lovelace@school.test")
    school.member("Ada Lovelace")
    assert run_import(school).counts["created"] == 1


def test_excluded_member_is_skipped(school, run_import):
    ada = school.member("Ada Lovelace")
    Exclusion.create(organisation=school.org, connection=school.connection, sia_member_id=ada.id, display_name="Ada")
    result = run_import(school)
    assert result.counts["excluded"] == 1
    assert Profile.select().count() == 0


def test_deleted_profile_then_sync_does_not_import_the_member_again(school, run_import):
    ada = school.member("Ada Lovelace")
    run_import(school)
    profile = profile_of(ada.id)
    # What deleting an integrated profile does (sync.links): soft delete, sever, exclude.
    Profile.update(status="deleted", deleted_at=datetime.datetime.now()).where(Profile.id == profile.id).execute()
    linking.sever(Link.active_for_profile(profile.id), "deleted", "admin@school.test")
    Exclusion.create(organisation=school.org, connection=school.connection, sia_member_id=ada.id, display_name="Ada")
    result = run_import(school)
    assert result.counts["excluded"] == 1
    assert Profile.select().where(Profile.status == "active").count() == 0


def test_restored_exclusion_then_sync_imports_the_member(school, run_import):
    ada = school.member("Ada Lovelace")
    exclusion = Exclusion.create(organisation=school.org, connection=school.connection, sia_member_id=ada.id)
    run_import(school)
    exclusion.restored_at = datetime.datetime.now()
    exclusion.save()
    assert run_import(school).counts["created"] == 1
    assert profile_of(ada.id) is not None


def test_archived_member_marks_the_shadow_gone_and_keeps_the_profile(school, run_import):
    # Sign In App's documented member has no `archived`: an archived member is simply not listed.
    ada = school.member("Ada Lovelace")
    school.member("Bob Babbage")
    run_import(school)
    profile = profile_of(ada.id)
    helpers.archive(ada)
    result = run_import(school)
    assert result.counts["gone"] == 1 and result.counts["unchanged"] == 1
    assert SiaMember.get(SiaMember.sia_id == ada.id).gone_at is not None
    kept = Profile.get_by_id(profile.id)
    assert (kept.status, kept.version) == ("active", 1)


def test_member_removed_from_sia_marks_the_shadow_gone_and_keeps_the_profile(school, run_import):
    ada = school.member("Ada Lovelace")
    school.member("Bob Babbage")
    run_import(school)
    helpers.remove(ada)
    result = run_import(school)
    assert result.counts["gone"] == 1 and result.counts["unchanged"] == 1
    assert SiaMember.get(SiaMember.sia_id == ada.id).gone_at is not None
    assert Profile.select().where(Profile.status == "active").count() == 2


def test_linked_group_suddenly_empty_is_held_and_the_run_finishes_needs_attention_not_succeeded(school, run_import):
    ada = school.member("Ada Lovelace")
    school.member("Bob Babbage")
    run_import(school)
    helpers.empty_group(school.staff)
    result = run_import(school)
    assert result.status == "needs_attention" and result.run.status == "needs_attention"
    assert result.run.attention == [result.problems[0].message] and "'Staff'" in result.message
    assert result.counts["gone"] == 0
    assert SiaMember.select().where(SiaMember.gone_at.is_null(False)).count() == 0
    assert SiaGroup.get(SiaGroup.sia_id == school.staff.id).gone_at is None
    [problem] = result.problems
    assert problem.code == "empty_group"
    assert "returned no members for the group 'Staff'" in problem.message and "had 2" in problem.message
    assert profile_of(ada.id) is not None


def test_groups_not_returning_not_linked_or_linked_elsewhere_are_never_read(school, run_import):
    other = factories.organisation("Riverside Primary")
    school.member("Sam Standard", group=school.group("Standard", type="non-returning"))
    school.member("Una Unlinked", group=school.group("Unlinked", linked=False))
    elsewhere = helpers.sandbox_helpers.group(school.account, name="Staff", organisation_id=other.id)
    school.member("Rita Riverside", group=elsewhere)
    school.rule("group ~ a", "Support Staff", position=1)
    result = run_import(school)
    assert sum(result.counts.values()) == 0
    assert SiaMember.select().count() == 0


def test_portal_users_are_never_synced(school, run_import):
    SandboxPortalUser.create(account=school.account, name="Pat Primary", email="pat@school.test", role="primary")
    school.member("Ada Lovelace")
    run_import(school)
    assert [p.email for p in Profile.select()] == ["ada.lovelace@school.test"]


def test_dry_run_plans_and_changes_nothing(school, run_import):
    school.member("Ada Lovelace")
    before = helpers.Snapshot()
    result = run_import(school, dry_run=True)
    assert result.counts["created"] == 1
    assert helpers.Snapshot().tables == before.tables
    [decision] = result.run.details["decisions"]
    assert (decision["situation"], decision["reason"]) == ("created", "matches the mapping rule for Teaching Staff")


def test_field_mapping_on_create_fills_a_field_only_when_the_profile_is_created(school, run_import):
    FieldMapping.create(organisation=school.org, source_field="name", target_field="name", direction="to_scr")
    FieldMapping.create(organisation=school.org, source_field="role", target_field="role", direction="to_scr",
                        apply="on_create")
    ada = school.member("Ada Lovelace", role="Teacher")
    run_import(school)
    ada = helpers.SandboxMember.get_by_id(ada.id)
    ada.personal_fields = {**ada.personal_fields, "role": "Head of Maths"}
    ada.save()
    assert run_import(school).counts["unchanged"] == 1
    assert profile_of(ada.id).role == "Teacher"
    assert profile_of(ada.id).email is None  # email is not mapped for this school


def test_field_mapping_to_sia_writes_the_profile_field_to_the_member(school, run_import):
    FieldMapping.create(organisation=school.org, source_field="name", target_field="name", direction="to_scr")
    FieldMapping.create(organisation=school.org, source_field="mobile", target_field="mobile", direction="to_sia")
    ada = school.member("Ada Lovelace")
    run_import(school)
    Profile.update(mobile="07700 900123").execute()
    assert run_import(school).counts["updated"] == 1
    assert helpers.SandboxMember.get_by_id(ada.id).personal_fields["mobile"] == "07700 900123"
    assert run_import(school).counts["unchanged"] == 1


def test_a_sync_never_deletes_anything_in_central_record(school, run_import):
    members = [school.member(f"Person Number{n}") for n in range(3)]
    run_import(school)
    school.member("Someone New")
    for member in members:
        helpers.remove(member)
    assert run_import(school).counts["gone"] == 3
    assert Profile.select().where(Profile.status == "active").count() == 4
    assert Link.active().count() == 4

