"""The set-up checklist (DESIGN §12 item 3): each step ticks itself when the organisation's records say it
is done, and the overview shows it with the integration state and where each step is done."""
import datetime

import pytest

from console import checklist
from store.models import FieldMapping, IntegrationRequest, MappingRule, Organisation, RatingSystem, SupportGrant, SyncRun, Trust, now
from sync import integration, merge
from sync.linking import create_link
from tests import factories


@pytest.fixture
def org(app):
    with app.test_request_context():
        yield factories.organisation("Oakfield Academy")


def step(org, key):
    return {s.key: s for s in checklist.steps(Organisation.get_by_id(org.id))}[key]


def test_the_request_step_is_done_once_an_admin_has_requested_the_integration(org):
    assert not step(org, "request").done
    IntegrationRequest.create(organisation=org, requested_by="head@oakfield.test")
    shown = step(org, "request")
    assert shown.done and "Requested by head@oakfield.test" in shown.shows and "Waiting for" in shown.shows


def test_the_support_access_step_is_done_once_access_has_been_opened_even_when_closed_since(org):
    assert not step(org, "support_access").done
    grant = SupportGrant.create(organisation=org, opened_by="head@oakfield.test", until=now() + datetime.timedelta(days=14))
    assert step(org, "support_access").done and "Open to support until" in step(org, "support_access").shows
    SupportGrant.update(closed_at=now(), closed_by="head@oakfield.test").where(SupportGrant.id == grant.id).execute()
    assert step(org, "support_access").done and "closed since" in step(org, "support_access").shows


def test_the_connection_step_is_done_when_the_trusts_connection_answered_its_last_test(org):
    trust = Trust.create(name="Oak Trust")
    Organisation.update(trust=trust).where(Organisation.id == org.id).execute()
    assert "no Sign In App connection" in step(org, "connection").shows
    connection = factories.connection(trust=trust)
    assert not step(org, "connection").done and "has not been tested" in step(org, "connection").shows
    connection.tested_at, connection.test_ok, connection.test_message = now(), False, "the key was refused"
    connection.save()
    assert not step(org, "connection").done and "the key was refused" in step(org, "connection").shows
    connection.test_ok = True
    connection.save()
    assert step(org, "connection").done


def test_the_groups_step_counts_repeat_groups_only_and_says_where_to_link_them(org):
    connection = factories.connection(org)
    factories.group(connection, org, name="Visitors", type="non-returning")
    shown = step(org, "groups")
    assert not shown.done and "Standard groups linked, which will not sync: Visitors" in shown.shows
    assert checklist.REPEAT_ONLY in shown.todo and "Manage > Groups > Select Staff group > Integrations" in shown.todo
    factories.group(connection, org, name="Staff")
    assert step(org, "groups").done and "Repeat groups linked: Staff" in step(org, "groups").shows


def test_the_profile_type_map_step_needs_an_enabled_rule_for_a_type_other_than_teaching_staff(org):
    MappingRule.create(organisation=org, profile_type=factories.profile_type(org), expression="group == Staff")
    MappingRule.create(organisation=org, profile_type=factories.profile_type(org, "Governors"),
                       expression="group == Governors", enabled=False)
    assert not step(org, "profile_type_map").done
    MappingRule.create(organisation=org, profile_type=factories.profile_type(org, "Contractors"),
                       expression="group == Contractors")
    shown = step(org, "profile_type_map")
    assert shown.done and shown.shows == "Mapped: Contractors."


def test_the_wonde_step_is_optional_and_done_with_the_toggle_on_and_fields_mapped(org):
    connection = factories.connection(org)
    assert step(org, "wonde").state == "optional"
    connection.wonde = True
    connection.save()
    assert not step(org, "wonde").done
    FieldMapping.create(organisation=org, source_field="role", target_field="role", direction="to_scr")
    assert not step(org, "wonde").done  # not what the Wonde connection brings
    FieldMapping.create(organisation=org, source_field="mis.date_of_birth", target_field="dob", direction="to_scr")
    assert step(org, "wonde").done and step(org, "wonde").shows == "Use SIA Wonde Connection is on; 1 MIS field mapped."


