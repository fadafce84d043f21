"""The console's menus follow the help pages' paths (Settings > Sign In App > Configuration > Profile Type Map,
Settings > Sign In App Upload), and show a person only the pages their role opens."""
import re

from console import nav
from tests import factories


def menus_of(page):
    """{menu: [(section, [labels])]} and the plain links of the school menu, read from the page's HTML."""
    school = page[page.index('aria-label="School"'):page.index("</header>")]
    menus = {}
    for name, body in re.findall(r"<summary[^>]*>([^<]+)</summary>\s*<ul>(.*?)</ul>\s*</details>", school, re.S):
        sections = [("", re.findall(r"<li><a [^>]*>([^<]+)</a></li>", re.sub(r'<li class="menu-section">.*?</ul>', "", body, flags=re.S)))]
        for heading, links in re.findall(r'<li class="menu-section"><span[^>]*>([^<]+)</span>\s*<ul[^>]*>(.*?)</ul>', body, re.S):
            sections.insert(0, (heading, re.findall(r"<a [^>]*>([^<]+)</a>", links)))
        menus[name] = sections
    return menus


def test_the_school_menu_groups_the_pages_where_the_help_says_they_are(client, app):
    org = factories.organisation("Oakfield Academy")
    factories.user("head@oakfield.test", "admin", [org])
    client.login("head@oakfield.test")
    menus = menus_of(client.get(f"/organisations/{org.id}").get_data(as_text=True))
    assert menus["Settings"] == [
        ("Sign In App › Configuration", ["Connection", "Profile Type Map", "Field Mapping", "Import"]),
        ("", ["Sign In App Upload", "Sign In App tokens", "Rating systems", "Organisation settings", "Support access"]),
    ]
    assert menus["Profiles"] == [("", ["Profiles", "Duplicates", "Exclusions", "Diagnostics"])]
    assert menus["Activity"] == [("", ["Notifications", "Audit log"])]


def test_a_viewer_sees_only_the_menu_entries_their_role_opens(client, app):
    org = factories.organisation("Oakfield Academy")
    factories.user("office@oakfield.test", "viewer", [org])
    client.login("office@oakfield.test")
    menus = menus_of(client.get(f"/organisations/{org.id}").get_data(as_text=True))
    assert menus["Settings"] == [
        ("Sign In App › Configuration", ["Profile Type Map", "Field Mapping", "Import"]),
        ("", ["Sign In App Upload", "Support access"]),  # a viewer reads who has support access
    ]


def test_pages_registered_by_their_labels_land_in_their_menus_and_an_unknown_one_at_the_end():
    labels = ["Overview", "Support access", "Getting started", "Connection", "Profile Type Map", "Organisation settings",
              "Something new", "Import"]
    links = sorted(((label, nav.Link(label, f"/{label}", False)) for label in labels), key=lambda item: nav.place(item[0])[0])
    menus = nav.grouped(links)
    assert [menu.label for menu in menus] == [None, None, "Settings", None]
    assert [link.label for link in menus[1].links] == ["Getting started"]
    settings = menus[2]
    assert [(s.label, [link.label for link in s.links]) for s in settings.sections] == [
        ("Sign In App › Configuration", ["Connection", "Profile Type Map", "Import"]),
        (None, ["Organisation settings", "Support access"]),
    ]
    assert menus[3].links[0].label == "Something new"
    assert nav.place("Trusts and organisations")[1:] == (None, None)
