"""MIS staff fields through Sign In App's Wonde connection (issue 16), pinned to the help's own sentences.

Set-up help, step 3: "from your SICR portal, go to Settings > Sign In App > Configuration > Connection and
toggle on 'Use SIA Wonde Connection (if available)' ... Next, click the Field Mapping tab and set up the
fields you'd like to map across." Troubleshooting help, "Leavers and Returners": each test below is named
for one of its sentences. The school's MIS is the sandbox's "MIS sync (Wonde)" on the Staff group.
"""
import datetime

import pytest

from connectors.sia import client_for
from sandbox.models import SandboxMember
from store.models import AuditEvent, Link, Profile, SiaMember
from sync import fields, leavers, links, profiles, push
from tests import factories

from . import helpers

TODAY = datetime.date.today()
DAY = datetime.timedelta(days=1)
BORN = datetime.date(1984, 3, 9)
STARTED = datetime.date(2019, 9, 1)


@pytest.fixture
def wonde(school):
    """The school's Staff group has MIS data, the Wonde toggle is on and the three MIS fields are mapped."""
    school.staff.mis_sync = True
    school.staff.save()
    school.connection.wonde = True
    school.connection.save()
    for source, target in (("mis.date_of_birth", "dob"), ("mis.start_date", "start_date"),
                           ("mis.leaving_date", "leaving_date")):
        fields.add_mapping(school.org, source, target, "to_scr", "always", "admin@school.test")
    return school


def mis(member, **dates):
    """Change the member's MIS data as the school's MIS would: only the given dates."""
    columns = {SandboxMember.MIS_FIELDS[key]: value for key, value in dates.items()}
    SandboxMember.update(**columns).where(SandboxMember.id == member.id).execute()


def staff_member(school, name="Ada Lovelace", **dates):
    member = school.member(name)
    mis(member, **{"date_of_birth": BORN, "start_date": STARTED, **dates})
    return member


def profile_of(member):
    shadow = SiaMember.get(SiaMember.sia_id == member.id)
    return Profile.get_by_id(Link.select().where(Link.sia_member == shadow).order_by(Link.id.desc()).first().profile_id)


def active_link(profile):
    return Link.active_for_profile(profile)


# Set-up help, step 3 ---------------------------------------------------------------------------------------


def test_with_use_sia_wonde_connection_on_the_mapped_mis_fields_come_across_into_the_profile(wonde, run_import):
    ada = staff_member(wonde)
    assert run_import(wonde).counts["created"] == 1
    profile = profile_of(ada)
    assert (profile.dob, profile.start_date, profile.leaving_date) == (BORN, STARTED, None)
    mis(ada, date_of_birth=datetime.date(1984, 3, 10))  # a typo corrected in the MIS
    assert run_import(wonde).counts["updated"] == 1
    assert Profile.get_by_id(profile.id).dob == datetime.date(1984, 3, 10)
    event = AuditEvent.select().where(AuditEvent.action == "profile.updated_from_sia").get()
    assert "MIS data" in event.reason and event.after == {"dob": "1984-03-10"}


def test_with_the_wonde_toggle_off_no_mis_field_is_used_and_the_run_says_why(wonde, run_import):
    wonde.connection.wonde = False
    wonde.connection.save()
    ada = staff_member(wonde)
    result = run_import(wonde)
    assert result.counts["created"] == 1
    assert profile_of(ada).dob is None
    problems = [p.message for p in result.run.problems]
    assert any("mis.date_of_birth → dob is not used" in m and "Use SIA Wonde Connection (if available)" in m
               for m in problems)


# "Making someone a Leaver, or archiving/deleting a profile in one system does not automatically archive or
# delete it in the other, as it may still be needed. You will need to manage this in both systems separately."


def test_a_leaver_from_the_mis_is_neither_archived_in_sign_in_app_nor_deleted_in_central_record(wonde, run_import):
    ada = staff_member(wonde)
    run_import(wonde)
    mis(ada, leaving_date=TODAY)
    run_import(wonde)
    assert SandboxMember.get_by_id(ada.id).archived is False
    assert profile_of(ada).status == "active" and profile_of(ada).leaving_date == TODAY
    helpers.archive(ada)  # and archived in Sign In App: the profile is still kept
    run_import(wonde)
    assert profile_of(ada).status == "active"


# "When a leaving date is added to a profile in SICR (either manually or via MIS), the integration link for
# that profile is severed from the day your SCR profile becomes a Leaver."


