"""Signing in and out, CSRF on every state change, and organisation scoping."""
import pytest

from console.auth import SIGN_IN_FAILED
from store.models import AuditEvent
from tests import factories as f


@pytest.fixture
def schools(db):
    one, two = f.organisation("School One"), f.organisation("School Two")
    f.user("admin1@school.test", "admin", [one])
    f.user("admin2@school.test", "admin", [two])
    f.user("support@tether.test", "support")
    return one, two


def test_pages_require_sign_in(client, schools):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_sign_in_shows_the_overview(client, schools):
    response = client.login("admin1@school.test")
    assert response.status_code == 303
    page = client.get("/").get_data(as_text=True)
    assert "School One" in page
    assert AuditEvent.select().where(AuditEvent.action == "login").count() == 1


def test_wrong_email_and_wrong_password_get_the_same_answer(client, schools):
    wrong_password = client.login("admin1@school.test", "nope")
    wrong_email = client.login("nobody@school.test", "password")
    assert wrong_password.status_code == wrong_email.status_code == 401
    assert SIGN_IN_FAILED in wrong_password.get_data(as_text=True)
    assert SIGN_IN_FAILED in wrong_email.get_data(as_text=True)


def test_email_is_matched_without_regard_to_case(client, schools):
    assert client.login("Admin1@School.TEST").status_code == 303


def test_sign_in_does_not_redirect_off_site(client, schools):
    response = client.post("/login?next=https://evil.example/", data={"email": "admin1@school.test", "password": "password"})
    assert response.headers["Location"] == "/"


def test_sign_out_ends_the_session(client, schools):
    client.login("admin1@school.test")
    assert client.post("/logout").status_code == 303
    assert client.get("/").status_code == 302


def test_post_without_csrf_token_is_refused(client, schools):
    response = client.post("/login", csrf=False, data={"email": "admin1@school.test", "password": "password"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)


def test_htmx_post_with_csrf_header_is_accepted(client, schools):
    client.login("admin1@school.test")
    token = client.csrf_token()
    response = client.post("/logout", csrf=False, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 303


def test_admin_of_school_one_gets_404_for_school_two(client, schools):
    one, two = schools
    client.login("admin1@school.test")
    assert client.get(f"/organisations/{one.id}").status_code == 200
    assert client.get(f"/organisations/{two.id}").status_code == 404
    assert "School Two" not in client.get("/").get_data(as_text=True)


def test_unknown_organisation_is_404_like_a_forbidden_one(client, schools):
    client.login("admin1@school.test")
    assert client.get("/organisations/999999").status_code == 404


def test_support_sees_every_organisation(client, schools):
    one, two = schools
    client.login("support@tether.test")
    page = client.get("/").get_data(as_text=True)
    assert "School One" in page and "School Two" in page
    assert client.get(f"/organisations/{two.id}").status_code == 200


def test_pages_carry_a_content_security_policy_without_inline_script(client, schools):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.get_data(as_text=True)


def test_htmx_is_served_from_the_npm_package(client, schools):
    response = client.get("/vendor/htmx.min.js")
    assert response.status_code == 200
    assert b"htmx" in response.data[:2000]
    assert client.get("/vendor/package.json").status_code == 404


def test_organisation_overview_charts_recent_runs_with_their_status(client, schools):
    from store.models import SyncRun

    one, _ = schools
    SyncRun.create(organisation=one, kind="sia_import", status="succeeded", total=120)
    SyncRun.create(organisation=one, kind="sia_import", status="failed", total=0, error="Sign In App rejected the key")
    client.login("admin1@school.test")
    body = client.get(f"/organisations/{one.id}").get_data(as_text=True)
    assert body.count('class="bar bar-') == 2
    assert "bar-failed" in body and "1 failed" in body
    assert "Sign In App rejected the key" in body
