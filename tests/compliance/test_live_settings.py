"""The safety check uses a group's current settings (DESIGN §12 item 5): a group it has never seen, or last
read more than five minutes ago, is read from Sign In App (the sandbox here) before the answer; one read
within the five minutes costs no call; a Sign In App that cannot be reached does not fail the check."""
import datetime

import pytest

from compliance import decision, tokens
from sandbox.models import SandboxAccount, SandboxGroup, SandboxMember
from store.models import SiaConnection, SiaGroup, now

from .conftest import make_ready, set_group

LATER = datetime.timedelta(minutes=6)


@pytest.fixture
def world(school):
    """The school's Staff group and Ada as they are in the sandbox, mirrored by an import as "allow"."""
    account = SandboxAccount.create(
        name="Hill Trust", api_key=school.connection.api_key, api_secret="secret", central_record_safety_check=True
    )
    staff = SandboxGroup.create(account=account, name="Staff", type="returning", organisation_id=school.org.id,
                                safety_check="allow")
    ada = SandboxMember.create(group=staff, personal_fields={"name": "Ada Lovelace"})
    school.group.sia_id, school.member.sia_id = staff.id, ada.id
    school.group.save()
    school.member.save()
    set_group(school.group, safety_check="allow")
    school.sandbox, school.staff, school.secret = account, staff, tokens.create(school.connection, actor="test")[1]
    return school


def sign_in(client, world, member_id=None, group_id=None):
    response = client.post(
        "/api/v1/safety-check", csrf=False, headers={"Authorization": f"Bearer {world.secret}"},
        json={"member_id": member_id or world.member.sia_id, "group_id": group_id or world.group.sia_id},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def minutes_later(monkeypatch):
    """Move the safety check's clock past the five minutes its group settings stay fresh."""
    monkeypatch.setattr(decision, "now", lambda: now() + LATER)


def test_a_group_switched_to_reject_in_sign_in_app_rejects_at_the_next_sign_in_without_an_import(
    client, world, monkeypatch
):
    SandboxGroup.update(safety_check="reject").where(SandboxGroup.id == world.staff.id).execute()
    assert sign_in(client, world)["decision"] == "allow"  # read less than five minutes ago: the mirror answers

    minutes_later(monkeypatch)
    answer = sign_in(client, world)
    assert (answer["status"], answer["decision"], answer["notify"]) == ("not_compliant", "reject", True)
    assert answer["message"].startswith("Ada Lovelace does not meet the entry criteria")
    mirrored = SiaGroup.get_by_id(world.group.id)
    assert mirrored.settings["sign_in_options"]["safety_check"] == "reject"
    assert mirrored.seen_at > now() - datetime.timedelta(minutes=1)


def test_a_group_tether_has_never_seen_is_read_before_the_answer(client, world):
    kitchen = SandboxGroup.create(account=world.sandbox, name="Kitchen", type="returning",
                                  organisation_id=world.org.id, safety_check="reject")
    newcomer = SandboxMember.create(group=kitchen, personal_fields={"name": "Nell New"})
    answer = sign_in(client, world, newcomer.id, kitchen.id)
    assert (answer["status"], answer["decision"]) == ("unavailable", "reject")
    assert answer["message"] == decision.UNAVAILABLE_MESSAGE  # the member is not imported yet; the group is known
    mirrored = SiaGroup.get((SiaGroup.connection == world.connection) & (SiaGroup.sia_id == kitchen.id))
    assert (mirrored.name, mirrored.organisation_id) == ("Kitchen", world.org.id)


def test_the_sign_in_central_record_toggle_off_in_sign_in_app_checks_nothing(client, world, monkeypatch):
    make_ready(world)
    SandboxGroup.update(safety_check="reject").where(SandboxGroup.id == world.staff.id).execute()
    SandboxAccount.update(central_record_safety_check=False).where(SandboxAccount.id == world.sandbox.id).execute()
    minutes_later(monkeypatch)
    answer = sign_in(client, world)
    assert (answer["status"], answer["shield"], answer["decision"], answer["notify"]) == (
        "not_checked", False, "allow", False
    )
    assert "Manage > Safety Check > Sign In Central Record is off" in answer["message"]


def test_a_group_read_within_five_minutes_is_not_asked_for_again(world):
    asked = []

    def read_group(*args):
        asked.append(args)
        return ""

    decision.check_sign_in(world.connection, world.member.sia_id, world.group.sia_id, read_group=read_group)
    assert asked == []
    SiaGroup.update(seen_at=now() - LATER).where(SiaGroup.id == world.group.id).execute()
    decision.check_sign_in(world.connection, world.member.sia_id, world.group.sia_id, read_group=read_group)
    assert [args[:2] for args in asked] == [(world.connection.id, world.group.sia_id)]


def test_when_sign_in_app_cannot_be_reached_the_check_answers_from_the_mirror_and_says_so(
    client, world, monkeypatch, caplog
):
    SiaConnection.update(kind="http", base_url="http://127.0.0.1:9/client-api/v1").where(
        SiaConnection.id == world.connection.id
    ).execute()
    minutes_later(monkeypatch)
    answer = sign_in(client, world)
    assert (answer["status"], answer["decision"]) == ("not_compliant", "allow")  # "allow", as last read
    assert answer["message"].endswith(
        "Central Record could not read this group's current settings from Sign In App, so it answered from the "
        f"settings it last read ({SiaGroup.get_by_id(world.group.id).seen_at:%d %b %Y %H:%M} UTC)."
    )
    assert "Could not get an answer from Sign In App at http://127.0.0.1:9" in caplog.text

    response = client.post(
        "/api/v1/safety-check", csrf=False, headers={"Authorization": f"Bearer {world.secret}"},
        json={"member_id": world.member.sia_id, "group_id": 4242},
    )
    assert response.status_code == 404
    assert "could not read the group from Sign In App either" in response.json["message"]