def test_a_leaving_date_arriving_from_the_mis_severs_the_link_as_one_typed_in_central_record_does(wonde, run_import):
    ada, alan = staff_member(wonde, "Ada Lovelace"), staff_member(wonde, "Alan Turing")
    run_import(wonde)
    mis(ada, leaving_date=TODAY)
    typed = profile_of(alan)
    profiles.set_leaving_date(typed, TODAY, "admin@school.test")
    result = run_import(wonde)
    assert result.counts["leaver"] == 2
    by_mis = profile_of(ada)
    assert by_mis.leaving_date == TODAY and active_link(by_mis) is None
    severed = {link.profile_id: link for link in Link.select().where(Link.severed_at.is_null(False))}
    assert {severed[by_mis.id].sever_reason, severed[typed.id].sever_reason} == {"leaver"}
    assert AuditEvent.select().where(AuditEvent.action == "link.severed").count() == 2


def test_a_future_leaving_date_from_the_mis_severs_the_link_from_that_day_not_before(wonde, run_import):
    ada, alan = staff_member(wonde, "Ada Lovelace"), staff_member(wonde, "Alan Turing")
    run_import(wonde)
    last_day = TODAY + 10 * DAY
    mis(ada, leaving_date=last_day)
    mis(alan, leaving_date=last_day)
    assert run_import(wonde).counts["updated"] == 2
    assert profile_of(ada).leaving_date == last_day and active_link(profile_of(ada)) is not None
    assert run_import(wonde, today=last_day - DAY).counts["leaver"] == 0
    # On the day: the import severs the one it meets, the nightly job the other, whichever comes first.
    assert run_import(wonde, today=last_day).counts["leaver"] == 2
    assert active_link(profile_of(ada)) is None and active_link(profile_of(alan)) is None


def test_the_nightly_job_severs_a_leaver_from_the_mis_on_their_leaving_day(wonde, run_import):
    ada = staff_member(wonde)
    run_import(wonde)
    mis(ada, leaving_date=TODAY + 3 * DAY)
    run_import(wonde)
    assert leavers.sever_leavers(wonde.org, actor="scheduler", today=TODAY + 2 * DAY).counts["severed"] == 0
    assert leavers.sever_leavers(wonde.org, actor="scheduler", today=TODAY + 3 * DAY).counts["severed"] == 1
    assert Link.select().where(Link.sever_reason == "leaver").count() == 1


def test_a_member_who_left_by_the_mis_before_the_first_import_is_created_with_its_link_already_severed(
        wonde, run_import):
    gone = staff_member(wonde, "Grace Hopper", leaving_date=TODAY - 30 * DAY)
    result = run_import(wonde)
    assert result.counts["created"] == 1
    profile = profile_of(gone)
    assert profile.leaving_date == TODAY - 30 * DAY and active_link(profile) is None
    counts = run_import(wonde).counts
    assert counts["created"] == 0 and counts["leaver"] == 1
    assert Profile.select().count() == 1  # never created twice


def test_an_existing_profile_auto_linked_by_email_with_a_past_mis_leaving_date_has_its_link_severed_at_once(
        wonde, run_import):
    wonde.org.settings = {**(wonde.org.settings or {}), "auto_link_exact_email": True}
    wonde.org.save()
    existing = factories.profile(wonde.org, "Grace", "Hopper", email="grace.hopper@school.test")
    staff_member(wonde, "Grace Hopper", leaving_date=TODAY - DAY)
    result = run_import(wonde)
    assert result.counts["linked"] == 1
    profile = Profile.get_by_id(existing.id)
    assert profile.leaving_date == TODAY - DAY and active_link(profile) is None
    assert Link.get(Link.profile == existing.id).sever_reason == "leaver"


# "This means no further updates will sync for that person."


def test_after_the_mis_leaving_date_no_further_updates_sync_for_that_person(wonde, run_import):
    ada = staff_member(wonde)
    run_import(wonde)
    mis(ada, leaving_date=TODAY - DAY)
    run_import(wonde)
    helpers.rename(ada, "Ada King")
    mis(ada, date_of_birth=datetime.date(1990, 1, 1), start_date=datetime.date(2024, 1, 1))
    result = run_import(wonde)
    assert result.counts["leaver"] == 1 and result.counts["updated"] == 0
    profile = profile_of(ada)
    assert (profile.surname, profile.dob, profile.start_date) == ("Lovelace", BORN, STARTED)


# "If the person returns (e.g. a staff member re-joins the school) and the leaving date is removed from the
# MIS, the leaving date will not automatically be removed in SICR."


