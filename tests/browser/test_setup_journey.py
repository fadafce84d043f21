"""A new trust and school from nothing to the first green shield, in Chromium, on an empty database.

Support and the school's admin each in their own browser, through the pages alone: the trust and the
school, the request, support access, the Primary User's confirmation, the connection and its test, the
group linked in Sign In App (the sandbox) and kept by Tether, the Profile Type Map refreshed, a rule, a rating system, the
first import, the duplicate merged, the safety check on, and a member signing in with the green shield.
The overview's set-up checklist ticks itself at each step; axe checks every page visited.
"""
import re

import pytest
from playwright.sync_api import expect

from sandbox.models import SandboxGroup, SandboxMember
from store.models import Link, Organisation, Profile
from tests import factories
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

SUPPORT = "support@tether.test"
ADMIN = "admin@oakfield.sch.uk"
TRUST = "Northgate Learning Trust"
SCHOOL = "Oakfield Academy"
DAWN = "Dawn Whitfield"


@pytest.fixture(autouse=True)
def confirm_every_dialog(page):
    page.on("dialog", lambda dialog: dialog.accept())


def sign_in(page, live_server, axe, email):
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Organisations", level=1)).to_be_visible()
    assert_accessible(axe, page)


def open_menu(page, axe, path, heading):
    """Follow a path of the school's menu as the help writes it, "Settings > Import"."""
    school = page.get_by_role("navigation", name="School")
    *menus, label = path.split(" > ")
    for menu in menus:
        school.locator("summary", has_text=menu).click()
    school.get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    assert_accessible(axe, page)


def expect_message(page, text):
    expect(page.get_by_role("region", name="Messages")).to_contain_text(text)


