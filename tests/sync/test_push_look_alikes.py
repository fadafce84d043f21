"""Push without duplicates in Sign In App (issue 16), pinned to the set-up help's Option 2:

"Once set, click the red 'Push All' button to push the profiles through to your selected SIA group." —
and a profile that looks like a member already in that group is held back and offered as "link to the
existing member" instead of becoming a second member of the same person. The troubleshooting help:
"Deleting a duplicate will break the integration link ... Always merge duplicates instead."
"""
import datetime
import json

import pytest

from connectors.sia import client_for
from sandbox.models import SandboxMember
from store.models import AuditEvent, Link, Profile, SiaMember, SyncRun
from sync import links, push
from tests import factories

from . import helpers


@pytest.fixture
def pushing(school, run_import, ctx):
    """The school's Staff group imported once while empty, so it is a linked returning group to push to."""
    run_import(school)

    def run(**options):
        options.setdefault("type_names", ["Teaching Staff"])
        return push.push_all(school.org, group_id=school.staff.id, actor="test",
                             client=client_for(school.connection, wsgi_app=ctx), **options)

    return run


def members_of(group):
    return list(SandboxMember.of_group(group))


def link(school, ctx, profile, member, actor="admin@school.test"):
    return push.link_to_existing_member(school.org, Profile.get_by_id(profile.id), member.id, actor,
                                        client=client_for(school.connection, wsgi_app=ctx))


def test_push_all_holds_back_a_profile_with_the_email_of_a_member_already_in_the_group_and_creates_no_second_member(
        school, pushing):
    ada = school.member("Ada Lovelace", email="ada@school.test")
    profile = factories.profile(school.org, "Ada", "Lovelace", email="ADA@School.test ")
    factories.profile(school.org, "Alan", "Turing", email="alan@school.test")
    result = pushing()
    assert result.counts == {"created": 1, "linked": 0, "held_back": 1, "failed": 0}
    assert result.status == "needs_attention"
    assert "1 profile was held back because it looks like a member already in the Sign In App group 'Staff'" in result.message
    [held] = result.run.details["held_back"]
    assert held["profile_id"] == profile.id
    assert held["members"] == [{"sia_member_id": ada.id, "name": "Ada Lovelace", "email": "ada@school.test",
                                "why": "same email", "linkable": True, "advice": ""}]
    [problem] = result.problems
    assert problem.code == "look_alike" and problem.message.startswith(f"Held back: Ada Lovelace (profile {profile.id}")
    again = pushing()
    assert again.counts == {"created": 0, "linked": 0, "held_back": 1, "failed": 0}
    assert sorted(m.name for m in members_of(school.staff)) == ["Ada Lovelace", "Alan Turing"]
    assert Link.active_for_profile(profile) is None


def test_push_all_holds_back_a_profile_with_the_first_name_last_name_and_date_of_birth_sign_in_app_has(school, pushing):
    school.member("Grace Hopper", email="amazing.grace@navy.test", date_of_birth="1906-12-09")
    school.member("Alan Turing", email="alan@bletchley.test")  # no date of birth in Sign In App
    grace = factories.profile(school.org, "grace", "HOPPER", email="grace@school.test", dob=datetime.date(1906, 12, 9))
    factories.profile(school.org, "Alan", "Turing", email="alan@school.test", dob=datetime.date(1912, 6, 23))
    result = pushing()
    assert result.counts == {"created": 1, "linked": 0, "held_back": 1, "failed": 0}
    [held] = result.run.details["held_back"]
    assert held["profile_id"] == grace.id
    assert held["members"][0]["why"] == "same first name, last name and date of birth"
    assert sorted(m.name for m in members_of(school.staff)) == ["Alan Turing", "Alan Turing", "Grace Hopper"]


