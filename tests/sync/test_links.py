"""Person-level link actions (DESIGN §5): decouple, delete, restore, restore an exclusion, re-link.

Each action is one transaction with one audit event of its own; each refusal says which record and what
to do instead, and changes nothing.
"""
import datetime
from types import SimpleNamespace

import pytest

from store.models import AuditEvent, Exclusion, Link, Profile, SiaMember, now
from sync import links
from sync.linking import create_link
from sync.links import ActionRefused
from tests import factories as f

from . import helpers


@pytest.fixture
def school(db):
    org = f.organisation("Hill School")
    conn = f.connection(org)
    staff = f.group(conn, org, "Staff")
    ada = f.profile(org, email="ada@hill.test", source="sia")
    member = f.member(staff, "Ada Lovelace", email="ada@hill.test")
    link = create_link(ada, member, "import")
    return SimpleNamespace(org=org, conn=conn, staff=staff, ada=Profile.get_by_id(ada.id), member=member, link=link)


def events(action):
    return list(AuditEvent.select().where(AuditEvent.action == action))


def fresh(profile):
    return Profile.get_by_id(profile.id)


def test_decoupling_severs_the_link_as_decoupled_and_leaves_the_profile_unintegrated(school):
    links.decouple(school.ada, "admin@hill.test", "wrong person merged")
    link = Link.get_by_id(school.link.id)
    assert link.severed_at is not None and link.sever_reason == "decoupled"
    assert Link.active_for_profile(school.ada) is None
    assert fresh(school.ada).status == "active"
    [event] = events("profile.decouple")
    assert event.before["link"]["sia_member"] == school.member.sia_id and event.after == {"link": None}
    assert event.reason == "wrong person merged" and event.actor == "admin@hill.test"


def test_decoupling_an_unlinked_profile_is_refused_naming_it(school):
    grace = f.profile(school.org, "Grace", "Hopper")
    with pytest.raises(ActionRefused, match="Grace Hopper .* is not linked"):
        links.decouple(grace, "admin@hill.test")
    assert events("profile.decouple") == []


def test_deleting_an_integrated_profile_adds_its_member_to_exclusions(school):
    exclusion = links.delete_profile(school.ada, "admin@hill.test", "second SIA profile")
    profile = fresh(school.ada)
    assert profile.status == "deleted" and profile.deleted_at is not None
    assert Link.get_by_id(school.link.id).sever_reason == "deleted"
    assert exclusion.sia_member_id == school.member.sia_id and exclusion.connection_id == school.conn.id
    assert exclusion.display_name == "Ada Lovelace" and exclusion.created_by == "admin@hill.test"
    assert [e.id for e in Exclusion.active(school.org)] == [exclusion.id]
    [event] = events("profile.delete")
    assert event.before["status"] == "active" and event.after["exclusion"] == exclusion.id


def test_deleting_a_profile_that_is_not_integrated_only_soft_deletes_it(school):
    grace = f.profile(school.org, "Grace", "Hopper")
    assert links.delete_profile(grace, "admin@hill.test") is None
    assert fresh(grace).status == "deleted"
    assert Exclusion.select().count() == 0
    assert Profile.select().count() == 2  # nothing is removed from the database


def test_deleting_a_deleted_profile_is_refused(school):
    links.delete_profile(school.ada, "admin@hill.test")
    with pytest.raises(ActionRefused, match="is deleted, so it cannot be deleted"):
        links.delete_profile(fresh(school.ada), "admin@hill.test")


def test_a_profile_changed_since_it_was_read_is_refused_and_nothing_changes(school):
    stale = fresh(school.ada)
    Profile.update(version=Profile.version + 1).where(Profile.id == stale.id).execute()
    with pytest.raises(ActionRefused, match="changed by someone else since you opened it; reload"):
        links.delete_profile(stale, "admin@hill.test")
    assert fresh(school.ada).status == "active"
    assert Link.active_for_profile(school.ada).id == school.link.id
    assert Exclusion.select().count() == 0 and events("profile.delete") == []


def test_restoring_a_deleted_profile_makes_it_active_without_its_link_or_exclusion(school):
    links.delete_profile(school.ada, "admin@hill.test")
    links.restore_profile(fresh(school.ada), "support@tether.test")
    profile = fresh(school.ada)
    assert profile.status == "active" and profile.deleted_at is None
    assert Link.active_for_profile(profile) is None
    assert Exclusion.active(school.org).count() == 1
    [event] = events("profile.restore")
    assert event.before["status"] == "deleted" and event.after["status"] == "active"


