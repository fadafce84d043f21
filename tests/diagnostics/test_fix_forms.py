"""Every diagnostic fix that says "do X on the profile" links to a form that does X, at the field to change."""
import datetime
import re

import pytest

from store.models import Profile, now
from sync import diagnostics
from sync.linking import create_link
from tests import factories as f

from .helpers import TODAY, build_school

# What a fix asks to be done on a profile, in its own words.
SAYS_DO_ON_THE_PROFILE = re.compile(
    r"leaving date|profile type|date of birth|start date|email address|on the profile|create (it|the profile) again"
    r"|record the missing",
    re.IGNORECASE,
)
# The field of the form each intent leads to, which the page must have.
FORM_FIELD = {"edit_profile": None, "create_profile": "forename", "record_checks": "check_type"}


@pytest.fixture
def hill(db):
    school = build_school()
    f.user("admin@hill.test", "admin", [school.org])
    lin = f.profile(school.org, "Lin", "Leaver", email="lin@hill.test", leaving_date=TODAY - datetime.timedelta(days=1))
    create_link(lin, f.member(school.staff, "Lin Leaver", email="lin@hill.test"), "import")
    grace = f.profile(school.org, "Grace", "Unready", email="grace@hill.test")
    create_link(grace, f.member(school.staff, "Grace Unready", email="grace@hill.test"), "import")
    f.profile(school.org, "Olga", "Oldgone", email="olga@hill.test", status="deleted",
              deleted_at=now() - datetime.timedelta(days=120))
    return school


def profile_fixes(org, *queries):
    """Every fix of every cause found for `queries` that says to do something on a profile."""
    found = []
    for query in queries:
        for person in diagnostics.diagnose(org, query).people:
            for cause in person.causes:
                fix = cause.fix
                if fix and not fix.in_sign_in_app and SAYS_DO_ON_THE_PROFILE.search(f"{fix.label} {fix.text}"):
                    found.append((cause, fix))
    return found


def test_every_do_it_on_the_profile_fix_links_to_a_page_with_that_field(client, hill):
    fixes = profile_fixes(hill.org, "lin", "grace", "olga")
    assert {cause.code for cause, _ in fixes} >= {"leaver", "not_ready", "profile_deleted"}
    client.login("admin@hill.test")
    for cause, fix in fixes:
        assert fix.intent in FORM_FIELD, f"{cause.code}: “{fix.label}” names no form (intent {fix.intent})"
        page = client.get(f"/organisations/{hill.org.id}/diagnostics?q={cause.detail.split()[0]}").get_data(as_text=True)
        link = re.search(rf'<a href="([^"]+)">{re.escape(fix.label)}</a>', page)
        assert link, f"{cause.code}: the diagnostics page shows no link “{fix.label}”"
        href = link.group(1).replace("&amp;", "&")
        path, _, anchor = href.partition("#")
        form = client.get(path)
        assert form.status_code == 200, (href, form.status_code)
        field = anchor or FORM_FIELD[fix.intent]
        assert re.search(rf'<(input|select)[^>]* id="{field}" name="{field}"', form.get_data(as_text=True)), (href, field)


def test_the_leaver_fix_opens_the_edit_form_at_the_leaving_date_and_create_again_fills_the_names_in(client, hill):
    client.login("admin@hill.test")
    lin = Profile.get(Profile.surname == "Leaver")
    page = client.get(f"/organisations/{hill.org.id}/diagnostics?q=lin").get_data(as_text=True)
    assert f'<a href="/organisations/{hill.org.id}/profiles/{lin.id}/edit#leaving_date">Remove the leaving date' in page
    page = client.get(f"/organisations/{hill.org.id}/diagnostics?q=olga").get_data(as_text=True)
    href = re.search(r'<a href="([^"]+)">Create the profile again</a>', page).group(1).replace("&amp;", "&")
    form = client.get(href).get_data(as_text=True)
    assert 'id="forename" name="forename" value="Olga"' in form and 'id="email" name="email" value="olga@hill.test"' in form
    assert re.search(r'<option value="\d+" selected>Teaching Staff</option>', form)
