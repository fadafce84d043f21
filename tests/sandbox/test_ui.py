"""The sandbox's pages: groups, their settings, members, the account's safety-check toggle, and "Sign in"
calling Central Record's safety check — for a signed-in Tether support user only, and only ever to this
Tether."""
import re
from urllib.parse import urlparse

import pytest
from flask import Flask, jsonify, request

from sandbox.models import SandboxAccount, SandboxGroup, SandboxMember, SandboxPersonalField
from store.models import Organisation, RatingSystem, SiaConnection, Trust
from tests import factories as f

from . import helpers
from .conftest import ApiClient


class StubCentralRecord:
    """A server that would answer the safety check, recording each call: where a token must never go."""

    def __init__(self):
        self.calls = []
        self.app = Flask("stub_central_record")
        self.app.add_url_rule("/api/v1/safety-check", view_func=self.safety_check, methods=["POST"])

    def safety_check(self):
        self.calls.append({"authorization": request.headers.get("Authorization"), "json": request.get_json()})
        return jsonify(status="compliant", shield=True, decision="allow", notify=False, rating_systems=[], message="")


@pytest.fixture
def central_record():
    stub = StubCentralRecord()
    with helpers.serve(stub.app) as url:
        stub.url = url
        yield stub


@pytest.fixture
def support(client, db):
    """A Tether support user, signed in: the only person the sandbox's pages open for."""
    user = f.user("support@tether.test", "support")
    client.login(user.email)
    return user


@pytest.fixture
def school(db):
    trust = Trust.create(name="Northgate")
    one = Organisation.create(name="Oakfield Academy", trust=trust)
    Organisation.create(name="Riverside Primary School", trust=trust)
    Organisation.create(name="A school of another trust")
    return one


@pytest.fixture
def api_client_for(client):
    """The client API as one account calls it."""
    return lambda owner: ApiClient(client, owner)


@pytest.fixture
def linked(school, support):
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
    grace = helpers.member(staff, "Grace Hopper", role="Teacher of Computing")
    SandboxMember.update(last_in="2026-11-30T08:01:00Z").where(SandboxMember.id == grace.id).execute()
    helpers.member(staff, "Alan Turing", archived=True)
    page = client.get(f"/sandbox/groups/{staff.id}").get_data(as_text=True)
    assert "Grace Hopper" in page and "Teacher of Computing" in page
    assert "Monday 30 November 2026 at 08:01" in page and "Never" in page  # when each last signed in
    assert page.count('aria-label="Sign in ') == 1  # archived members cannot sign in
    assert 'name="csrf_token"' in page


