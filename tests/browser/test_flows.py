"""Real console flows in Chromium, on the demo trust after the first Sign In App import of its first school.

Support and admins do what their tickets ask, through the pages alone; axe checks every page visited.
"""
import re

import pytest
from playwright.sync_api import expect

from demo import trust as demo
from sandbox.models import SandboxGroup, SandboxMember
from store.models import Exclusion, Link, Organisation, Profile
from sync import duplicates, links, sia_import
from tests import factories
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

PASSWORD = "password"
SUPPORT = demo.SUPPORT_EMAIL
ADMIN = demo.SCHOOLS[0]["admin"]
SETUP = "browser test setup"


@pytest.fixture
def school(app):
    """The demo trust seeded, and its first school's first import done: the world support meets on day one."""
    with app.app_context():
        demo.seed(password=PASSWORD)
        org = Organisation.get(Organisation.name == demo.SCHOOLS[0]["name"])
        result = sia_import.import_organisation(org, actor=SETUP)
        assert result.run.status == "succeeded"
    return org


@pytest.fixture(autouse=True)
def confirm_every_dialog(page):
    """The person clicks OK on every "are you sure?" the console asks."""
    page.on("dialog", lambda dialog: dialog.accept())


def linked_profile_without_namesake(org):
    """A profile the import created and linked, whose name no other profile of the school shares."""
    for link in Link.active().where(Link.organisation == org).order_by(Link.id):
        profile = link.profile
        namesakes = Profile.select().where(
            (Profile.organisation == org)
            & (Profile.forename == profile.forename)
            & (Profile.surname == profile.surname)
        )
        if namesakes.count() == 1:
            return profile, link.sia_member
    raise AssertionError("the demo has no linked profile with a name of its own")


def sign_in(page, live_server, axe, email):
    page.goto(live_server + "/login")
    assert_accessible(axe, page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Organisations")).to_be_visible()
    assert_accessible(axe, page)


def open_school(page, axe, org):
    page.get_by_role("link", name=org.name).click()
    expect(page.get_by_role("heading", name=org.name, level=1)).to_be_visible()
    assert_accessible(axe, page)


def open_menu(page, axe, path, heading):
    """Follow a path of the school's menu as the help writes it, "Settings > Import": open each menu, then
    follow the link (the site menu holds only organisations, users, audit)."""
    school = page.get_by_role("navigation", name="School")
    *menus, label = path.split(" > ")
    for menu in menus:
        school.locator("summary", has_text=menu).click()
    assert_accessible(axe, page)  # with the menu open
    school.get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    assert_accessible(axe, page)


def expect_message(page, text):
    expect(page.get_by_role("region", name="Messages")).to_contain_text(text)


def expect_run_finished(page, counts):
    """The run page's live progress reaches "succeeded", showing each of `counts` (name → value)."""
    progress = page.locator("#run-progress")
    expect(progress.locator(".status")).to_have_text("succeeded", timeout=20_000)
    for name, value in counts.items():
        stat = progress.get_by_role("article").filter(has=page.get_by_role("heading", name=name, exact=True))
        expect(stat.locator(".stat")).to_have_text(str(value))


def test_support_restores_an_exclusion_and_the_next_import_brings_the_member_back(page, live_server, axe, school):
    profile, member = linked_profile_without_namesake(school)
    links.delete_profile(profile, SETUP, "deleted by mistake")
    sign_in(page, live_server, axe, SUPPORT)
    open_school(page, axe, school)
    open_menu(page, axe, "Profiles > Exclusions", "Exclusion list")

    page.get_by_role("button", name=f"Restore {member.display_name}").click()
    expect_message(page, f"{member.display_name} is no longer excluded")
    expect(page.get_by_role("cell", name="No member is excluded.")).to_be_visible()
    assert_accessible(axe, page)

    open_menu(page, axe, "Settings > Import", "Sync runs")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(r"Sign In App import run #\d+"))).to_be_visible()
    expect_run_finished(page, {"Created": 1, "Excluded": 0})
    assert_accessible(axe, page)

    open_menu(page, axe, "Profiles > Profiles", "Profiles")
    page.get_by_label("Search").fill(f"{profile.forename} {profile.surname}")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=f"{profile.surname}, {profile.forename}"))
    expect(row.get_by_role("cell", name="linked", exact=True)).to_be_visible()
    assert_accessible(axe, page)
    assert Exclusion.select().where(Exclusion.restored_at.is_null()).count() == 0


