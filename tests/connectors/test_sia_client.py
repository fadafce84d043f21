"""The Sign In App connector against the sandbox over real HTTP, with faults injected.

It retries server errors, timeouts and connection failures with backoff, never a 4xx answer, and
every failure is an error a support engineer can act on.
"""
import httpx
import pytest

from connectors.sia import (
    Group,
    PersonalField,
    SiaAuthError,
    SiaClient,
    SiaError,
    SiaNotFound,
    SiaRejected,
    SiaThrottled,
    SiaUnreachable,
    client_for,
)
from sandbox.models import SandboxMember, SandboxPersonalField
from store.models import SiaConnection, Trust
from tests.sandbox import helpers

from . import fake_sia

FAST_TIMEOUT = httpx.Timeout(0.3, connect=0.3)


def connect(api_url, owner, sleeps, **options):
    options.setdefault("sleep", sleeps.append)
    return SiaClient(api_url, owner.api_key, owner.api_secret, name="Oakfield SIA", **options)


def test_lists_groups_and_reads_every_page_of_members(api_url, owner, sleeps, faults):
    staff = helpers.group(owner, organisation_id=1, safety_check="reject")
    helpers.group(owner, "Visitors", "non-returning")
    helpers.members(staff, 450, role="Teacher of Maths")
    with connect(api_url, owner, sleeps) as sia:
        groups = sia.list_groups()
        detail = sia.group(staff.id)
        members = list(sia.members(staff.id))
    assert [(g.name, g.type, g.is_returning) for g in groups] == [
        ("Staff", "returning", True), ("Visitors", "non-returning", False)
    ]
    assert groups[0].integrations is None
    assert detail.organisation_id == 1
    assert detail.sign_in_options == {"safety_check": "reject", "allow_ipad_self_add": False}
    assert len(members) == 450 and len({m.id for m in members}) == 450
    assert members[0].name == "Person 1" and members[0].role == "Teacher of Maths"
    assert [path for _, path in faults.requests].count(f"{helpers.API}/groups/{staff.id}/members") == 3
    assert sleeps == []


def test_member_exposes_names_and_custom_fields(api_url, owner, sleeps):
    staff = helpers.group(owner)
    grace = helpers.member(staff, "Grace Brewster Hopper", email="g.hopper@school.test", department="Computing")
    with connect(api_url, owner, sleeps) as sia:
        member = sia.member(grace.id)
    assert (member.first_name, member.last_name) == ("Grace Brewster", "Hopper")
    assert member.email == "g.hopper@school.test"
    assert member.custom == {"department": "Computing"}


