"""Support sets up a new school in Chromium: the trust, the school, its Sign In App connection, a test.

axe checks every page visited.
"""
import datetime

import pytest
from playwright.sync_api import expect

from store.models import IntegrationRequest, Organisation, SupportGrant, now
from tests import factories
from tests.browser.conftest import assert_accessible
from tests.sandbox import helpers as sandbox

pytestmark = pytest.mark.browser


def test_support_creates_a_trust_a_school_and_its_connection_and_tests_it(page, live_server, axe, app):
    with app.app_context():
        factories.user("support@tether.test", "support")
        account = sandbox.account(name="Northgate SIA", key="northgate-key", secret="northgate-secret")
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill("support@tether.test")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Trusts and organisations").click()
    expect(page.get_by_role("heading", name="Trusts and organisations", level=1)).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_label("Name", exact=True).fill("Northgate Learning Trust")
    page.get_by_role("button", name="Create trust").click()
    expect(page.get_by_role("heading", name="Northgate Learning Trust", level=1)).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Oakfield Academy")
    page.get_by_label("URN").fill("1374")
    page.get_by_role("button", name="Add organisation").click()
    expect(page.get_by_text("6 digits (e.g. 137421)")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_label("URN").fill("137421")
    page.get_by_role("button", name="Add organisation").click()
    expect(page.get_by_role("row", name="Oakfield Academy")).to_contain_text("setting up")
    assert_accessible(axe, page)

    with app.app_context():
        school = Organisation.get(Organisation.name == "Oakfield Academy")
        sandbox.group(account, name="Staff", organisation_id=school.id)
        IntegrationRequest.create(organisation=school, requested_by="admin@oakfield.test", primary_user="Dawn Whitfield",
                                  confirmed_at=now(), confirmation_recorded_by="support@tether.test")
        SupportGrant.create(organisation=school, opened_by="admin@oakfield.test", until=now() + datetime.timedelta(days=14))
    page.goto(f"{live_server}/organisations/{school.id}/settings/sign-in-app/connection")
    expect(page.get_by_role("heading", name="Create the connection")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_label("the Sign In App sandbox in this Tether").check()
    page.get_by_label("API key").fill("northgate-key")
    page.get_by_label("Secret").fill("northgate-secret")
    page.get_by_role("button", name="Create connection").click()
    expect(page.get_by_role("cell", name="secret saved")).to_be_visible()
    assert_accessible(axe, page)

    page.get_by_role("button", name="Test connection").click()
    result = page.locator("#connection-test")
    expect(result).to_contain_text("Working")
    expect(result).to_contain_text("1 Repeat group linked to Oakfield Academy: Staff.")
    assert_accessible(axe, page)