def test_support_adds_a_member_to_a_repeat_group_and_the_api_lists_them(client, api_client_for, linked):
    owner, staff = linked
    refused = client.post(f"/sandbox/groups/{staff.id}/members", data={"name": " ", "email": "not-an-email"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "The name field is required." in body and "The email must be a valid email address." in body
    added = client.post(f"/sandbox/groups/{staff.id}/members", follow_redirects=True,
                        data={"name": " Ada Lovelace ", "role": "Teacher", "email": "ada@school.test", "mobile": ""})
    assert "Ada Lovelace added to Staff." in added.get_data(as_text=True)
    (member,) = api_client_for(owner).get(f"/groups/{staff.id}/members").json["data"]
    assert member["personal_fields"] == {"name": "Ada Lovelace", "role": "Teacher", "email": "ada@school.test"}
    visitors = SandboxGroup.create(account=owner, name="Visitors", type="non-returning")
    assert "Add member" not in client.get(f"/sandbox/groups/{visitors.id}").get_data(as_text=True)
    assert client.post(f"/sandbox/groups/{visitors.id}/members", data={"name": "Val"}).status_code == 422


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


def test_group_settings_with_ids_that_are_not_ids_are_refused_in_words(client, school, linked):
    _, staff = linked
    response = client.post(f"/sandbox/groups/{staff.id}", data={
        "type": "returning", "organisation_id": "9" * 5000, "rating_check": "selected",
        "rating_systems": ["1" * 5000], "safety_check": "reject",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose one of this account&#39;s Central Record organisations." in page
    assert "Choose rating systems from the list." in page


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


def test_central_record_token_is_saved_and_never_shown(client, linked):
    owner, _ = linked
    response = client.post(f"/sandbox/accounts/{owner.id}/central-record", data={"token": "tok-1", "url": ""})
    assert response.status_code == 303
    owner = type(owner).get_by_id(owner.id)
    assert owner.central_record_token == "tok-1" and owner.central_record_url is None
    assert "tok-1" not in client.get("/sandbox/").get_data(as_text=True)


def test_unknown_group_page_is_404(client, support):
    assert client.get("/sandbox/groups/4040").status_code == 404


def test_sign_in_without_an_address_asks_this_tether_in_process(client, linked):
    owner, staff = linked
    owner.central_record_token = "not-issued-by-this-tether"
    owner.save()
    page = client.post(f"/sandbox/members/{helpers.member(staff).id}/sign-in").get_data(as_text=True)
    # Before the safety check exists this Tether answers 404; once it does, it refuses the unknown token.
    assert "Central Record at this Tether has no safety check" in page or "token (401)" in page


def test_the_central_record_address_may_only_be_this_tether(client, linked):
    owner, _ = linked
    refused = client.post(f"/sandbox/accounts/{owner.id}/central-record",
                          data={"url": "https://collector.example/api/v1/safety-check", "token": "tok-1"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "The Central Record address can only be this Tether, http://localhost" in page
    assert "https://collector.example/api/v1/safety-check is somewhere else" in page
    owner = SandboxAccount.get_by_id(owner.id)
    assert (owner.central_record_url, owner.central_record_token) == (None, None)  # nothing of the form saved

    for own in ("http://localhost/", "http://LOCALHOST:80/api/v1/safety-check"):
        assert client.post(f"/sandbox/accounts/{owner.id}/central-record", data={"url": own}).status_code == 303
        assert SandboxAccount.get_by_id(owner.id).central_record_url == "http://localhost"
    for elsewhere in ("http://localhost:8080", "https://localhost", "http://localhost.example", "http://u:p@localhost",
                      "http://localhost/other", "javascript:alert(1)", "http://localhost/" + "x" * 300):
        response = client.post(f"/sandbox/accounts/{owner.id}/central-record", data={"url": elsewhere})
        assert response.status_code == 422, elsewhere


def test_an_address_elsewhere_saved_before_is_refused_at_sign_in_and_gets_no_token(client, linked, central_record):
    owner, staff = linked
    owner.central_record_url, owner.central_record_token = central_record.url, "tsc_live-token"
    owner.save()
    page = client.post(f"/sandbox/members/{helpers.member(staff).id}/sign-in").get_data(as_text=True)
    assert "Safety check not made." in page and "can only be this Tether" in page
    assert central_record.calls == []


def test_the_accounts_sign_in_central_record_toggle_is_shown_and_saved(client, linked):
    owner, staff = linked
    home = client.get("/sandbox/").get_data(as_text=True)
    assert "Manage &gt; Safety Check &gt; Sign In Central Record" in home
    assert "Include Sign In Central Record&#39;s criteria for entry to be included on the safety check." in home
    assert "not</strong> included" in client.get(f"/sandbox/groups/{staff.id}").get_data(as_text=True)

    assert client.post(f"/sandbox/accounts/{owner.id}/safety-check",
                       data={"central_record_safety_check": "on"}).status_code == 303
    assert SandboxAccount.get_by_id(owner.id).central_record_safety_check is True
    client.post(f"/sandbox/accounts/{owner.id}/safety-check", data={})
    assert SandboxAccount.get_by_id(owner.id).central_record_safety_check is False


@pytest.mark.parametrize("role", ["anonymous", "admin", "viewer"])
def test_nothing_in_the_sandbox_opens_for_anyone_but_support(app, school, role):
    client = app.test_client()
    owner = helpers.account(name="Northgate")
    staff = helpers.group(owner, "Staff", organisation_id=school.id)
    member = helpers.member(staff)
    if role != "anonymous":
        client.login(f.user(f"{role}@school.test", role, [school]).email)
    answers = [
        client.get("/sandbox/"),
        client.get(f"/sandbox/groups/{staff.id}"),
        client.post(f"/sandbox/groups/{staff.id}", data={"type": "delivery", "rating_check": "all", "safety_check": "allow"}),
        client.post(f"/sandbox/accounts/{owner.id}/central-record", data={"url": "", "token": "tok"}),
        client.post(f"/sandbox/accounts/{owner.id}/safety-check", data={"central_record_safety_check": "on"}),
        client.post(f"/sandbox/members/{member.id}/sign-in"),
    ]
    if role == "anonymous":
        assert all(a.status_code == 302 and urlparse(a.headers["Location"]).path == "/login" for a in answers)
    else:
        assert [a.status_code for a in answers] == [403] * len(answers)
    owner = SandboxAccount.get_by_id(owner.id)
    assert (SandboxGroup.get_by_id(staff.id).type, owner.central_record_token, owner.central_record_safety_check) == (
        "returning", None, False
    )
    assert SandboxMember.get_by_id(member.id).status == "signed_out"


def test_a_new_account_shows_its_key_and_secret_once_and_refuses_a_name_taken_or_blank(client, support):
    response = client.post("/sandbox/accounts", data={"name": "  Northgate   Learning Trust "})
    assert response.status_code == 201
    account = SandboxAccount.get(SandboxAccount.name == "Northgate Learning Trust")
    page = response.get_data(as_text=True)
    assert account.api_key in page and account.api_secret in page
    assert SandboxAccount.authenticate(account.api_key, account.api_secret) == account
    assert [(g.name, g.type, g.organisation_id) for g in SandboxGroup.of_account(account)] == [("Staff", "returning", None)]
    assert account.api_secret not in client.get("/sandbox/").get_data(as_text=True)

    taken = client.post("/sandbox/accounts", data={"name": "northgate learning trust"})
    assert taken.status_code == 422 and "There is already a Sign In App account called" in taken.get_data(as_text=True)
    blank = client.post("/sandbox/accounts", data={"name": " "})
    assert blank.status_code == 422 and "Enter the account&#39;s name" in blank.get_data(as_text=True)
    too_long = client.post("/sandbox/accounts", data={"name": "x" * 101})
    assert too_long.status_code == 422 and "shorten it to 100" in too_long.get_data(as_text=True)
    assert SandboxAccount.select().count() == 1


def test_a_custom_field_gets_an_opaque_key_and_renaming_its_label_keeps_the_key(client, api_client_for, linked):
    owner, staff = linked
    response = client.post(f"/sandbox/accounts/{owner.id}/personal-fields", data={"label": " Department ", "type": "text"})
    assert response.status_code == 303
    field = SandboxPersonalField.get(SandboxPersonalField.account == owner)
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]{9}", field.key) and field.label == "Department"
    helpers.member(staff, "Ann Chemist", **{field.key: "Science"})
    assert client.post(f"/sandbox/personal-fields/{field.id}", data={"label": "Faculty"}).status_code == 303
    refused = client.post(f"/sandbox/accounts/{owner.id}/personal-fields", data={"label": "faculty", "type": "text"})
    assert refused.status_code == 422 and "already has a custom field called faculty" in refused.get_data(as_text=True)
    assert client.post(f"/sandbox/personal-fields/{field.id}", data={"label": "  "}).status_code == 422
    api = api_client_for(owner)
    assert api.get("/personal-fields").json == [{"key": field.key, "label": "Faculty", "type": "text"}]
    (member,) = api.get(f"/groups/{staff.id}/members").json["data"]
    assert member["personal_fields"][field.key] == "Science"
    page = client.get("/sandbox/").get_data(as_text=True)
    assert 'value="Faculty"' in page and f"<code>{field.key}</code>" in page


def test_support_turns_on_mis_sync_for_a_group_and_edits_a_members_mis_dates(client, linked):
    owner, staff = linked
    ada = helpers.member(staff, "Ada Lovelace")
    settings = {"type": "returning", "organisation_id": str(staff.organisation_id), "rating_check": "all",
                "safety_check": "reject", "mis_sync": "on"}
    assert client.post(f"/sandbox/groups/{staff.id}", data=settings).status_code == 303
    page = client.get(f"/sandbox/groups/{staff.id}").get_data(as_text=True)
    assert "MIS sync (Wonde)" in page and f'href="/sandbox/members/{ada.id}/mis"' in page
    form = f"/sandbox/members/{ada.id}/mis"
    refused = client.post(form, data={"date_of_birth": "09/03/1984", "start_date": "2019-09-01",
                                      "leaving_date": "2019-08-31"})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Date of birth: enter a date like 2024-09-01" in body and "before the start date" in body
    saved = client.post(form, data={"date_of_birth": "1984-03-09", "start_date": "2019-09-01", "leaving_date": ""},
                        follow_redirects=True)
    assert "MIS data saved for Ada Lovelace." in saved.get_data(as_text=True)
    served = client.get(f"{helpers.API}/members/{ada.id}", headers=helpers.headers(owner)).json
    assert served["mis"] == {"date_of_birth": "1984-03-09", "start_date": "2019-09-01", "leaving_date": None}
