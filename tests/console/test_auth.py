"""Signing in and out, CSRF on every state change, and organisation scoping."""
import re

import pytest

from console.auth import SIGN_IN_FAILED
from store.models import AuditEvent, User
from tests import factories as f
from tests.conftest import TetherClient


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


@pytest.mark.parametrize(
    "next_url",
    ["/%0d%0aLocation:%20http://evil", "%0d%0aLocation:%20http://evil", "//evil.example", "https://evil.example",
     "/%5Cevil", "/%09/evil.example"],
)
def test_sign_in_goes_home_instead_of_off_site_or_to_a_broken_next(client, schools, next_url):
    response = client.post(f"/login?next={next_url}", data={"email": "admin1@school.test", "password": "password"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_sign_in_returns_to_the_page_that_asked_for_it(client, schools):
    one, _ = schools
    response = client.post(f"/login?next=/organisations/{one.id}%3Ftab%3Druns", data={"email": "admin1@school.test",
                                                                                     "password": "password"})
    assert response.headers["Location"] == f"/organisations/{one.id}?tab=runs"


def test_sign_out_ends_the_session(client, schools):
    client.login("admin1@school.test")
    assert client.post("/logout").status_code == 303
    assert client.get("/").status_code == 302


def _copy_of_session(app, client):
    """A second browser holding a copy of `client`'s session cookie, as someone who copied it would."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def test_session_cookie_copied_before_logout_is_refused_after_it(app, client, schools):
    client.login("admin1@school.test")
    copied = _copy_of_session(app, client)
    assert copied.get("/").status_code == 200
    client.post("/logout")
    response = copied.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_session_cookie_copied_before_a_password_reset_is_refused_after_it(app, client, schools):
    client.login("admin1@school.test")
    copied = _copy_of_session(app, client)
    admin = User.get(User.email == "admin1@school.test")
    support = app.test_client()
    support.login("support@tether.test")
    page = support.post(f"/users/{admin.id}/reset-password").get_data(as_text=True)
    assert copied.get("/").status_code == 302
    assert client.get("/").status_code == 302
    new_password = re.search(r'<code class="secret">([^<]+)</code>', page).group(1)
    assert client.login("admin1@school.test", new_password).status_code == 303
    assert client.get("/").status_code == 200


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


def test_support_sees_only_the_organisations_with_support_access_open(client, schools):
    one, two = schools
    f.support_access(one)
    client.login("support@tether.test")
    page = client.get("/").get_data(as_text=True)
    assert f'href="/organisations/{one.id}"' in page and f'href="/organisations/{two.id}"' not in page
    asked = page.split("Organisations you can ask access to")[1]
    assert "School Two" in asked and "School One" not in asked
    assert client.get(f"/organisations/{one.id}").status_code == 200
    assert client.get(f"/organisations/{two.id}").status_code == 404


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


def test_failed_sign_ins_to_one_account_pause_it_with_429_and_retry_after(client, schools):
    for _ in range(5):
        assert client.login("admin1@school.test", "guess").status_code == 401
    refused = client.login("Admin1@school.test")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    page = refused.get_data(as_text=True)
    assert "Too many sign-in attempts" in page and "Try again in a minute" in page
    assert client.login("admin2@school.test").status_code == 303


def test_failed_sign_ins_from_one_address_pause_every_account(client, schools):
    for attempt in range(10):
        assert client.login(f"nobody{attempt}@school.test", "guess").status_code == 401
    assert client.login("admin1@school.test").status_code == 429
    other_address = client.post("/login", data={"email": "admin1@school.test", "password": "password"},
                                environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other_address.status_code == 303


def test_successful_sign_ins_are_not_counted(client, schools):
    for _ in range(12):
        assert client.login("admin1@school.test").status_code == 303
        client.post("/logout")


def _app_from_environment(db, monkeypatch, **environment):
    from app import create_app

    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True, "DATABASE": db, "AUTO_MIGRATE": False, "SECRET_KEY": "test-secret",
                      "TETHER_SCHEDULER": False})
    app.test_client_class = TetherClient
    return app


@pytest.mark.parametrize("setting, secure", [(None, False), ("true", True), ("false", False)])
def test_session_cookie_is_secure_when_the_environment_says_so(db, monkeypatch, schools, setting, secure):
    app = _app_from_environment(db, monkeypatch, **({"SESSION_COOKIE_SECURE": setting} if setting else {}))
    response = app.test_client().login("admin1@school.test")
    assert response.status_code == 303
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert ("; Secure" in cookie) is secure


@pytest.mark.parametrize(
    "name, value",
    [("SESSION_COOKIE_SECURE", "sometimes"), ("TETHER_LOGIN_LIMIT_PER_ADDRESS", "lots"),
     ("TETHER_LOGIN_LIMIT_PER_ACCOUNT", "5 per fortnight"), ("TETHER_PROXIES", "²")],
)
def test_a_setting_that_cannot_be_read_stops_the_app_with_its_name(db, monkeypatch, name, value):
    with pytest.raises(ValueError, match=name):
        _app_from_environment(db, monkeypatch, **{name: value})


def _fail_sign_in(client, attempt, forwarded_for):
    return client.post("/login", data={"email": f"nobody{attempt}@school.test", "password": "guess"},
                       headers={"X-Forwarded-For": forwarded_for})


def test_a_client_cannot_dodge_the_address_limit_by_naming_another_address(client, schools):
    for attempt in range(10):
        assert _fail_sign_in(client, attempt, f"198.51.100.{attempt}").status_code == 401
    assert _fail_sign_in(client, 10, "198.51.100.99").status_code == 429


def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(db, monkeypatch, schools):
    client = _app_from_environment(db, monkeypatch, TETHER_PROXIES="1").test_client()
    for attempt in range(10):
        assert _fail_sign_in(client, attempt, "198.51.100.1").status_code == 401
    assert _fail_sign_in(client, 10, "198.51.100.1").status_code == 429
    assert _fail_sign_in(client, 11, "198.51.100.2").status_code == 401