def test_restoring_more_than_90_days_after_deletion_is_refused_with_the_date(school):
    links.delete_profile(school.ada, "admin@hill.test")
    deleted_at = now() - datetime.timedelta(days=91)
    Profile.update(deleted_at=deleted_at).where(Profile.id == school.ada.id).execute()
    with pytest.raises(ActionRefused, match=f"deleted on {deleted_at:%d %b %Y}, more than 90 days ago"):
        links.restore_profile(fresh(school.ada), "support@tether.test")
    assert fresh(school.ada).status == "deleted"


def test_restoring_a_profile_that_is_not_deleted_is_refused(school):
    with pytest.raises(ActionRefused, match="is not deleted, so there is nothing to restore"):
        links.restore_profile(school.ada, "support@tether.test")


def test_restoring_an_exclusion_lifts_it_and_is_audited(school):
    exclusion = links.delete_profile(school.ada, "admin@hill.test")
    restored = links.restore_exclusion(exclusion, "support@tether.test")
    assert restored.restored_at is not None and restored.restored_by == "support@tether.test"
    assert Exclusion.active(school.org).count() == 0
    [event] = events("exclusion.restore")
    assert event.before["restored_at"] is None and event.after["sia_member"] == school.member.sia_id


def test_restoring_an_exclusion_twice_is_refused(school):
    exclusion = links.delete_profile(school.ada, "admin@hill.test")
    links.restore_exclusion(exclusion, "support@tether.test")
    with pytest.raises(ActionRefused, match="already restored"):
        links.restore_exclusion(Exclusion.get_by_id(exclusion.id), "support@tether.test")


def test_relinking_links_a_profile_to_a_member_of_a_linked_group(school):
    grace = f.profile(school.org, "Grace", "Hopper")
    member = f.member(school.staff, "Grace Hopper")
    link = links.relink(grace, member, "support@tether.test")
    assert Link.active_for_profile(grace).id == link.id and link.sia_member_id == member.id
    assert link.linked_by == "support@tether.test"
    [event] = events("profile.relink")
    assert event.after["link"]["sia_member"] == member.sia_id and event.after["exclusion_restored"] is False


def test_relinking_an_excluded_member_with_restore_exclusion_lifts_it_in_the_same_step(school):
    exclusion = links.delete_profile(school.ada, "admin@hill.test")
    links.restore_profile(fresh(school.ada), "support@tether.test")
    links.relink(fresh(school.ada), school.member, "support@tether.test", restore_exclusion=True)
    assert Link.active_for_profile(school.ada).sia_member_id == school.member.id
    assert Exclusion.get_by_id(exclusion.id).restored_by == "support@tether.test"
    assert events("profile.relink")[0].after["exclusion_restored"] is True


def _refusal_cases():
    def profile_linked(s):
        return s.ada, f.member(s.staff, "Someone Else")

    def member_linked(s):
        return f.profile(s.org, "Grace", "Hopper"), s.member

    def member_excluded(s):
        grace, member = f.profile(s.org, "Grace", "Hopper"), f.member(s.staff, "Grace Hopper")
        Exclusion.create(organisation=s.org, connection=s.conn, sia_member_id=member.sia_id)
        return grace, member

    def profile_deleted(s):
        grace = f.profile(s.org, "Grace", "Hopper", status="deleted", deleted_at=now())
        return grace, f.member(s.staff, "Grace Hopper")

    def profile_merged(s):
        grace = f.profile(s.org, "Grace", "Hopper", status="merged", merged_into=s.ada)
        return grace, f.member(s.staff, "Grace Hopper")

    def profile_leaver(s):
        grace = f.profile(s.org, "Grace", "Hopper", leaving_date=datetime.date.today())
        return grace, f.member(s.staff, "Grace Hopper")

    def group_of_another_school(s):
        other = f.organisation("Dale School")
        return f.profile(s.org, "Grace", "Hopper"), f.member(f.group(s.conn, other, "Dale Staff"), "Grace Hopper")

    def group_not_linked(s):
        return f.profile(s.org, "Grace", "Hopper"), f.member(f.group(s.conn, None, "Unlinked"), "Grace Hopper")

    def group_not_returning(s):
        visitors = f.group(s.conn, s.org, "Visitors", type="non-returning")
        return f.profile(s.org, "Grace", "Hopper"), f.member(visitors, "Grace Hopper")

    def member_gone(s):
        member = f.member(s.staff, "Grace Hopper")
        member.gone_at = now()
        member.save()
        return f.profile(s.org, "Grace", "Hopper"), member

    def member_archived(s):
        member = f.member(s.staff, "Grace Hopper")
        member.archived = True
        member.save()
        return f.profile(s.org, "Grace", "Hopper"), member

    return [
        (profile_linked, r"Ada Lovelace \(#\d+, ada@hill.test\) is already linked to Sign In App member Ada .*decouple it"),
        (member_linked, "member Ada Lovelace .* is already linked to Ada Lovelace"),
        (member_excluded, "is on the exclusion list.*restore its exclusion in the same step"),
        (profile_deleted, "is deleted, so it cannot be re-linked; support can restore it"),
        (profile_merged, "was merged into profile .* so it cannot be re-linked"),
        (profile_leaver, "is a leaver since .* remove the leaving date first"),
        (group_of_another_school, "group Dale Staff, which is not a Repeat .* linked to Hill School"),
        (group_not_linked, "group Unlinked, which is not a Repeat"),
        (group_not_returning, "group Visitors, which is not a Repeat"),
        (member_gone, "is no longer in Sign In App"),
        (member_archived, "is no longer in Sign In App"),
    ]