def test_a_leaving_date_removed_in_the_mis_is_not_removed_in_central_record(wonde, run_import):
    left, leaving = staff_member(wonde, "Ada Lovelace"), staff_member(wonde, "Alan Turing")
    run_import(wonde)
    mis(left, leaving_date=TODAY - DAY)
    mis(leaving, leaving_date=TODAY + 30 * DAY)  # not left yet: still linked
    run_import(wonde)
    mis(left, leaving_date=None)
    mis(leaving, leaving_date=None)
    run_import(wonde)
    assert profile_of(left).leaving_date == TODAY - DAY
    assert profile_of(leaving).leaving_date == TODAY + 30 * DAY and active_link(profile_of(leaving)) is not None


# "You will need to manually remove the leaving date from their SICR profile to make them active again."


def test_removing_the_leaving_date_by_hand_makes_the_returner_active_again(wonde, run_import):
    ada = staff_member(wonde, leaving_date=TODAY - DAY)
    run_import(wonde)
    mis(ada, leaving_date=None)
    run_import(wonde)
    profile = profile_of(ada)
    assert profile.is_leaver()
    saved = profiles.set_leaving_date(profile, None, "admin@school.test")
    assert saved.returned and not Profile.get_by_id(profile.id).is_leaver()
    assert leavers.is_returner(Profile.get_by_id(profile.id))


# "Please Note: After removing the leaving date in SICR, you may need to re-establish the integration link for
# the returning person. If their profile does not begin syncing again, contact support for assistance."


def test_a_returner_syncs_again_only_once_support_re_establishes_the_link(wonde, run_import):
    ada = staff_member(wonde)
    run_import(wonde)
    mis(ada, leaving_date=TODAY - 60 * DAY)
    run_import(wonde)
    rejoined = TODAY - 5 * DAY
    mis(ada, leaving_date=None, start_date=rejoined)  # she re-joins: the MIS has her new start date
    profile = profile_of(ada)
    profiles.set_leaving_date(profile, None, "admin@school.test")
    assert run_import(wonde).counts["leaver"] == 1  # not syncing yet: the link stays severed
    assert profile_of(ada).start_date == STARTED
    member = links.previous_member(Profile.get_by_id(profile.id))
    assert member is not None and member.sia_id == ada.id  # what the console offers support
    links.relink(Profile.get_by_id(profile.id), member, "support@tether.test")
    assert run_import(wonde).counts["updated"] == 1
    assert Profile.get_by_id(profile.id).start_date == rejoined and Profile.get_by_id(profile.id).leaving_date is None


# Conditional reads: a change in MIS data alone is seen by the next import --------------------------------


def test_a_change_in_mis_data_alone_is_seen_by_the_next_import(wonde, run_import):
    ada = staff_member(wonde)
    run_import(wonde)
    assert run_import(wonde).counts["unchanged"] == 1
    mis(ada, start_date=datetime.date(2020, 1, 6))  # nothing else of the member changes, not even updated_at
    assert run_import(wonde).counts["updated"] == 1
    assert profile_of(ada).start_date == datetime.date(2020, 1, 6)


def test_members_on_an_unchanged_page_keep_their_mis_data_when_a_new_mapping_needs_it(school, run_import):
    school.staff.mis_sync = True
    school.staff.save()
    school.connection.wonde = True
    school.connection.save()
    ada = staff_member(school)
    run_import(school)
    run_import(school)  # the page is remembered now: the next import gets a 304 for it
    fields.add_mapping(school.org, "mis.date_of_birth", "dob", "to_scr", "always", "admin@school.test")
    assert run_import(school).counts["updated"] == 1
    assert profile_of(ada).dob == BORN


# Push All: the look-alike check uses the MIS date of birth ------------------------------------------------


def test_push_all_holds_back_a_profile_with_the_name_and_mis_date_of_birth_of_a_member(wonde, run_import, ctx):
    run_import(wonde)
    ada = wonde.member("Ada Lovelace", email="ada.home@example.test")
    mis(ada, date_of_birth=BORN)
    profile = factories.profile(wonde.org, "Ada", "Lovelace", email="a.lovelace@school.test", dob=BORN)

    def push_all():
        return push.push_all(wonde.org, group_id=wonde.staff.id, type_names=["Teaching Staff"], actor="test",
                             dry_run=True, client=client_for(wonde.connection, wsgi_app=ctx))

    result = push_all()
    assert result.counts["held_back"] == 1
    held = result.run.problems.get()
    assert held.external_id == str(profile.id) and "same first name, last name and date of birth" in held.message
    wonde.connection.wonde = False  # the MIS date of birth is not Tether's to use with the toggle off
    wonde.connection.save()
    assert push_all().counts["held_back"] == 0