def add_rule(page, axe, profile_type, rule):
    page.get_by_role("button", name="Add a rule").click()
    page.get_by_label("Profile type").select_option(label=profile_type)
    page.get_by_label("Rule", exact=True).fill(rule)
    expect(page.locator("#rule-feedback")).to_contain_text(f"Valid: {rule}")
    expect(page.get_by_text("No members in the mirror yet: run an import from Sign In App")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_role("button", name="Save rule").click()
    expect_message(page, "Rule saved.")


def expect_checklist(page, axe, live_server, org_id, done):
    """The overview's checklist shows exactly the steps `done` (keys) done, and the others not."""
    page.goto(f"{live_server}/organisations/{org_id}")
    expect(page.get_by_role("heading", name="Set-up checklist")).to_be_visible()
    for key in ("request", "support_access", "connection", "groups", "profile_type_map", "first_sync",
                "duplicates", "safety_check"):
        expect(page.locator(f"#step-{key} .step-state")).to_have_text("Done" if key in done else "To do")
    expect(page.get_by_text(f"{len(done)} of 8 steps done")).to_be_visible()
    assert_accessible(axe, page)


def test_a_new_trust_and_school_go_from_nothing_to_the_first_green_shield(page, browser, live_server, axe, app):
    with app.app_context():
        factories.user(SUPPORT, "support")
    support = page
    sign_in(support, live_server, axe, SUPPORT)
    expect(support.get_by_text(SCHOOL)).to_have_count(0)

    # Support creates the trust and the school, which starts "setting up".
    support.get_by_role("navigation", name="Main").get_by_role("link", name="Trusts and organisations").click()
    support.get_by_label("Name", exact=True).fill(TRUST)
    support.get_by_role("button", name="Create trust").click()
    expect(support.get_by_role("heading", name=TRUST, level=1)).to_be_visible()
    support.get_by_label("Name", exact=True).fill(SCHOOL)
    support.get_by_label("URN").fill("137421")
    support.get_by_role("button", name="Add organisation").click()
    expect(support.get_by_role("row", name=SCHOOL)).to_contain_text("setting up")
    assert_accessible(axe, support)

    with app.app_context():
        school = Organisation.get(Organisation.name == SCHOOL)
        factories.user(ADMIN, "admin", orgs=[school])
        # The school's own record of Dawn, entered in Central Record before the integration.
        factories.profile(school, "Dawn", "Whitfield", email="d.whitfield@oakfield.sch.uk", role="Teacher of English")

    # The trust's Sign In App account, with its API key and secret shown once, and the staff who sign in
    # already in its Staff group (the sandbox has no page to add members: Sign In App's iPads do that).
    support.goto(f"{live_server}/sandbox/")
    support.get_by_role("link", name="New Sign In App account").click()
    expect(support.get_by_role("heading", name="New Sign In App account", level=1)).to_be_visible()
    assert_accessible(axe, support)
    support.get_by_label("Account name").fill(TRUST)
    support.get_by_role("button", name="Create account").click()
    expect(support.get_by_role("heading", name=f"{TRUST}: account created")).to_be_visible()
    assert_accessible(axe, support)
    api_key = support.get_by_label("API key").input_value()
    api_secret = support.get_by_label("Secret").input_value()
    with app.app_context():
        staff = SandboxGroup.get(SandboxGroup.name == "Staff")
        for name, email, role in [(DAWN, "d.whitfield@oakfield.sch.uk", "Teacher of English"),
                                  ("Marcus Bell", "m.bell@oakfield.sch.uk", "Teacher of Maths"),
                                  ("Priya Nair", "p.nair@sparkle-cleaning.test", "Contractor")]:
            SandboxMember.create(group=staff, personal_fields={"name": name, "email": email, "role": role})

    # The admin, in a browser of their own, requests the integration and opens support access.
    admin = browser.new_page()
    admin.on("dialog", lambda dialog: dialog.accept())
    sign_in(admin, live_server, axe, ADMIN)
    admin.get_by_role("link", name=SCHOOL).click()
    expect_checklist(admin, axe, live_server, school.id, done=())
    open_menu(admin, axe, "Getting started", "Get Started with your Integration")
    admin.get_by_role("button", name="Request the integration").click()
    expect_message(admin, "Integration requested: support will be in touch.")
    open_menu(admin, axe, "Settings > Support access", "Support access")
    admin.get_by_role("button", name="Open support access").click()
    expect_message(admin, "Support access is open until")
    expect_checklist(admin, axe, live_server, school.id, done=("request", "support_access"))

    # Support records the Primary User's confirmation, creates the connection and tests it.
    support.goto(f"{live_server}/organisations/{school.id}")
    open_menu(support, axe, "Getting started", "Get Started with your Integration")
    support.get_by_label("Primary User's name").fill("Helen Carter")
    support.get_by_role("button", name="Record the confirmation").click()
    expect_message(support, "The Primary User's confirmation is recorded.")
    open_menu(support, axe, "Settings > Connection", "Connection")
    support.get_by_label("the Sign In App sandbox in this Tether").check()
    support.get_by_label("API key").fill(api_key)
    support.get_by_label("Secret").fill(api_secret)
    support.get_by_role("button", name="Create connection").click()
    expect(support.get_by_role("cell", name="secret saved")).to_be_visible()
    support.get_by_role("button", name="Test connection").click()
    expect(support.locator("#connection-test")).to_contain_text("Working")
    assert_accessible(axe, support)

    # Support issues the safety-check token, then in Sign In App (the sandbox) pastes it, links the Staff
    # group to the school with "Reject", and turns on the Central Record safety check.
    open_menu(support, axe, "Settings > Sign In App tokens", "Sign In App tokens")
    support.get_by_label("Name").fill("Reception iPad")
    support.get_by_role("button", name="Create token").click()
    token = support.get_by_role("textbox", name="Token", exact=True).input_value()
    assert_accessible(axe, support)
    support.goto(f"{live_server}/sandbox/")
    expect(support.get_by_role("heading", name="Sign In App sandbox", level=1)).to_be_visible()
    assert_accessible(axe, support)
    support.get_by_text("Central Record connection").click()
    support.get_by_label("Safety-check token").fill(token)
    support.get_by_role("region", name=TRUST).get_by_role("button", name="Save").last.click()
    expect_message(support, f"Central Record settings saved for {TRUST}.")
    support.get_by_role("switch", name=re.compile("Include Sign In Central Record's criteria")).check()
    support.get_by_role("region", name=TRUST).get_by_role("button", name="Save").first.click()
    expect_message(support, "Sign In Central Record's criteria are included in the safety check")
    support.get_by_role("link", name="Staff").click()
    support.get_by_label("Central Record organisation").select_option(label=SCHOOL)
    support.get_by_label("Safety check").select_option(label="Reject sign in when entry criteria not met")
    support.get_by_role("button", name="Save settings").click()
    expect_message(support, "Settings saved for Staff.")
    assert_accessible(axe, support)
    # The overview reads the groups from Sign In App as it loads: the link just made shows at once. The
    # safety check waits for a rating system to check.
    expect_checklist(admin, axe, live_server, school.id, done=("request", "support_access", "connection", "groups"))
    # Tether keeps the link it took from Sign In App: support sees it under Linked groups on the connection page.
    in_sign_in_app = support.url
    support.goto(f"{live_server}/organisations/{school.id}")
    open_menu(support, axe, "Settings > Connection", "Connection")
    expect(support.get_by_role("row", name=re.compile(r"Staff .*linked by Sign In App"))).to_be_visible()
    expect(support.get_by_role("checkbox", name=f"Link Staff to {SCHOOL}")).to_be_checked()
    support.goto(in_sign_in_app)

    # The admin refreshes the Profile Type Map and sees the group; Staff pull across to Teaching Staff by
    # the rule a new school starts with, and contractors get a rule of their own, moved above it.
    open_menu(admin, axe, "Settings > Profile Type Map", f"Profile Type Map · {SCHOOL}")
    expect(admin.get_by_role("table", name=f"Repeat groups linked to {SCHOOL} in Sign In App")).to_contain_text("Staff")
    add_rule(admin, axe, "Contractors", "role ~ contractor")
    admin.get_by_role("button", name="Move up rule 2").click()
    expect(admin.get_by_role("row", name=re.compile(r"^1 Contractors role ~ contractor yes"))).to_be_visible()
    expect_checklist(admin, axe, live_server, school.id,
                     done=("request", "support_access", "connection", "groups", "profile_type_map"))

    # A rating system for the school (none yet: nothing is checked at sign-in without one).
    open_menu(admin, axe, "Settings > Rating systems", "Rating systems")
    admin.get_by_label("Name", exact=True).fill("Safer recruitment")
    admin.get_by_role("button", name="Create rating system").click()
    expect_message(admin, "Rating system Safer recruitment created")
    assert_accessible(axe, admin)

    # The first import, then the duplicate it made of Dawn merged into the school's own profile.
    open_menu(admin, axe, "Settings > Import", "Sync runs")
    admin.get_by_role("button", name="Import", exact=True).click()
    expect(admin.get_by_role("heading", name=re.compile(r"Sign In App import run #\d+"))).to_be_visible()
    expect(admin.locator("#run-progress .status")).to_have_text("succeeded", timeout=20_000)
    assert_accessible(axe, admin)
    expect_checklist(admin, axe, live_server, school.id,
                     done=("request", "support_access", "connection", "groups", "profile_type_map", "first_sync",
                           "safety_check"))
    expect(admin.locator("#step-duplicates")).to_contain_text("1 duplicate pair left to merge.")
    open_menu(admin, axe, "Profiles > Duplicates", "Duplicate profiles")
    admin.get_by_role("link", name="Compare and merge…").click()
    expect(admin.get_by_role("heading", name=f"Merge {DAWN} into {DAWN}")).to_be_visible()
    assert_accessible(axe, admin)
    admin.get_by_role("button", name=f"Merge into {DAWN}").click()
    expect_message(admin, "The merge can be undone for 30 days.")
    expect_checklist(admin, axe, live_server, school.id,
                     done=("request", "support_access", "connection", "groups", "profile_type_map", "first_sync",
                           "duplicates", "safety_check"))

    # Dawn signs in on the iPad: Sign In App asks Central Record's safety check, and she gets the shield.
    support.get_by_role("button", name=f"Sign in {DAWN}").click()
    result = support.get_by_role("status").filter(has=support.get_by_role("heading", name=f"Sign in: {DAWN}"))
    expect(result).to_contain_text("Signed in.")
    expect(result).to_contain_text("Green shield")
    expect(result).to_contain_text(f"{DAWN} meets the entry criteria: Safer recruitment.")
    assert_accessible(axe, support)
    with app.app_context():
        kept = Link.active().join(Profile).where(Profile.email == "d.whitfield@oakfield.sch.uk").get().profile
        assert kept.status == "active" and Organisation.get_by_id(school.id).state == "active"
