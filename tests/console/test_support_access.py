"""Support access (set-up help step 2): a school admin opens the organisation to support for some days
and closes it at any time; support sees it only meanwhile, and each of its actions names the access."""
import datetime
import json

import pytest

from store import policy, setup
from store.models import AuditEvent, SupportGrant, User, now
from sync import links
from sync.linking import create_link
from tests import factories as f


@pytest.fixture
def hill(db):
    org = f.organisation("Hill School")
    f.user("admin@hill.test", "admin", [org])
    f.user("viewer@hill.test", "viewer", [org])
    f.user("support@tether.test", "support")
    return org


def test_support_sees_a_school_only_between_its_admin_opening_and_closing_access(client, hill):
    overview, access = f"/organisations/{hill.id}", f"/organisations/{hill.id}/support-access"
    client.switch_to("support@tether.test")
    assert client.get(overview).status_code == 404
    assert "Hill School" in client.get("/").get_data(as_text=True).split("Organisations you can ask access to")[1]

    client.switch_to("admin@hill.test")
    page = client.get(access).get_data(as_text=True)
    assert "Support access is closed" in page and 'value="14"' in page
    response = client.post(f"{access}/open", data={"days": "3"})
    assert response.status_code == 303
    grant = SupportGrant.get()
    assert grant.opened_by == "admin@hill.test" and grant.until - grant.opened_at == datetime.timedelta(days=3)

    client.switch_to("support@tether.test")
    assert client.get(overview).status_code == 200
    assert "Organisations you can ask access to" not in client.get("/").get_data(as_text=True)

    client.switch_to("admin@hill.test")
    assert client.post(f"{access}/close").status_code == 303
    page = client.get(access).get_data(as_text=True)
    assert "Support access is closed" in page and "closed by admin@hill.test" in page

    client.switch_to("support@tether.test")
    assert client.get(overview).status_code == 404
    assert client.get(access).status_code == 404
    events = AuditEvent.select().where(AuditEvent.action.startswith("support_access.")).order_by(AuditEvent.id)
    assert [(e.action, e.actor) for e in events] == [
        ("support_access.open", "admin@hill.test"), ("support_access.close", "admin@hill.test")
    ]


def test_support_access_ends_by_itself_when_its_days_are_up(client, hill):
    admin = User.by_email("admin@hill.test")
    setup.open_support_access(hill, admin, 14, at=now() - datetime.timedelta(days=15))
    support = User.by_email("support@tether.test")
    assert not policy.may_see(support, hill.id) and [o.name for o in policy.organisations_to_ask(support)] == ["Hill School"]
    client.login("admin@hill.test")
    page = client.get(f"/organisations/{hill.id}/support-access").get_data(as_text=True)
    assert "Support access is closed" in page and "ran its course" in page


@pytest.mark.parametrize("days", ["0", "91", "two weeks", ""])
def test_a_number_of_days_outside_1_to_90_is_refused_in_words(client, hill, days):
    client.login("admin@hill.test")
    response = client.post(f"/organisations/{hill.id}/support-access/open", data={"days": days})
    assert response.status_code == 422
    assert "a whole number from 1 to 90" in response.get_data(as_text=True)
    assert SupportGrant.select().count() == 0


def test_opening_again_replaces_the_open_access_with_the_period_chosen(client, hill):
    client.login("admin@hill.test")
    client.post(f"/organisations/{hill.id}/support-access/open", data={"days": "14"})
    client.post(f"/organisations/{hill.id}/support-access/open", data={"days": "2"})
    first, second = SupportGrant.select().order_by(SupportGrant.id)
    assert first.closed_by == "admin@hill.test" and SupportGrant.open_for(hill) == second
    assert second.until - second.opened_at == datetime.timedelta(days=2)


def test_support_hands_access_back_and_returns_to_the_organisations_list(client, hill):
    grant = f.support_access(hill)
    client.login("support@tether.test")
    response = client.post(f"/organisations/{hill.id}/support-access/close")
    assert response.status_code == 303 and response.headers["Location"].endswith("/")
    assert SupportGrant.get_by_id(grant.id).closed_by == "support@tether.test"
    assert AuditEvent.get(AuditEvent.action == "support_access.close").grant_id == grant.id


def test_a_viewer_reads_support_access_but_cannot_open_it(client, hill):
    client.login("viewer@hill.test")
    page = client.get(f"/organisations/{hill.id}/support-access").get_data(as_text=True)
    assert "Open support access" not in page and "An administrator of Hill School opens support access here" in page
    assert client.post(f"/organisations/{hill.id}/support-access/open", data={"days": "14"}).status_code == 403


def test_a_support_action_names_the_access_it_ran_under_in_the_audit_log(client, hill):
    conn = f.connection(hill)
    staff = f.group(conn, hill, "Staff")
    profile = f.profile(hill, "Ada", "Lovelace", source="sia")
    create_link(profile, f.member(staff, "Ada Lovelace"), "import")
    exclusion = links.delete_profile(profile, "admin@hill.test", "left")
    grant = f.support_access(hill, opened_by="admin@hill.test")
    client.login("support@tether.test")
    assert client.post(f"/organisations/{hill.id}/exclusions/{exclusion.id}/restore").status_code == 303
    restored = AuditEvent.get(AuditEvent.action == "exclusion.restore")
    assert restored.actor == "support@tether.test" and restored.grant_id == grant.id
    assert AuditEvent.get(AuditEvent.action == "profile.delete").grant_id is None  # the admin's own action
    client.switch_to("admin@hill.test")
    page = client.get(f"/organisations/{hill.id}/audit", query_string={"action": "exclusion.restore"}).get_data(as_text=True)
    assert f"under access opened by admin@hill.test until {grant.until:%d %b %Y %H:%M}" in page


def test_the_command_line_opens_lists_and_closes_support_access(runner, hill):
    opened = runner.invoke(args=["access", "open", "--org", str(hill.id)])
    assert opened.exit_code == 0, opened.output
    grant = SupportGrant.get()
    assert grant.opened_by == "cli" and grant.until - grant.opened_at == datetime.timedelta(days=14)
    listed = runner.invoke(args=["access", "list", "--json"])
    assert listed.exit_code == 0
    assert [(g["organisation_id"], g["opened_by"]) for g in json.loads(listed.stdout)["open"]] == [(hill.id, "cli")]
    assert runner.invoke(args=["access", "close", "--org", str(hill.id)]).exit_code == 0
    again = runner.invoke(args=["access", "close", "--org", str(hill.id)])
    assert again.exit_code == 1 and "not open, so there is nothing to close" in again.stderr
    assert json.loads(runner.invoke(args=["access", "list", "--json"]).stdout) == {"open": []}
    assert "No organisation has support access open." in runner.invoke(args=["access", "list"]).stdout


def test_the_command_line_refuses_days_out_of_range_and_unknown_organisations(runner, hill):
    for args in (["--org", str(hill.id), "--days", "91"], ["--org", "999", "--days", "3"], ["--org", "x"]):
        result = runner.invoke(args=["access", "open", *args])
        assert result.exit_code == 2 and result.stderr, args
    assert SupportGrant.select().count() == 0
