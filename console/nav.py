"""The console's navigation, built from the pages that exist.

Each blueprint registers its own entries, so the menu grows with the console and never links to a
page that is not there. Organisation pages take the organisation id from the page being shown. An
entry shows to the people the page's own `@allowed` action lets in (store/policy.py; "view" when the
page has none), so the menu and the page cannot disagree.
"""
from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_login import current_user

from .access import can


@dataclass(frozen=True)
class NavEntry:
    label: str
    endpoint: str
    per_organisation: bool


_ENTRIES = []

# The menu's order, as a support engineer works through a ticket: the school, its people, the
# integration's settings, then the logs. Entries not named here follow, in registration order.
ORDER = (
    "Organisations",
    "Overview",
    "Profiles",
    "Duplicates",
    "Exclusions",
    "Diagnostics",
    "Sync runs",
    "Sign In App upload",
    "Mapping rules",
    "Field mapping",
    "Compliance",
    "Rating systems",
    "Sign In App tokens",
    "Students",
    "Notifications",
    "Audit log",
    "Users",
    "Audit log, every school",
    "Operations",
)


def _position(entry):
    return ORDER.index(entry.label) if entry.label in ORDER else len(ORDER)


def register(label, endpoint, *, per_organisation=True):
    if all(entry.endpoint != endpoint for entry in _ENTRIES):
        _ENTRIES.append(NavEntry(label, endpoint, per_organisation))
        _ENTRIES.sort(key=_position)


def action_of(endpoint):
    """The policy action a page's view is `@allowed` for: "view" for a page every signed-in user reads."""
    return getattr(current_app.view_functions[endpoint], "action", "view")


def current_organisation_id():
    return (request.view_args or {}).get("org_id")


def entries():
    """(site links, school links) for the signed-in user on the current page: (label, url, active) each.

    Site links (the organisations, users, the whole audit log) are always there; school links only on
    a page of one organisation, for that organisation."""
    if not current_user.is_authenticated:
        return [], []
    org_id = current_organisation_id()
    site, school = [], []
    for entry in _ENTRIES:
        if not can(action_of(entry.endpoint)):
            continue
        if entry.per_organisation:
            if org_id is None:
                continue
            school.append((entry.label, url_for(entry.endpoint, org_id=org_id), request.endpoint == entry.endpoint))
        else:
            site.append((entry.label, url_for(entry.endpoint), request.endpoint == entry.endpoint))
    return site, school