def test_server_errors_then_success_are_retried_with_backoff(api_url, owner, sleeps, faults):
    helpers.group(owner)
    faults.queue = [503, 502]
    with connect(api_url, owner, sleeps) as sia:
        groups = sia.list_groups()
    assert [g.name for g in groups] == ["Staff"]
    assert len(faults.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_asked_to_slow_down_the_client_waits_as_long_as_sign_in_app_says_then_asks_again(api_url, owner, sleeps, faults):
    helpers.group(owner)
    faults.queue = [(429, {"Retry-After": "1"}), (503, {"Retry-After": "3"})]
    with connect(api_url, owner, sleeps) as sia:
        assert [g.name for g in sia.list_groups()] == ["Staff"]
    assert sleeps == [1.0, 3.0] and len(faults.requests) == 3


def test_asked_to_slow_down_for_ever_the_request_fails_within_a_minute_in_words(api_url, owner, sleeps, faults):
    faults.queue = [(429, {"Retry-After": "7"})] * 20
    with connect(api_url, owner, sleeps) as sia, pytest.raises(SiaThrottled) as raised:
        sia.create_member(1, {"name": "Ada Lovelace"})
    assert sum(sleeps) <= 60 and len(sleeps) == 8
    assert "Sign In App asked us to slow down (429)" in str(raised.value) and "'Oakfield SIA'" in str(raised.value)


def test_every_request_sends_both_json_headers_as_the_real_api_requires():
    def real_api(request):
        if request.method == "GET":
            return httpx.Response(200, json=[{"id": 1, "name": "Staff", "type": "returning"}])
        return httpx.Response(201, json={"id": 9, "group_id": 1, "personal_fields": {"name": "Ada Lovelace"}})

    # Sign In App answers a request without both headers with a redirect to its sign-in page.
    transport = fake_sia.refusing_without_json_headers(real_api)
    with SiaClient("https://sia.test/client-api/v1", "k", "s", transport=transport) as sia:
        assert [g.name for g in sia.list_groups()] == ["Staff"]
        assert sia.create_member(1, {"name": "Ada Lovelace"}).id == 9


def test_a_redirect_says_to_check_the_base_url_and_that_the_api_client_is_enabled():
    redirect = httpx.MockTransport(lambda request: httpx.Response(302, headers={"Location": "https://sia.test/login"}))
    with SiaClient("https://sia.test/client-api/v1", "k", "s", transport=redirect) as sia, pytest.raises(SiaError) as raised:
        sia.list_groups()
    assert "Sign In App answered with a redirect" in str(raised.value)
    assert "check the base URL" in str(raised.value) and "the API client is enabled" in str(raised.value)


def test_server_errors_on_every_attempt_end_in_unreachable(api_url, owner, sleeps, faults):
    faults.queue = [500, 500, 500, 500]
    with connect(api_url, owner, sleeps) as sia, pytest.raises(SiaUnreachable) as raised:
        sia.list_groups()
    assert len(faults.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]
    message = str(raised.value)
    assert f"{api_url}/groups" in message
    assert "4 attempts" in message and "answered 500" in message and "'Oakfield SIA'" in message
    assert raised.value.attempts == 4


def test_timeouts_are_retried_then_reported_unreachable(api_url, owner, sleeps, faults):
    faults.queue = [("slow", 0.6)] * 4
    with connect(api_url, owner, sleeps, timeout=FAST_TIMEOUT) as sia, pytest.raises(SiaUnreachable) as raised:
        sia.list_groups()
    assert len(faults.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]
    assert "timed out after 0.3 s waiting for the answer" in str(raised.value)
    assert f"{api_url}/groups" in str(raised.value)


def test_a_timeout_then_an_answer_succeeds(api_url, owner, sleeps, faults):
    helpers.group(owner)
    faults.queue = [("slow", 0.6)]
    with connect(api_url, owner, sleeps, timeout=FAST_TIMEOUT) as sia:
        assert [g.name for g in sia.list_groups()] == ["Staff"]
    assert sleeps == [0.5]


def test_a_server_that_is_not_there_is_reported_with_its_url(closed_port_url, owner, sleeps):
    with connect(closed_port_url, owner, sleeps) as sia, pytest.raises(SiaUnreachable) as raised:
        sia.list_groups()
    assert sleeps == [0.5, 1.0, 2.0]
    assert closed_port_url in str(raised.value)
    assert "could not connect" in str(raised.value)
    assert "Check the base URL under Settings → Sign In App → Connection" in str(raised.value)


def test_bad_credentials_fail_at_once_with_a_message_support_can_act_on(api_url, owner, sleeps, faults):
    with SiaClient(api_url, owner.api_key, "wrong", name="Oakfield SIA", sleep=sleeps.append) as sia:
        with pytest.raises(SiaAuthError) as raised:
            sia.list_groups()
    assert len(faults.requests) == 1 and sleeps == []
    assert str(raised.value) == (
        "Sign In App rejected the API key and secret for connection 'Oakfield SIA' (401). Check the key and "
        "secret under Settings → Sign In App → Connection, or ask the school to issue new ones."
    )
    assert raised.value.status == 401


def test_an_injected_401_is_not_retried(api_url, owner, sleeps, faults):
    faults.queue = [401]
    with connect(api_url, owner, sleeps) as sia, pytest.raises(SiaAuthError):
        sia.list_groups()
    assert len(faults.requests) == 1 and sleeps == []


def test_unknown_group_is_not_found_without_retry(api_url, owner, sleeps, faults):
    with connect(api_url, owner, sleeps) as sia, pytest.raises(SiaNotFound) as raised:
        list(sia.members(987654))
    assert len(faults.requests) == 1 and sleeps == []
    assert "987654" in str(raised.value)


def test_rejected_push_carries_the_field_errors_without_retry(api_url, owner, sleeps, faults):
    staff = helpers.group(owner)
    with connect(api_url, owner, sleeps) as sia, pytest.raises(SiaRejected) as raised:
        sia.create_member(staff.id, {"email": "not-an-email"})
    assert len(faults.requests) == 1 and sleeps == []
    assert set(raised.value.errors) == {"personal_fields.name", "personal_fields.email"}
    assert "The name field is required." in str(raised.value)


def test_push_and_update_reach_the_sandbox(api_url, owner, sleeps):
    staff = helpers.group(owner)
    with connect(api_url, owner, sleeps) as sia:
        created = sia.create_member(staff.id, {"name": "Mary Seacole", "email": "m@school.test",
                                               "tether_profile_id": "17"})
        updated = sia.update_member(created.id, {"role": "School Nurse"})
    assert created.group_id == staff.id and created.custom == {"tether_profile_id": "17"}
    assert updated.role == "School Nurse" and updated.email == "m@school.test"
    assert SandboxMember.get_by_id(created.id).personal_fields["role"] == "School Nurse"


def test_a_push_is_not_repeated_after_a_server_error(api_url, owner, sleeps, faults):
    staff = helpers.group(owner)
    faults.queue = [503]
    with connect(api_url, owner, sleeps) as sia, pytest.raises(SiaUnreachable):
        sia.create_member(staff.id, {"name": "Mary Seacole"})
    assert len(faults.requests) == 1 and sleeps == []


def test_an_update_is_retried_after_a_server_error(api_url, owner, sleeps, faults):
    ada = helpers.member(helpers.group(owner))
    faults.queue = [503]
    with connect(api_url, owner, sleeps) as sia:
        assert sia.update_member(ada.id, {"role": "Teacher"}).role == "Teacher"
    assert len(faults.requests) == 2 and sleeps == [0.5]


def test_portal_users_are_read(api_url, owner, sleeps):
    helpers.portal_user(owner)
    with connect(api_url, owner, sleeps) as sia:
        assert [(u.name, u.role) for u in sia.portal_users()] == [("Pat Primary", "primary")]


def test_a_base_url_that_is_not_the_client_api_is_explained(server_url, owner, sleeps):
    staff = helpers.group(owner)
    with connect(server_url + "/sandbox", owner, sleeps) as sia, pytest.raises(SiaError) as raised:
        sia.group(staff.id)
    # The sandbox's pages are for a signed-in support user: they send an API client to the sign-in page.
    assert "answered with a redirect" in str(raised.value) and "/client-api/v1" in str(raised.value)


def test_sandbox_connection_is_reached_in_process_without_a_server(app, owner):
    helpers.group(owner, "Staff", organisation_id=1)
    trust = Trust.create(name="Northgate")
    connection = SiaConnection.new(trust=trust, base_url="ignored", api_key=owner.api_key,
                                      secret=owner.api_secret, kind="sandbox")
    with app.app_context(), client_for(connection) as sia:
        assert sia.base_url == "http://sandbox.internal/sandbox/client-api/v1"
        assert [g.name for g in sia.list_groups()] == ["Staff"]
        assert sia.name == "Sign In App (Northgate)"


def test_sandbox_connection_refuses_bad_credentials_in_process(app, owner):
    trust = Trust.create(name="Northgate")
    connection = SiaConnection.new(trust=trust, name="Northgate SIA", base_url="ignored",
                                      api_key=owner.api_key, secret="wrong", kind="sandbox")
    with client_for(connection, wsgi_app=app) as sia, pytest.raises(SiaAuthError) as raised:
        sia.list_groups()
    assert "'Northgate SIA'" in str(raised.value)


def test_sandbox_connection_outside_the_app_says_why_it_cannot_connect(db, owner, monkeypatch):
    monkeypatch.setattr("connectors.sia.client._sandbox_app", None)  # as in a process that built no app
    trust = Trust.create(name="Northgate")
    connection = SiaConnection.new(trust=trust, base_url="ignored", api_key="k", secret="s", kind="sandbox")
    with pytest.raises(SiaError, match="runs inside Tether"):
        client_for(connection)


def test_http_connection_goes_to_its_base_url(api_url, owner):
    helpers.group(owner)
    trust = Trust.create(name="Northgate")
    connection = SiaConnection.new(trust=trust, base_url=api_url + "/", api_key=owner.api_key,
                                      secret=owner.api_secret, kind="http")
    with client_for(connection) as sia:
        assert sia.base_url == api_url
        assert [g.name for g in sia.list_groups()] == ["Staff"]


def test_group_from_the_list_has_no_organisation():
    assert Group(id=1, name="Staff", type="returning").organisation_id is None


def test_the_client_keeps_no_cookies_between_requests():
    seen = []

    def answer(request):
        seen.append(request.headers.get("cookie"))
        return httpx.Response(200, json=[], headers={"Set-Cookie": "laravel_session=abc; Path=/"})

    with SiaClient("https://sia.test/client-api/v1", "key", "secret", transport=httpx.MockTransport(answer)) as client:
        client.list_groups()
        client.list_groups()
    assert seen == [None, None]


def test_personal_fields_give_each_custom_field_its_label_and_type_and_none_when_sign_in_app_has_no_list(
    api_url, owner, sleeps, faults
):
    SandboxPersonalField.create(account=owner, key="c3YQ5d9wQi", label="Department", type="text")
    SandboxPersonalField.create(account=owner, key="kP0sQ2vLxe", label="DBS on file", type="boolean")
    staff = helpers.group(owner)
    ann = helpers.member(staff, "Ann Chemist", c3YQ5d9wQi="Science", kP0sQ2vLxe=True)
    with connect(api_url, owner, sleeps) as sia:
        fields = sia.personal_fields()
        member = sia.member(ann.id)
        faults.queue.append(404)  # a Sign In App without the partner endpoint
        absent = sia.personal_fields()
    assert fields == [PersonalField("c3YQ5d9wQi", "Department", "text"), PersonalField("kP0sQ2vLxe", "DBS on file", "boolean")]
    assert member.custom == {"c3YQ5d9wQi": "Science", "kP0sQ2vLxe": True}  # the JSON types kept
    assert absent is None