def test_linking_a_held_back_profile_to_the_existing_member_links_it_once_and_writes_its_audit_event(school, pushing, ctx):
    ada = school.member("Ada Lovelace", email="ada@school.test")
    profile = factories.profile(school.org, "Ada", "Lovelace", email="ada@school.test")
    pushing()
    made_link, made = link(school, ctx, profile, ada)
    again, made_again = link(school, ctx, profile, ada)
    assert made and not made_again and again.id == made_link.id
    assert Link.active_for_profile(profile).sia_member.sia_id == ada.id
    assert Link.select().count() == 1
    [event] = AuditEvent.select().where(AuditEvent.action == "push.link_existing")
    assert event.actor == "admin@school.test" and event.after["link"]["sia_member"] == ada.id
    assert AuditEvent.select().where(AuditEvent.action == "link.created").count() == 1
    after = pushing()
    assert after.status == "succeeded" and after.counts["held_back"] == 0
    assert len(members_of(school.staff)) == 1


def test_a_held_back_profile_whose_look_alike_is_linked_to_another_profile_is_told_to_merge_instead(school, pushing, ctx):
    ada = school.member("Ada Lovelace", email="ada@school.test")
    first = factories.profile(school.org, "Ada", "Lovelace", email="ada@school.test")
    pushing()
    link(school, ctx, first, ada)
    twin = factories.profile(school.org, "Ada", "Lovelace-King", email="ada@school.test")
    result = pushing()
    [held] = result.run.details["held_back"]
    assert held["profile_id"] == twin.id and held["members"][0]["linkable"] is False
    assert f"it is linked to Ada Lovelace (profile {first.id}): if they are the same person, merge the two profiles" \
        in held["reason"]
    with pytest.raises(links.ActionRefused, match="already linked to Ada Lovelace .*merge the two profiles instead"):
        link(school, ctx, twin, ada)
    assert len(members_of(school.staff)) == 1


def test_two_profiles_of_one_person_are_not_pushed_as_two_members(school, pushing):
    first = factories.profile(school.org, "Ada", "Lovelace", email="ada@school.test")
    second = factories.profile(school.org, "Ada", "Lovelace", email="ada@school.test")
    result = pushing()
    assert result.counts == {"created": 1, "linked": 0, "held_back": 1, "failed": 0}
    [held] = result.run.details["held_back"]
    assert held["profile_id"] == second.id
    assert f"it goes to Ada Lovelace (profile {first.id}) in this push" in held["reason"]
    assert len(members_of(school.staff)) == 1


def test_an_excluded_look_alike_is_held_back_and_support_is_asked_to_restore_it(school, pushing, run_import, ctx):
    ada = school.member("Ada Lovelace", email="ada@school.test")
    run_import(school)
    imported = Link.get(Link.sia_member == SiaMember.get(SiaMember.sia_id == ada.id)).profile
    links.delete_profile(imported, "admin@school.test", "not needed in Central Record")
    profile = factories.profile(school.org, "Ada", "Lovelace", email="ada@school.test")
    result = pushing()
    [held] = result.run.details["held_back"]
    assert held["members"][0]["advice"].startswith("it is on the exclusion list: ask support to restore it")
    with pytest.raises(links.ActionRefused, match="exclusion list.*ask support to restore it"):
        link(school, ctx, profile, ada)
    assert len(members_of(school.staff)) == 1


def test_create_a_new_member_instead_pushes_only_that_profile_despite_the_look_alike(school, pushing):
    school.member("Sam Office", email="office@school.test")
    sam = factories.profile(school.org, "Sam", "Jones", email="office@school.test")
    factories.profile(school.org, "Alan", "Turing", email="alan@school.test")
    result = pushing(profile_ids=[sam.id], despite_look_alikes=True)
    assert result.status == "succeeded" and result.counts == {"created": 1, "linked": 0, "held_back": 0, "failed": 0}
    assert result.run.details["despite_look_alikes"] is True and result.run.details["profile_ids"] == [sam.id]
    assert sorted(m.name for m in members_of(school.staff)) == ["Sam Jones", "Sam Office"]
    assert Link.active_for_profile(sam) is not None


