"""Merging duplicates (DESIGN §5): per-field choices, united checks, the link moving, undo, bulk merge."""
import datetime
from types import SimpleNamespace

import pytest
from playhouse.shortcuts import model_to_dict

from store.models import AuditEvent, CheckRecord, CheckType, Exclusion, Link, MergeRecord, Profile
from sync import duplicates
from sync import merge as merging
from sync.linking import create_link, sever
from sync.links import ActionRefused
from tests import factories as f

from . import helpers

DAY = datetime.date(2024, 9, 2)


@pytest.fixture
def school(db):
    """The school's own profile of Ada (with checks) and the duplicate a Sign In App import created."""
    org = f.organisation("Hill School")
    conn = f.connection(org)
    staff = f.group(conn, org, "Staff")
    dbs = CheckType.create(organisation=org, code="enhanced_dbs", name="Enhanced DBS")
    rtw = CheckType.create(organisation=org, code="right_to_work", name="Right to work")
    own = f.profile(org, email="ada@hill.test", role="Teacher of Maths", dob=datetime.date(1980, 12, 10))
    imported = f.profile(
        org, "ADA", "Lovelace", type_name="Support Staff", email="a.lovelace@hill.test", mobile="07700 900123",
        source="sia",
    )
    member = f.member(staff, "Ada Lovelace", email="a.lovelace@hill.test")
    link = create_link(imported, member, "import")
    own_dbs = CheckRecord.create(profile=own, check_type=dbs, completed_on=DAY, evidence="certificate 001")
    same_dbs = CheckRecord.create(profile=imported, check_type=dbs, completed_on=DAY, evidence="certificate 001")
    new_rtw = CheckRecord.create(profile=imported, check_type=rtw, completed_on=DAY, evidence="passport")
    return SimpleNamespace(
        org=org, conn=conn, staff=staff, dbs=dbs, rtw=rtw, own=fresh(own), imported=fresh(imported),
        member=member, link=link, own_dbs=own_dbs, same_dbs=same_dbs, new_rtw=new_rtw,
    )


def fresh(profile):
    return Profile.get_by_id(profile.id)


def state():
    """The whole of what a merge touches, to compare before and after an undo."""
    def rows(model, ignore=()):
        return sorted(
            ({k: v for k, v in model_to_dict(r, recurse=False).items() if k not in ignore} for r in model.select()),
            key=lambda row: row["id"],
        )

    return {
        "profiles": rows(Profile, ignore=("version", "updated_at")),
        "checks": rows(CheckRecord),
        "links": rows(Link),
        "exclusions": rows(Exclusion),
    }


def test_merging_keeps_left_values_and_fills_empty_fields_from_the_right(school):
    merging.merge(school.own, school.imported, "admin@hill.test")
    kept = fresh(school.own)
    assert (kept.forename, kept.email, kept.role, kept.profile_type.name) == (
        "Ada", "ada@hill.test", "Teacher of Maths", "Teaching Staff"
    )
    assert kept.mobile == "07700 900123"  # empty on the left, filled from the right
    assert kept.version == 2


def test_a_value_chosen_from_the_right_wins_over_the_left(school):
    merging.merge(school.own, school.imported, "admin@hill.test", {"email": "removed", "profile_type": "removed"})
    kept = fresh(school.own)
    assert kept.email == "a.lovelace@hill.test" and kept.profile_type.name == "Support Staff"
    assert kept.forename == "Ada"


def test_merging_unites_checks_without_duplicating_identical_records(school):
    merging.merge(school.own, school.imported, "admin@hill.test")
    on_kept = {(c.check_type.code, c.evidence) for c in CheckRecord.select().where(CheckRecord.profile == school.own)}
    assert on_kept == {("enhanced_dbs", "certificate 001"), ("right_to_work", "passport")}
    assert CheckRecord.get_by_id(school.same_dbs.id).profile_id == school.imported.id  # kept, not deleted
    assert CheckRecord.select().count() == 3


def test_merging_moves_the_link_to_the_kept_profile(school):
    merging.merge(school.own, school.imported, "admin@hill.test")
    assert Link.get_by_id(school.link.id).sever_reason == "merged"
    moved = Link.active_for_member(school.member)
    assert moved.profile_id == school.own.id and moved.linked_by == "admin@hill.test"