@pytest.mark.parametrize("case, reason", _refusal_cases(), ids=lambda c: getattr(c, "__name__", ""))
def test_relinking_is_refused_with_its_reason_and_changes_nothing(school, case, reason):
    profile, member = case(school)
    links_before = [(l.id, l.severed_at) for l in Link.select().order_by(Link.id)]
    with pytest.raises(ActionRefused, match=reason):
        links.relink(fresh(profile), member, "support@tether.test")
    assert [(l.id, l.severed_at) for l in Link.select().order_by(Link.id)] == links_before
    assert events("profile.relink") == []


def test_a_refused_relink_leaves_the_exclusion_in_place(school):
    links.delete_profile(school.ada, "admin@hill.test")
    with pytest.raises(ActionRefused, match="is deleted"):
        links.relink(fresh(school.ada), school.member, "support@tether.test", restore_exclusion=True)
    assert Exclusion.active(school.org).count() == 1


def test_a_decoupled_profile_is_offered_its_previous_member(school):
    links.decouple(school.ada, "admin@hill.test")
    assert links.previous_member(fresh(school.ada)).id == school.member.id


def test_a_returning_leaver_is_offered_its_previous_member(school):
    from sync.linking import sever

    sever(school.link, "leaver", "job")
    Profile.update(leaving_date=None).where(Profile.id == school.ada.id).execute()
    assert links.previous_member(fresh(school.ada)).id == school.member.id


def test_a_linked_profile_has_no_previous_member_to_offer(school):
    assert links.previous_member(school.ada) is None


def test_a_previous_member_now_linked_elsewhere_is_not_offered(school):
    links.decouple(school.ada, "admin@hill.test")
    create_link(f.profile(school.org, "Ada", "Again"), school.member, "import")
    assert links.previous_member(fresh(school.ada)) is None


def test_offered_members_put_the_previous_member_first_and_mark_excluded_ones(school):
    links.decouple(school.ada, "admin@hill.test")
    free = f.member(school.staff, "Grace Hopper", email="grace@hill.test")
    excluded = f.member(school.staff, "Alan Turing")
    Exclusion.create(organisation=school.org, connection=school.conn, sia_member_id=excluded.sia_id)
    taken = f.member(school.staff, "Taken Person")
    create_link(f.profile(school.org, "Taken", "Person"), taken, "import")
    f.member(f.group(school.conn, None, "Unlinked group"), "Elsewhere")
    offers = links.offered_members(fresh(school.ada))
    assert [(o.member.id, o.previous, o.excluded) for o in offers] == [
        (school.member.id, True, False), (free.id, False, False), (excluded.id, False, True),
    ]
    assert [o.member.id for o in links.offered_members(fresh(school.ada), "grace")] == [school.member.id, free.id]


def _imported_profile(built, member):
    link = (
        Link.active()
        .join(SiaMember)
        .where((SiaMember.sia_id == member.id) & (SiaMember.connection == built.connection))
        .first()
    )
    return Profile.get_by_id(link.profile_id)


def test_a_deleted_integrated_profile_is_not_imported_again_until_its_exclusion_is_restored(ctx, run_import):
    built = helpers.school()
    ada = built.member("Ada Lovelace")
    run_import(built)
    exclusion = links.delete_profile(_imported_profile(built, ada), "admin@school.test", "not needed in SCR")
    assert run_import(built).counts["excluded"] == 1
    assert Profile.select().where(Profile.status == "active").count() == 0
    links.restore_exclusion(exclusion, "support@tether.test")
    assert run_import(built).counts["created"] == 1
    assert _imported_profile(built, ada).status == "active"


def test_a_decoupled_member_comes_back_as_a_new_profile_on_the_next_import(ctx, run_import):
    built = helpers.school()
    ada = built.member("Ada Lovelace")
    run_import(built)
    decoupled = _imported_profile(built, ada)
    links.decouple(decoupled, "admin@school.test")
    assert run_import(built).counts["created"] == 1
    assert _imported_profile(built, ada).id != decoupled.id
    assert fresh(decoupled).status == "active" and Link.active_for_profile(decoupled) is None
