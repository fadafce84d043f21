"""The sandbox's pages: groups, their settings, members, and "Sign in" calling Central Record's safety check."""
import pytest
from flask import Flask, jsonify, request

from sandbox.models import SandboxGroup, SandboxMember
from store.models import Organisation, RatingSystem, SiaConnection, Trust

from . import helpers

ALLOWED = {
    "status": "compliant", "shield": True, "decision": "allow", "notify": False,
    "rating_systems": [{"id": 1, "name": "Inspector Ready", "ready": True, "missing": [], "expired": []}],
    "message": "",
}
REJECTED = {
    "status": "not_compliant", "shield": False, "decision": "reject", "notify": True,
    "rating_systems": [{"id": 1, "name": "Inspector Ready", "ready": False, "missing": ["Enhanced DBS"],
                        "expired": ["Medical fitness"]}],
    "message": "Missing entry criteria.",
}


class StubCentralRecord:
    """A Central Record that answers the safety check with whatever a test sets, recording each call."""

    def __init__(self):
        self.status = 200
        self.answer = ALLOWED
        self.calls = []
        self.app = Flask("stub_central_record")
        self.app.add_url_rule("/api/v1/safety-check", view_func=self.safety_check, methods=["POST"])

    def safety_check(self):
        self.calls.append({"authorization": request.headers.get("Authorization"), "json": request.get_json()})
        return jsonify(self.answer), self.status


@pytest.fixture
def central_record():
    stub = StubCentralRecord()
    with helpers.serve(stub.app) as url:
        stub.url = url
        yield stub


@pytest.fixture
def school(db):
    trust = Trust.create(name="Northgate")
    one = Organisation.create(name="Oakfield Academy", trust=trust)
    Organisation.create(name="Riverside Primary School", trust=trust)
    Organisation.create(name="A school of another trust")
    return one


@pytest.fixture
def linked(school):
    """An account whose key matches the trust's connection, and a Staff group linked to the first school."""
    owner = helpers.account(name="Northgate")
    SiaConnection.new(trust=school.trust, base_url="x", api_key=owner.api_key, secret=owner.api_secret,
                         kind="sandbox")
    staff = helpers.group(owner, "Staff", organisation_id=school.id, safety_check="reject")
    return owner, staff


def test_home_lists_each_accounts_groups_with_their_link(client, school, linked):
    owner, staff = linked
    helpers.group(owner, "Visitors", "non-returning")
    helpers.members(staff, 3)
    page = client.get("/sandbox/").get_data(as_text=True)
    assert "Northgate" in page and "Staff" in page and "Visitors" in page
    assert "Oakfield Academy" in page and "Not linked" in page
    assert f'href="/sandbox/groups/{staff.id}"' in page


def test_group_page_lists_members_with_a_sign_in_button_each(client, linked):
    _, staff = linked
    helpers.member(staff, "Grace Hopper", role="Teacher of Computing")
    helpers.member(staff, "Alan Turing", archived=True)
    page = client.get(f"/sandbox/groups/{staff.id}").get_data(as_text=True)
    assert "Grace Hopper" in page and "Teacher of Computing" in page
    assert page.count('aria-label="Sign in ') == 1  # archived members cannot sign in
    assert 'name="csrf_token"' in page


def test_group_members_are_paginated(client, linked):
    _, staff = linked
    helpers.members(staff, 120)
    second = client.get(f"/sandbox/groups/{staff.id}?page=2").get_data(as_text=True)
    assert "Page 2 of 3" in second and "Person 51<" in second and "Person 50<" not in second


def test_group_page_offers_only_the_trusts_organisations(client, linked):
    _, staff = linked
    page = client.get(f"/sandbox/groups/{staff.id}").get_data(as_text=True)
    assert "Riverside Primary School" in page
    assert "A school of another trust" not in page


def test_group_settings_are_saved(client, school, linked):
    _, staff = linked
    system = RatingSystem.create(organisation=school, name="Inspector Ready")
    response = client.post(f"/sandbox/groups/{staff.id}", data={
        "type": "returning", "organisation_id": str(school.id), "rating_check": "selected",
        "rating_systems": [str(system.id)], "safety_check": "allow", "allow_ipad_self_add": "on",
    })
    assert response.status_code == 303
    saved = SandboxGroup.get_by_id(staff.id)
    assert (saved.rating_check, saved.rating_systems, saved.safety_check, saved.allow_ipad_self_add) == (
        "selected", [system.id], "allow", True
    )


def test_unlinking_a_group_is_saved(client, linked):
    _, staff = linked
    client.post(f"/sandbox/groups/{staff.id}", data={
        "type": "returning", "organisation_id": "", "rating_check": "all", "safety_check": "dont_check",
    })
    assert SandboxGroup.get_by_id(staff.id).organisation_id is None


def test_linking_a_standard_group_is_refused(client, school, linked):
    owner, _ = linked
    visitors = helpers.group(owner, "Visitors", "non-returning")
    response = client.post(f"/sandbox/groups/{visitors.id}", data={
        "type": "non-returning", "organisation_id": str(school.id), "rating_check": "all",
        "safety_check": "dont_check",
    })
    assert response.status_code == 422
    assert "Only Repeat (returning) groups can be linked" in response.get_data(as_text=True)
    assert SandboxGroup.get_by_id(visitors.id).organisation_id is None