def test_dry_run_of_push_shows_what_would_be_created_linked_and_held_back_and_changes_nothing(school, pushing):
    school.member("Ada Lovelace", email="ada@school.test")
    factories.profile(school.org, "Ada", "Lovelace", email="ada@school.test")
    factories.profile(school.org, "Alan", "Turing", email="alan@school.test")
    factories.profile(school.org, "Alan", "Turing", email="alan@school.test")
    before = helpers.Snapshot(include_sandbox=True).tables
    result = pushing(dry_run=True)
    assert helpers.differences(helpers.Snapshot(include_sandbox=True).tables, before) == {}
    assert result.counts == {"created": 1, "linked": 0, "held_back": 2, "failed": 0}
    outcomes = [(d["name"], d["outcome"]) for d in result.run.details["decisions"]]
    assert outcomes == [("Ada Lovelace", "held_back"), ("Alan Turing", "created"), ("Alan Turing", "held_back")]
    assert "the member this push would create (Alan Turing), same email" in result.run.details["decisions"][2]["reason"]
    assert result.run.dry_run and result.status == "needs_attention" and "would be held back" in result.message
    assert SyncRun.select().where((SyncRun.kind == "sia_push") & (SyncRun.dry_run == False)).count() == 0  # noqa: E712
    assert [e.action for e in AuditEvent.select()
            if e.action.startswith("sia_push")] == ["sia_push.run.dry_run"]


def test_cli_push_dry_run_json_lists_the_decisions_and_exits_1_saying_what_needs_attention(school, pushing, runner):
    ada = school.member("Ada Lovelace", email="ada@school.test")
    profile = factories.profile(school.org, "Ada", "Lovelace", email="ada@school.test")
    args = ["sync", "push", "--org", str(school.org.id), "--group", str(school.staff.id), "--type", "Teaching Staff"]
    result = runner.invoke(args=args + ["--dry-run", "--json"])
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["status"] == "needs_attention" and body["counts"]["held_back"] == 1
    assert [d["outcome"] for d in body["decisions"]] == ["held_back"]
    assert body["held_back"][0]["members"][0]["sia_member_id"] == ada.id
    assert "needs attention: 1 profile would be held back" in result.stderr
    assert members_of(school.staff) == [ada]
    linked = runner.invoke(args=["sync", "link", "--org", str(school.org.id), "--profile", str(profile.id),
                                 "--member", str(ada.id), "--json"])
    assert linked.exit_code == 0, linked.output
    assert json.loads(linked.stdout)["linked"] is True
    again = runner.invoke(args=["sync", "link", "--org", str(school.org.id), "--profile", str(profile.id),
                                "--member", str(ada.id)])
    assert again.exit_code == 0 and "was already linked to Sign In App member" in again.stdout
    pushed = runner.invoke(args=args + ["--json"])
    assert pushed.exit_code == 0 and json.loads(pushed.stdout)["counts"]["held_back"] == 0


def test_cli_link_refusals_exit_1_and_unknown_profiles_exit_2(school, pushing, runner):
    other = factories.organisation("Elsewhere")
    stranger = factories.profile(other, "Ada", "Lovelace")
    base = ["sync", "link", "--org", str(school.org.id), "--member", "999999"]
    unknown = runner.invoke(args=base + ["--profile", str(stranger.id)])
    assert unknown.exit_code == 2 and f"has no profile {stranger.id}" in unknown.stderr
    profile = factories.profile(school.org, "Ada", "Lovelace")
    refused = runner.invoke(args=base + ["--profile", str(profile.id)])
    assert refused.exit_code == 1 and "Sign In App has no member 999999 now" in refused.stderr
    despite = runner.invoke(args=["sync", "push", "--org", str(school.org.id), "--group", str(school.staff.id),
                                  "--type", "Teaching Staff", "--despite-look-alikes"])
    assert despite.exit_code == 2 and "needs the --profile" in despite.stderr
    assert Link.select().count() == 0