def test_the_first_import_or_push_step_is_done_by_a_run_or_once_the_organisation_is_active(org):
    SyncRun.create(organisation=org, kind="sia_import", dry_run=True, actor="cli")
    assert not step(org, "first_sync").done
    SyncRun.create(organisation=org, kind="sia_push", actor="head@oakfield.test")
    shown = step(org, "first_sync")
    assert shown.done and "First push started by head@oakfield.test" in shown.shows
    other = factories.organisation("Birch Primary", state="paused")
    assert step(other, "first_sync").done


def test_the_duplicates_step_counts_the_pairs_left_and_is_done_when_they_are_merged(org):
    connection = factories.connection(org)
    member = factories.member(factories.group(connection, org), "Ada Lovelace", email="ada@oakfield.test")
    own = factories.profile(org, email="ada@oakfield.test")
    imported = factories.profile(org, email="ada@oakfield.test", source="sia")
    create_link(imported, member, "test")
    assert step(org, "duplicates").shows == "Duplicate profiles appear after the first import."
    SyncRun.create(organisation=org, kind="sia_import", actor="cli")
    assert not step(org, "duplicates").done and step(org, "duplicates").shows == "1 duplicate pair left to merge."
    merge.merge(own, imported, "head@oakfield.test")
    assert step(org, "duplicates").done


@pytest.mark.parametrize("toggle, setting, done", [
    (True, "reject", True), (True, "allow", True), (True, "dont_check", False), (False, "reject", False),
])
def test_the_safety_check_step_reads_the_toggle_and_the_linked_groups_settings(org, toggle, setting, done):
    Organisation.update(settings={"safety_check_enabled": toggle}).where(Organisation.id == org.id).execute()
    group = factories.group(factories.connection(org), org)
    group.settings = {"sign_in_options": {"safety_check": setting}}
    group.save()
    RatingSystem.create(organisation=org, name="School Ready")
    assert step(org, "safety_check").done is done


def test_the_safety_check_step_waits_for_a_rating_system_to_check(org):
    group = factories.group(factories.connection(org), org)
    group.settings = {"sign_in_options": {"safety_check": "reject"}}
    group.save()
    assert not step(org, "safety_check").done
    assert "no enabled rating system yet" in step(org, "safety_check").shows
    RatingSystem.create(organisation=org, name="School Ready")
    assert step(org, "safety_check").done


def test_the_overview_shows_the_state_the_checklist_and_where_each_step_is_done(client, app):
    org = factories.organisation("Oakfield Academy")
    factories.user("head@oakfield.test", "admin", [org])
    client.login("head@oakfield.test")
    listed = client.get("/").get_data(as_text=True)
    assert "Setting up: profiles appear when you choose Import or Push" in listed
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "Pause scheduled imports" not in page  # nothing runs on schedule yet
    shown = page[page.index('id="checklist-title"'):page.index("Sync health")]
    assert "0 of 8 steps done, and 1 optional" in shown
    for path in ("rules/", "field-mapping/", "sync/runs", "sync/upload", "duplicates", "sia-tokens"):
        assert f'href="/organisations/{org.id}/{path}"' in shown, path


def test_an_admin_pauses_and_resumes_the_schedule_and_a_viewer_only_reads_it(client, app):
    org = factories.organisation("Oakfield Academy", state="active")
    factories.user("head@oakfield.test", "admin", [org])
    factories.user("office@oakfield.test", "viewer", [org])
    client.login("head@oakfield.test")
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "Active: imports every 15 minutes" in page
    answer = client.post(f"/organisations/{org.id}/schedule/pause")
    assert answer.status_code == 303
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    today = f"{datetime.datetime.now(datetime.timezone.utc):%d %b %Y}"
    assert f"Paused by head@oakfield.test on {today}" in page and "scheduled imports are paused" in page
    assert f"Paused by head@oakfield.test on {today}" in client.get("/").get_data(as_text=True)
    client.switch_to("office@oakfield.test")
    assert "Resume scheduled imports" not in client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert client.post(f"/organisations/{org.id}/schedule/resume").status_code == 403
    client.switch_to("head@oakfield.test")
    client.post(f"/organisations/{org.id}/schedule/resume")
    assert Organisation.get_by_id(org.id).state == integration.ACTIVE
    assert "Active: imports every 15 minutes" in client.get(f"/organisations/{org.id}").get_data(as_text=True)