def test_support_relinks_a_decoupled_profile_to_its_member(page, live_server, axe, school):
    profile, member = linked_profile_without_namesake(school)
    links.decouple(profile, SETUP, "decoupled by mistake")
    sign_in(page, live_server, axe, SUPPORT)
    open_school(page, axe, school)
    open_menu(page, axe, "Profiles > Profiles", "Profiles")

    page.get_by_label("Search").fill(profile.surname)
    page.get_by_role("link", name=f"{profile.surname}, {profile.forename}").click()
    expect(page.get_by_role("heading", name=profile.name, level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Actions").get_by_text("Not linked to Sign In App")).to_be_visible()
    assert_accessible(axe, page)

    page.get_by_label("Find a member").fill(profile.surname)
    member_choice = page.get_by_role("combobox", name="Member")
    offered = re.compile(rf"^{member.display_name} \({member.sia_id},.* previously linked$")
    expect(member_choice.locator("option")).to_have_text([offered])
    assert_accessible(axe, page)
    member_choice.select_option(str(member.id))
    page.get_by_role("button", name="Re-link").click()

    expect_message(page, f"{profile.label} is linked to Sign In App member {member.display_name}")
    actions = page.get_by_role("region", name="Actions")
    expect(actions.get_by_text(f"Linked to Sign In App member {member.display_name}")).to_be_visible()
    assert_accessible(axe, page)
    assert Link.active_for_profile(profile).sia_member_id == member.id


def test_admin_fixes_a_typo_in_a_rule_sees_the_preview_and_saves_it(page, live_server, axe, school):
    sign_in(page, live_server, axe, ADMIN)
    open_school(page, axe, school)
    open_menu(page, axe, "Settings > Profile Type Map", "Profile Type Map · " + school.name)
    page.get_by_role("button", name="Add a rule").click()
    expect(page.get_by_role("heading", name="Add a rule", level=1)).to_be_visible()
    expect(page.locator("#rule-preview")).to_contain_text("Choose the profile type this rule maps to.")
    assert_accessible(axe, page)

    page.get_by_label("Profile type").select_option(label="Contractors")
    page.get_by_label("Rule", exact=True).fill("group = Contractors")
    feedback = page.locator("#rule-feedback")
    expect(feedback.get_by_role("alert")).to_contain_text("unexpected '='; use '==' to compare (line 1, column 7)")
    expect(feedback.locator("pre.caret")).to_have_text("group = Contractors\n      ^")
    assert_accessible(axe, page)

    page.get_by_label("Rule", exact=True).fill("group == Contractors")
    expect(feedback).to_contain_text("Valid: group == Contractors")
    preview = page.locator("#rule-preview")
    expect(preview.get_by_role("row", name="Contractors 12")).to_be_visible()
    expect(preview.get_by_role("heading", name="Members this rule takes (12)")).to_be_visible()
    expect(preview.get_by_role("heading", name="Members no rule takes (0)")).to_be_visible()
    assert_accessible(axe, page)

    page.get_by_role("button", name="Save rule").click()
    expect_message(page, "Rule saved.")
    expect(page.get_by_role("row", name=re.compile(r"^2 Contractors group == Contractors yes"))).to_be_visible()
    assert_accessible(axe, page)


def test_admin_merges_a_suggested_duplicate_pair_and_undoes_the_merge(page, live_server, axe, school):
    suggestion = duplicates.suggestions(school)[0]
    kept, removed = suggestion.kept, suggestion.removed
    pair = f"Merge {removed.label} into {kept.label}"
    sign_in(page, live_server, axe, ADMIN)
    open_school(page, axe, school)
    open_menu(page, axe, "Profiles > Duplicates", "Duplicate profiles")

    page.get_by_role("row").filter(has=page.get_by_role("checkbox", name=pair)).get_by_role(
        "link", name="Compare and merge…"
    ).click()
    expect(page.get_by_role("heading", name=f"Merge {removed.name} into {kept.name}")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_role("button", name=f"Merge into {kept.name}").click()

    expect_message(page, f"Merged {removed.label} into {kept.label}. The merge can be undone for 30 days.")
    actions = page.get_by_role("region", name="Actions")
    expect(actions.get_by_text(f"Linked to Sign In App member {removed.name}")).to_be_visible()
    assert_accessible(axe, page)
    actions.get_by_role("button", name=re.compile(f"^Undo the merge of {removed.name} into {kept.name}")).click()

    expect_message(page, f"The merge is undone: {removed.label} and {kept.label} are separate again.")
    expect(actions.get_by_text("Not linked to Sign In App")).to_be_visible()
    assert_accessible(axe, page)
    open_menu(page, axe, "Profiles > Duplicates", "Duplicate profiles")
    expect(page.get_by_role("checkbox", name=pair)).to_be_visible()
    assert Profile.get_by_id(removed.id).status == "active"


def test_admin_pushes_teaching_staff_to_the_staff_group_and_watches_the_run(page, live_server, axe, school):
    duplicates.bulk_merge([(s.kept, s.removed) for s in duplicates.suggestions(school)], SETUP)
    new_teachers = [
        factories.profile(school, "Imogen", "Ashworth", email="i.ashworth@oakfield.sch.uk", role="Teacher of Maths"),
        factories.profile(school, "Tobias", "Okonjo", email="t.okonjo@oakfield.sch.uk", role="Teacher of Science"),
    ]
    sign_in(page, live_server, axe, ADMIN)
    open_school(page, axe, school)
    open_menu(page, axe, "Settings > Sign In App Upload", "Sign In App Upload")

    page.get_by_role("checkbox", name="Teaching Staff").check()
    page.get_by_label("Sign In App group").select_option(label="Staff")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("table", name="Unintegrated profiles of the types Teaching Staff")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_role("button", name="Push All", exact=True).click()

    expect(page.get_by_role("heading", name=re.compile(r"Sign In App push run #\d+"))).to_be_visible()
    expect_run_finished(page, {"Created": 2, "Failed": 0})
    assert_accessible(axe, page)
    pushed = {m.personal_fields["name"] for m in SandboxMember.select()}
    assert {teacher.name for teacher in new_teachers} <= pushed
    assert all(Link.active_for_profile(teacher) for teacher in new_teachers)


def test_admin_previews_the_push_and_links_a_look_alike_to_the_existing_member_instead_of_a_second_one(
        page, live_server, axe, school):
    duplicates.bulk_merge([(s.kept, s.removed) for s in duplicates.suggestions(school) if s.default.offered], SETUP)
    staff = SandboxGroup.get((SandboxGroup.name == "Staff") & (SandboxGroup.organisation_id == school.id))
    existing = SandboxMember.create(group=staff, personal_fields={"name": "Nadia Rahman", "email": "n.rahman@oakfield.sch.uk"})
    nadia = factories.profile(school, "Nadia", "Rahman", email="N.Rahman@oakfield.sch.uk", role="Teacher of Art")
    sign_in(page, live_server, axe, ADMIN)
    open_school(page, axe, school)
    open_menu(page, axe, "Settings > Sign In App Upload", "Sign In App Upload")
    page.get_by_role("checkbox", name="Teaching Staff").check()
    page.get_by_label("Sign In App group").select_option(label="Staff")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("button", name="Preview", exact=True).click()

    held_back = page.get_by_role("table", name=re.compile("Profiles held back"))
    expect(held_back).to_contain_text("Nadia Rahman", timeout=20_000)
    expect(page.locator("#run-progress .status")).to_have_text("needs attention")
    assert_accessible(axe, page)
    held_back.get_by_role("button", name="Link to the existing member").click()
    expect_message(page, "is linked to the existing Sign In App member Nadia Rahman")
    expect(page.get_by_role("table", name=re.compile("Profiles held back"))).to_contain_text("linked to member")
    assert_accessible(axe, page)
    assert Link.active_for_profile(nadia).sia_member.sia_id == existing.id
    assert [m.id for m in SandboxMember.select() if m.personal_fields.get("name") == "Nadia Rahman"] == [existing.id]


def test_diagnostics_says_an_excluded_member_is_on_the_exclusion_list_and_restores_it(page, live_server, axe, school):
    profile, member = linked_profile_without_namesake(school)
    links.delete_profile(profile, SETUP, "deleted by mistake")
    sign_in(page, live_server, axe, SUPPORT)
    open_school(page, axe, school)
    open_menu(page, axe, "Profiles > Diagnostics", "Why isn't this person syncing?")

    page.get_by_label("Name or email").fill(member.display_name)
    person = page.get_by_role("article", name=member.display_name)
    excluded = person.get_by_role("listitem").filter(has=page.get_by_text("On the exclusion list", exact=True))
    expect(excluded).to_contain_text(f"(Sign In App member {member.sia_id}) is on the exclusion list")
    expect(person.get_by_text("The profile is deleted", exact=True)).to_be_visible()
    assert_accessible(axe, page)

    excluded.get_by_role("button", name="Restore the exclusion").click()
    expect_message(page, f"{member.display_name} is no longer excluded")
    expect(page.get_by_role("heading", name="Exclusion list")).to_be_visible()
    assert_accessible(axe, page)


def test_a_keyboard_user_opens_the_settings_menu_follows_a_link_and_escape_closes_a_menu(page, live_server, axe, school):
    sign_in(page, live_server, axe, ADMIN)
    open_school(page, axe, school)
    expect(page.locator("#step-first_sync")).to_contain_text("Done")  # the fixture's first import ticked it
    school_menu = page.get_by_role("navigation", name="School")
    settings = school_menu.locator("summary", has_text="Settings")
    settings.focus()
    page.keyboard.press("Enter")
    profile_type_map = school_menu.get_by_role("link", name="Profile Type Map")
    expect(profile_type_map).to_be_visible()
    page.keyboard.press("Escape")
    expect(profile_type_map).to_be_hidden()
    expect(settings).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the Configuration section's first page: Connection
    expect(school_menu.get_by_role("link", name="Connection")).to_be_focused()
    page.keyboard.press("Tab")
    expect(profile_type_map).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Profile Type Map · " + school.name, level=1)).to_be_visible()
    assert_accessible(axe, page)