def test_the_removed_profile_becomes_merged_and_is_never_excluded(school):
    merging.merge(school.own, school.imported, "admin@hill.test")
    removed = fresh(school.imported)
    assert removed.status == "merged" and removed.merged_into_id == school.own.id and removed.deleted_at is None
    assert Exclusion.select().count() == 0


def test_a_merge_record_keeps_full_snapshots_of_profiles_checks_and_links(school):
    record = merging.merge(school.own, school.imported, "admin@hill.test", {"email": "removed"})
    assert record.before["profiles"]["kept"]["email"] == "ada@hill.test"
    assert record.before["profiles"]["removed"]["mobile"] == "07700 900123"
    assert {c["id"] for c in record.before["checks"]} == {school.own_dbs.id, school.same_dbs.id, school.new_rtw.id}
    assert [(l["id"], l["severed_at"]) for l in record.before["links"]] == [(school.link.id, None)]
    assert record.choices["email"] == "removed" and record.by == "admin@hill.test"
    [event] = AuditEvent.select().where(AuditEvent.action == "profile.merge")
    assert event.after["checks_moved"] == [school.new_rtw.id]
    assert event.after["changed"]["email"] == "a.lovelace@hill.test"


def test_merging_two_linked_profiles_is_refused(school):
    create_link(school.own, f.member(school.staff, "Ada L"), "import")
    with pytest.raises(ActionRefused, match="are both linked to Sign In App members.*Decouple the one that is wrong"):
        merging.merge(fresh(school.own), school.imported, "admin@hill.test")
    assert fresh(school.imported).status == "active" and MergeRecord.select().count() == 0


@pytest.mark.parametrize(
    "arrange, reason",
    [
        (lambda s: (s.own, s.own), "cannot be merged with itself"),
        (lambda s: (s.own, f.profile(f.organisation("Dale School"))), "belong to different schools"),
        (lambda s: (s.own, f.profile(s.org, "Old", "Record", status="deleted")), "Old Record .* is deleted"),
        (lambda s: (f.profile(s.org, "Gone", "Before", status="merged", merged_into=s.own), s.imported),
         "Gone Before .* is already merged into profile"),
    ],
    ids=["itself", "another_school", "deleted", "already_merged"],
)
def test_merging_is_refused_with_its_reason(school, arrange, reason):
    kept, removed = arrange(school)
    with pytest.raises(ActionRefused, match=reason):
        merging.merge(kept, removed, "admin@hill.test")
    assert MergeRecord.select().count() == 0


def test_a_choice_for_an_unknown_field_is_refused(school):
    with pytest.raises(ActionRefused, match="not password"):
        merging.merge(school.own, school.imported, "admin@hill.test", {"password": "removed"})


def test_merging_a_profile_changed_since_it_was_read_is_refused(school):
    stale = fresh(school.own)
    Profile.update(version=Profile.version + 1).where(Profile.id == stale.id).execute()
    with pytest.raises(ActionRefused, match="changed by someone else"):
        merging.merge(stale, school.imported, "admin@hill.test")
    assert fresh(school.imported).status == "active" and Link.active_for_profile(school.imported) is not None


def test_undo_restores_both_profiles_checks_and_link(school):
    before = state()
    record = merging.merge(school.own, school.imported, "admin@hill.test", {"email": "removed"})
    undone = merging.undo_merge(record, "admin@hill.test")
    assert state() == before
    assert undone.undone_at is not None and undone.undone_by == "admin@hill.test"
    assert Link.active_for_member(school.member).id == school.link.id
    [event] = AuditEvent.select().where(AuditEvent.action == "profile.merge_undo")
    assert event.after["checks_returned"] == [school.new_rtw.id]


def test_undo_keeps_later_changes_the_merge_did_not_touch(school):
    record = merging.merge(school.own, school.imported, "admin@hill.test")
    Profile.update(role="Head of Maths", version=Profile.version + 1).where(Profile.id == school.own.id).execute()
    merging.undo_merge(record, "admin@hill.test")
    kept = fresh(school.own)
    assert kept.role == "Head of Maths" and kept.mobile is None


