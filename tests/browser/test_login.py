"""A person signs in through real Chromium and sees the overview; axe finds nothing to fix."""
import pytest

from tests import factories as f
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture
def school(db):
    org = f.organisation("Riverside Primary")
    f.user("admin@riverside.test", "admin", [org])
    return org


def test_sign_in_and_see_the_overview(page, live_server, school, axe):
    page.goto(live_server + "/")
    assert page.url.endswith("/login?next=%2F")
    assert_accessible(axe, page)
    page.get_by_label("Email").fill("admin@riverside.test")
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + "/")
    assert page.get_by_role("heading", name="Organisations").is_visible()
    assert page.get_by_role("link", name="Riverside Primary").is_visible()
    assert_accessible(axe, page)
    page.get_by_role("link", name="Riverside Primary").click()
    assert page.get_by_role("heading", name="Riverside Primary").is_visible()
    assert_accessible(axe, page)


def _sign_in(page, live_server, password=f.PASSWORD):
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill("admin@riverside.test")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_signing_out_ends_a_copy_of_the_session_in_another_browser(browser, page, live_server, school):
    _sign_in(page, live_server)
    page.wait_for_url(live_server + "/")
    other = browser.new_context()
    other.add_cookies(page.context.cookies())
    copy = other.new_page()
    copy.goto(live_server + "/")
    assert copy.get_by_role("heading", name="Organisations").is_visible()
    page.get_by_role("button", name="Sign out admin@riverside.test").click()
    copy.goto(live_server + "/")
    assert copy.url.startswith(live_server + "/login")
    other.close()


def test_too_many_wrong_passwords_pause_signing_in_with_a_page_in_words(page, live_server, school, axe):
    for _ in range(5):
        _sign_in(page, live_server, password="not it")
        assert page.get_by_text("do not match an account").is_visible()
    _sign_in(page, live_server)
    assert page.get_by_role("heading", name="Too many sign-in attempts").is_visible()
    assert page.get_by_text("Try again in a minute").is_visible()
    assert_accessible(axe, page)
