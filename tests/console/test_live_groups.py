"""Live groups (set-up help, step 2): link a group in Sign In App, refresh the page, and it is there.

The profile type map (the mapping rules pages) and diagnostics read the organisation's groups from Sign
In App as they load — the sandbox here, through the same client API — and the mirror agrees with them
afterwards, without an import. What was read is kept for a minute per connection.
"""
import pytest

from sandbox.models import SandboxGroup
from store.models import SiaConnection, SiaGroup
from sync import group_links
from tests import factories as f
from tests.sandbox import helpers as sandbox


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def school(app, db):
    org = f.organisation("Hill School")
    f.user("admin@hill.test", "admin", [org])
    connection = f.connection(org, api_key="hill-key", api_secret="hill-secret")
    account = sandbox.account(name="Hill", key="hill-key", secret="hill-secret")
    staff = sandbox.group(account, "Staff", organisation_id=org.id)
    sandbox.member(staff, "Ada Lovelace", email="ada@hill.test", role="Teacher")
    clock = app.extensions["tether_group_reads"].clock = Clock()
    return org, connection, account, clock


def test_a_group_linked_in_sign_in_app_shows_on_the_map_after_a_refresh_without_an_import(client, school):
    org, connection, account, clock = school
    client.login("admin@hill.test")
    page = client.get(f"/organisations/{org.id}/rules/").get_data(as_text=True)
    assert "<td>Staff</td>" in page and "Contractors" not in page

    contractors = sandbox.group(account, "Contractors")
    contractors.organisation_id = org.id
    contractors.save()
    clock.now += 30  # within the minute: the groups read a moment ago are shown
    assert "Contractors" not in client.get(f"/organisations/{org.id}/rules/").get_data(as_text=True)

    clock.now += 31
    page = client.get(f"/organisations/{org.id}/rules/new").get_data(as_text=True)
    assert "<td>Contractors</td>" in page and f"<td>{contractors.id}</td>" in page
    assert "group == Contractors" in page
    mirrored = SiaGroup.get((SiaGroup.connection == connection) & (SiaGroup.sia_id == contractors.id))
    assert (mirrored.name, mirrored.type, mirrored.organisation_id) == ("Contractors", "returning", org.id)
    assert mirrored.settings["sign_in_options"]["safety_check"] == "dont_check"
    feedback = client.post(
        f"/organisations/{org.id}/rules/validate", data={"expression": "group == Contractors"}
    ).get_data(as_text=True)
    assert "Valid:" in feedback and "Warning" not in feedback


def test_a_group_support_unlinks_leaves_the_map_though_sign_in_app_still_links_it(client, school):
    org, connection, account, clock = school
    client.login("admin@hill.test")
    assert "<td>Staff</td>" in client.get(f"/organisations/{org.id}/rules/").get_data(as_text=True)
    staff = SiaGroup.get(SiaGroup.connection == connection)
    group_links.set_links(org, connection, unlink=[staff.sia_id], actor="support@tether.test")
    clock.now += 61
    page = client.get(f"/organisations/{org.id}/rules/").get_data(as_text=True)
    assert "<td>Staff</td>" not in page and "No group is linked to Hill School yet." in page
    assert list(SiaGroup.synced_for(org)) == []


def test_a_group_unlinked_in_sign_in_app_stays_linked_as_tether_keeps_it(client, school):
    org, connection, account, clock = school
    client.login("admin@hill.test")
    client.get(f"/organisations/{org.id}/rules/")
    SandboxGroup.update(organisation_id=None).where(SandboxGroup.account == account).execute()
    clock.now += 61
    assert "<td>Staff</td>" in client.get(f"/organisations/{org.id}/rules/").get_data(as_text=True)
    assert [g.name for g in SiaGroup.synced_for(org)] == ["Staff"]


def test_when_sign_in_app_cannot_be_reached_the_map_shows_the_mirror_and_says_so(client, school):
    org, connection, account, clock = school
    f.group(connection, org, name="Kitchen")
    SiaConnection.update(kind="http", base_url="http://127.0.0.1:9/client-api/v1").where(
        SiaConnection.id == connection.id
    ).execute()
    client.login("admin@hill.test")
    response = client.get(f"/organisations/{org.id}/rules/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<td>Kitchen</td>" in page
    assert "Sign In App could not be asked for its groups just now, so the groups shown are as Tether last read them" in page
    assert "Could not get an answer from Sign In App at http://127.0.0.1:9/client-api/v1/groups" in page


def test_diagnostics_see_a_groups_sign_in_options_as_sign_in_app_has_them_now(client, school):
    org, connection, account, clock = school
    staff = SandboxGroup.get(SandboxGroup.account == account)
    ada = staff.members.get()
    f.member(f.group(connection, org, name="Staff", sia_id=staff.id), "Ada Lovelace", sia_id=ada.id, email="ada@hill.test")
    client.login("admin@hill.test")
    page = client.get(f"/organisations/{org.id}/diagnostics", query_string={"q": "ada"}).get_data(as_text=True)
    assert "group_dont_check" in page  # Staff is "Don't check", as Sign In App has it

    SandboxGroup.update(safety_check="reject").where(SandboxGroup.account == account).execute()
    clock.now += 61
    page = client.get(f"/organisations/{org.id}/diagnostics", query_string={"q": "ada"}).get_data(as_text=True)
    assert "group_dont_check" not in page
    assert "central_record_not_included" in page  # …and the account's toggle is still off