def test_undoing_after_30_days_is_refused(school):
    record = merging.merge(school.own, school.imported, "admin@hill.test")
    MergeRecord.update(at=record.at - datetime.timedelta(days=31)).where(MergeRecord.id == record.id).execute()
    with pytest.raises(ActionRefused, match="more than 30 days ago, so it can no longer be undone"):
        merging.undo_merge(record, "admin@hill.test")
    assert fresh(school.imported).status == "merged"


def test_undoing_twice_is_refused(school):
    record = merging.merge(school.own, school.imported, "admin@hill.test")
    merging.undo_merge(record, "admin@hill.test")
    with pytest.raises(ActionRefused, match="was already undone"):
        merging.undo_merge(record, "admin@hill.test")


def test_undo_is_refused_when_a_merged_value_was_changed_since(school):
    record = merging.merge(school.own, school.imported, "admin@hill.test")
    Profile.update(mobile="07700 900999").where(Profile.id == school.own.id).execute()
    with pytest.raises(ActionRefused, match="Mobile of Ada Lovelace .* was changed after the merge"):
        merging.undo_merge(record, "admin@hill.test")
    assert fresh(school.imported).status == "merged"


def test_undo_is_refused_when_the_moved_link_was_severed_since(school):
    record = merging.merge(school.own, school.imported, "admin@hill.test")
    sever(Link.active_for_profile(school.own), "decoupled", "admin@hill.test")
    with pytest.raises(ActionRefused, match="The link the merge moved to Ada Lovelace .* was severed since"):
        merging.undo_merge(record, "admin@hill.test")


def test_undo_is_refused_when_a_moved_check_was_changed_since(school):
    record = merging.merge(school.own, school.imported, "admin@hill.test")
    CheckRecord.update(evidence="new passport").where(CheckRecord.id == school.new_rtw.id).execute()
    with pytest.raises(ActionRefused, match="The Right to work check record that the merge moved from ADA Lovelace"):
        merging.undo_merge(record, "admin@hill.test")
    assert CheckRecord.get_by_id(school.new_rtw.id).profile_id == school.own.id


def test_undo_is_refused_when_the_kept_profile_was_deleted_since(school):
    record = merging.merge(school.own, school.imported, "admin@hill.test")
    Profile.update(status="deleted").where(Profile.id == school.own.id).execute()
    with pytest.raises(ActionRefused, match="has been deleted since the merge; restore it"):
        merging.undo_merge(record, "admin@hill.test")


def test_bulk_merge_merges_each_pair_and_reports_refusals_with_reasons(school):
    grace_own = f.profile(school.org, "Grace", "Hopper")
    grace_sia = f.profile(school.org, "Grace", "Hopper", source="sia")
    create_link(grace_sia, f.member(school.staff, "Grace Hopper"), "import")
    second = f.profile(school.org, "Ada", "Lovelace", source="sia")
    create_link(second, f.member(school.staff, "Ada Lovelace (2)"), "import")
    results = duplicates.bulk_merge(
        [(school.own, school.imported), (grace_own, grace_sia), (school.own, second)], "admin@hill.test"
    )
    assert [r.merged for r in results] == [True, True, False]
    assert "are both linked" in results[2].refusal
    assert fresh(second).status == "active" and Link.active_for_profile(second) is not None  # nothing lost
    assert MergeRecord.select().count() == 2


def test_bulk_merge_refuses_a_profile_already_merged_by_an_earlier_pair(school):
    other = f.profile(school.org, "Ada", "Lovelace")
    results = duplicates.bulk_merge([(school.own, school.imported), (other, school.imported)], "admin@hill.test")
    assert [r.merged for r in results] == [True, False]
    assert "already merged into profile" in results[1].refusal


def test_after_merging_an_imported_duplicate_the_next_import_keeps_the_kept_profile_linked(ctx, run_import):
    built = helpers.school()
    built.member("Ada Lovelace")
    own = f.profile(built.org, "Ada", "Lovelace", email="ada@own.test")
    run_import(built)
    [imported] = Profile.select().where(Profile.source == "sia")
    merging.merge(fresh(own), imported, "admin@school.test")
    counts = run_import(built).counts
    assert counts["created"] == 0 and counts["excluded"] == 0
    assert Link.active().count() == 1 and Link.active_for_profile(own) is not None
    assert Profile.select().where(Profile.status == "active").count() == 1