def test_linking_another_trusts_school_is_refused(client, linked):
    _, staff = linked
    other = Organisation.get(Organisation.name == "A school of another trust")
    response = client.post(f"/sandbox/groups/{staff.id}", data={
        "type": "returning", "organisation_id": str(other.id), "rating_check": "all", "safety_check": "reject",
    })
    assert response.status_code == 422
    assert SandboxGroup.get_by_id(staff.id).organisation_id != other.id


def test_settings_form_without_csrf_token_is_refused(client, linked):
    _, staff = linked
    response = client.post(f"/sandbox/groups/{staff.id}", data={"type": "delivery"}, csrf=False)
    assert response.status_code == 400
    assert SandboxGroup.get_by_id(staff.id).type == "returning"


def test_sign_in_without_a_token_explains_what_to_do(client, linked):
    _, staff = linked
    ada = helpers.member(staff)
    page = client.post(f"/sandbox/members/{ada.id}/sign-in").get_data(as_text=True)
    assert "Safety check not made." in page and "no Central Record token" in page
    assert SandboxMember.get_by_id(ada.id).status == "signed_out"


def _use(owner, central_record, token="token-123"):
    owner.central_record_url = central_record.url
    owner.central_record_token = token
    owner.save()


def test_sign_in_allowed_shows_the_green_shield_and_signs_in(client, linked, central_record):
    owner, staff = linked
    _use(owner, central_record)
    ada = helpers.member(staff)
    page = client.post(f"/sandbox/members/{ada.id}/sign-in").get_data(as_text=True)
    assert central_record.calls == [
        {"authorization": "Bearer token-123", "json": {"member_id": ada.id, "group_id": staff.id}}
    ]
    assert "Signed in." in page and "Green shield" in page
    assert SandboxMember.get_by_id(ada.id).status == "signed_in"


def test_sign_in_rejected_shows_the_reason(client, linked, central_record):
    owner, staff = linked
    _use(owner, central_record)
    central_record.answer = REJECTED
    ada = helpers.member(staff)
    page = client.post(f"/sandbox/members/{ada.id}/sign-in").get_data(as_text=True)
    assert "Sign in rejected." in page and "Missing entry criteria." in page
    assert "missing Enhanced DBS" in page and "expired Medical fitness" in page
    assert "Green shield" not in page
    assert SandboxMember.get_by_id(ada.id).status == "signed_out"


def test_sign_in_with_a_refused_token_says_to_issue_a_new_one(client, linked, central_record):
    owner, staff = linked
    _use(owner, central_record)
    central_record.status, central_record.answer = 401, {"message": "Unauthenticated."}
    page = client.post(f"/sandbox/members/{helpers.member(staff).id}/sign-in").get_data(as_text=True)
    assert "refused this account&#39;s token (401)" in page


def test_sign_in_when_central_record_has_no_safety_check_says_so(client, linked, central_record):
    owner, staff = linked
    _use(owner, central_record)
    central_record.status, central_record.answer = 404, []
    page = client.post(f"/sandbox/members/{helpers.member(staff).id}/sign-in").get_data(as_text=True)
    assert "has no safety check" in page and "answered 404" in page


def test_sign_in_shows_why_central_record_does_not_know_the_group(client, linked, central_record):
    owner, staff = linked
    _use(owner, central_record)
    central_record.status, central_record.answer = 404, {"message": "Group 7 is not linked: link it in Sign In App."}
    page = client.post(f"/sandbox/members/{helpers.member(staff).id}/sign-in").get_data(as_text=True)
    assert "answered 404: Group 7 is not linked: link it in Sign In App." in page


def test_sign_in_when_central_record_is_down_names_the_address(client, linked):
    owner, staff = linked
    owner.central_record_url, owner.central_record_token = "http://127.0.0.1:9", "token"
    owner.save()
    page = client.post(f"/sandbox/members/{helpers.member(staff).id}/sign-in").get_data(as_text=True)
    assert "Could not reach Central Record at http://127.0.0.1:9/api/v1/safety-check" in page


def test_central_record_token_is_saved_and_never_shown(client, linked):
    owner, _ = linked
    response = client.post(f"/sandbox/accounts/{owner.id}/central-record", data={"token": "tok-1", "url": ""})
    assert response.status_code == 303
    owner = type(owner).get_by_id(owner.id)
    assert owner.central_record_token == "tok-1" and owner.central_record_url is None
    assert "tok-1" not in client.get("/sandbox/").get_data(as_text=True)


def test_unknown_group_page_is_404(client, db):
    assert client.get("/sandbox/groups/4040").status_code == 404


def test_sign_in_without_an_address_asks_this_tether_in_process(client, linked):
    owner, staff = linked
    owner.central_record_token = "not-issued-by-this-tether"
    owner.save()
    page = client.post(f"/sandbox/members/{helpers.member(staff).id}/sign-in").get_data(as_text=True)
    # Before the safety check exists this Tether answers 404; once it does, it refuses the unknown token.
    assert "Central Record at this Tether has no safety check" in page or "token (401)" in page
