"""The console's navigation, built from the pages that exist, grouped the way the help pages send people.

Each blueprint registers its own entries, so the menu grows with the console and never links to a
page that is not there. Organisation pages take the organisation id from the page being shown. An
entry shows to the people the page's own `@allowed` action lets in (store/policy.py; "view" when the
page has none), so the menu and the page cannot disagree.

Where an entry goes is `LAYOUT`'s business, by label: the help pages name paths such as "Settings >
Sign In App > Configuration > Profile Type Map" and "Settings > Sign In App Upload", so the school's
menu has a Settings menu with a "Sign In App › Configuration" section, and a person reading the help
finds each page where it says. A label the layout does not name is a link of its own at the end.
"""
from dataclasses import dataclass, field

from flask import current_app, request, url_for
from flask_login import current_user

from .access import can


@dataclass(frozen=True)
class NavEntry:
    label: str
    endpoint: str
    per_organisation: bool


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    active: bool


@dataclass
class Section:
    """Links under a heading inside a menu ("Sign In App › Configuration"); `label` None for no heading."""

    label: str | None
    links: list = field(default_factory=list)


@dataclass
class Menu:
    """A disclosure in the menu bar ("Settings") holding sections of links; `label` None for a plain link."""

    label: str | None
    sections: list = field(default_factory=list)

    @property
    def links(self):
        return [link for section in self.sections for link in section.links]

    @property
    def active(self):
        return any(link.active for link in self.links)


_ENTRIES = []

SETTINGS, PROFILES, ACTIVITY = "Settings", "Profiles", "Activity"
SIA_CONFIGURATION = "Sign In App › Configuration"

# (label, menu, section), in the order they show. The set-up help's paths: Settings > Sign In App >
# Configuration > Connection / Profile Type Map / Field Mapping / Import; Settings > Sign In App Upload
# (Push All). Where the help is silent, a page sits where a school admin would look for it: the
# people in Profiles, the school's own settings in Settings, what happened in Activity.
LAYOUT = (
    # The site menu (pages of no one organisation).
    ("Organisations", None, None),
    ("Trusts and organisations", None, None),
    ("Users", None, None),
    ("Audit log, every school", None, None),
    ("Operations", None, None),
    # The school menu, as a school walks through the set-up help and then its days.
    ("Overview", None, None),
    ("Getting started", None, None),
    ("Profiles", PROFILES, None),
    ("Duplicates", PROFILES, None),
    ("Exclusions", PROFILES, None),
    ("Diagnostics", PROFILES, None),
    ("Compliance", None, None),
    ("Students", None, None),
    ("Connection", SETTINGS, SIA_CONFIGURATION),
    ("Profile Type Map", SETTINGS, SIA_CONFIGURATION),
    ("Field Mapping", SETTINGS, SIA_CONFIGURATION),
    ("Import", SETTINGS, SIA_CONFIGURATION),
    ("Sign In App Upload", SETTINGS, None),
    ("Sign In App tokens", SETTINGS, None),
    ("Rating systems", SETTINGS, None),
    ("Organisation settings", SETTINGS, None),
    ("Support access", SETTINGS, None),
    ("Notifications", ACTIVITY, None),
    ("Audit log", ACTIVITY, None),
)
_PLACES = {label: (position, menu, section) for position, (label, menu, section) in enumerate(LAYOUT)}


def place(label):
    """(position, menu, section) of an entry: where LAYOUT puts it, else a link of its own at the end."""
    return _PLACES.get(label, (len(LAYOUT), None, None))


def register(label, endpoint, *, per_organisation=True):
    if all(entry.endpoint != endpoint for entry in _ENTRIES):
        _ENTRIES.append(NavEntry(label, endpoint, per_organisation))
        _ENTRIES.sort(key=lambda entry: place(entry.label)[0])


def action_of(endpoint):
    """The policy action a page's view is `@allowed` for: "view" for a page every signed-in user reads."""
    return getattr(current_app.view_functions[endpoint], "action", "view")


def current_organisation_id():
    return (request.view_args or {}).get("org_id")


def grouped(links):
    """[(label, Link)] in LAYOUT order → Menus: each plain link a Menu of its own, grouped links together."""
    menus = []
    for label, link in links:
        _, menu_label, section_label = place(label)
        if menu_label is None:
            menus.append(Menu(None, [Section(None, [link])]))
            continue
        menu = next((m for m in menus if m.label == menu_label), None)
        if menu is None:
            menu = Menu(menu_label)
            menus.append(menu)
        section = next((s for s in menu.sections if s.label == section_label), None)
        if section is None:
            section = Section(section_label)
            menu.sections.append(section)
        section.links.append(link)
    return menus


def entries():
    """(site menus, school menus) for the signed-in user on the current page, as Menus of Links.

    Site links (the organisations, users, the whole audit log) are always there; school links only on
    a page of one organisation, for that organisation."""
    if not current_user.is_authenticated:
        return [], []
    org_id = current_organisation_id()
    site, school = [], []
    for entry in _ENTRIES:
        if not can(action_of(entry.endpoint)):
            continue
        active = request.endpoint == entry.endpoint
        if entry.per_organisation:
            if org_id is None:
                continue
            school.append((entry.label, Link(entry.label, url_for(entry.endpoint, org_id=org_id), active)))
        else:
            site.append((entry.label, Link(entry.label, url_for(entry.endpoint), active)))
    return grouped(site), grouped(school)
