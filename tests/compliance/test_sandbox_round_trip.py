"""The demo's whole loop over real HTTP on 127.0.0.1: the sandbox's "Sign in" button asks Tether's
safety check with the bearer token Tether issued, and shows the shield, the rejection or the warning.

Here the test plays the sync: it mirrors the sandbox group's detail (as `GET /groups/{id}` gives it)
into `SiaGroup.settings`, and links the member to the profile.
"""
import re

import httpx
import pytest

from compliance import tokens
from compliance.decision import UNAVAILABLE_MESSAGE
from sandbox.api import group_detail
from sandbox.models import SandboxAccount, SandboxGroup, SandboxMember
from store.models import Notification, now
from tests import factories as f
from tests.sandbox.helpers import serve

from .conftest import build_school, make_ready


SUPPORT = "support@tether.test"


def mirror(sandbox_group, sia_group):
    """What the sync does with a group: keep Sign In App's group detail as the mirror's settings."""
    sia_group.settings = group_detail(SandboxGroup.get_by_id(sandbox_group.id))
    sia_group.save()


@pytest.fixture
def demo(db):
    school = build_school()
    account = SandboxAccount.create(
        name="Hill Trust", api_key=school.connection.api_key, api_secret="secret", central_record_safety_check=True
    )
    f.user(SUPPORT, "support")
    group = SandboxGroup.create(account=account, name="Staff", type="returning", organisation_id=school.org.id, safety_check="reject")
    member = SandboxMember.create(group=group, personal_fields={"name": "Ada Lovelace"})
    school.group.sia_id, school.member.sia_id = group.id, member.id
    school.group.save()
    school.member.save()
    mirror(group, school.group)
    return school, account, group, member


def press_sign_in(base_url, member):
    """What a support engineer does: sign in to Tether, open the sandbox group's page, press "Sign in"."""
    with httpx.Client(base_url=base_url, timeout=15) as browser:
        csrf = re.search(r'X-CSRFToken": "([^"]+)"', browser.get("/login").text).group(1)
        browser.post("/login", data={"csrf_token": csrf, "email": SUPPORT, "password": f.PASSWORD})
        page = browser.get(f"/sandbox/groups/{member.group_id}").text
        csrf = re.search(r'X-CSRFToken": "([^"]+)"', page).group(1)
        response = browser.post(f"/sandbox/members/{member.id}/sign-in", data={"csrf_token": csrf})
    assert response.status_code == 200, response.text
    return response.text


def test_the_sandbox_sign_in_button_runs_the_safety_check_over_http(app, demo):
    school, account, group, member = demo
    with serve(app) as base_url:
        account.central_record_url = base_url
        account.central_record_token = tokens.create(school.connection, actor="test")[1]
        account.save()

        page = press_sign_in(base_url, member)
        assert "Sign in rejected." in page
        assert "missing Enhanced DBS, Right to work" in page
        assert SandboxMember.get_by_id(member.id).status == "signed_out"
        assert Notification.get().kind == "safety_reject"

        make_ready(school)
        page = press_sign_in(base_url, member)
        assert "Signed in." in page and "Green shield" in page
        signed = SandboxMember.get_by_id(member.id)
        assert signed.status == "signed_in" and signed.last_in.endswith("+00:00")  # ISO-8601, as documented

        link = school.profile.links.get()
        link.severed_at, link.sever_reason = now(), "decoupled"
        link.save()
        SandboxGroup.update(safety_check="allow").where(SandboxGroup.id == group.id).execute()
        mirror(group, school.group)
        page = press_sign_in(base_url, member)
        assert "Signed in." in page and "Green shield" not in page
        assert UNAVAILABLE_MESSAGE.replace("'", "&#39;") in page
        assert "the school has been notified" in page


def test_a_revoked_token_makes_the_sandbox_say_to_issue_a_new_one(app, demo):
    school, account, group, member = demo
    with serve(app) as base_url:
        token, secret = tokens.create(school.connection, actor="test")
        tokens.revoke(token, actor="test")
        account.central_record_url, account.central_record_token = base_url, secret
        account.save()
        page = press_sign_in(base_url, member)
    assert "Safety check not made." in page and "refused this account&#39;s token (401)" in page
    assert Notification.select().count() == 0


def test_another_schools_token_does_not_answer_for_this_group(app, demo):
    school, account, group, member = demo
    other = build_school("Dale School")
    with serve(app) as base_url:
        account.central_record_url = base_url
        account.central_record_token = tokens.create(other.connection, actor="test")[1]
        account.save()
        page = press_sign_in(base_url, member)
    assert "Safety check not made." in page and "Signed in." not in page


def test_the_sandbox_reaches_the_tether_it_runs_in_without_an_address(app, client, demo):
    school, account, group, member = demo
    make_ready(school)
    account.central_record_token = tokens.create(school.connection, actor="test")[1]
    account.save()
    client.login(SUPPORT)
    response = client.post(f"/sandbox/members/{member.id}/sign-in")
    page = response.get_data(as_text=True)
    assert "Signed in." in page and "Green shield" in page
