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
