"""Creating and editing a profile (DESIGN §12 item 6), and the troubleshooting help's "Leavers and Returners":
a leaving date severs the link from that day; removing it makes the person active, never re-linked, and
offers the returner to support."""
import datetime
import re
from types import SimpleNamespace

import pytest

from store.models import AuditEvent, Link, Profile, SupportGrant, now
from sync import leavers
from sync.linking import create_link
from tests import factories as f

TODAY = datetime.date.today()


@pytest.fixture
def hill(db):
    org = f.organisation("Hill School")
    staff = f.group(f.connection(org), org, "Staff")
    ada = f.profile(org, "Ada", "Lovelace", email="ada@hill.test", source="sia", start_date=datetime.date(2020, 9, 1))
    member = f.member(staff, "Ada Lovelace", email="ada@hill.test")
    create_link(ada, member, "import")
    f.user("admin@hill.test", "admin", [org])
    f.user("clerk@hill.test", "admin", [org])
    f.user("viewer@hill.test", "viewer", [org])
    f.user("support@tether.test", "support")
    # Support acts on a school inside the access the school opened (DESIGN §12 item 2).
    SupportGrant.create(organisation=org, opened_by="admin@hill.test", until=now() + datetime.timedelta(days=14))
    return SimpleNamespace(org=org, staff=staff, ada=ada, member=member, teaching=f.profile_type(org),
                           support_staff=f.profile_type(org, "Support Staff"))


def base(school):
    return f"/organisations/{school.org.id}/profiles"


def form_of(profile, **changes):
    values = {
        "forename": profile.forename, "surname": profile.surname, "email": profile.email or "",
        "mobile": profile.mobile or "", "role": profile.role or "", "profile_type": str(profile.profile_type_id),
        "dob": profile.dob.isoformat() if profile.dob else "",
        "start_date": profile.start_date.isoformat() if profile.start_date else "",
        "leaving_date": profile.leaving_date.isoformat() if profile.leaving_date else "",
        "version": str(profile.version),
    }
    return {**values, **changes}


def text(response):
    return response.get_data(as_text=True)


def fresh(profile):
    return Profile.get_by_id(profile.id)


def test_an_admin_creates_a_profile_that_is_not_linked_and_audited(client, hill):
    client.login("admin@hill.test")
    assert 'href="%s/new"' % base(hill) in text(client.get(base(hill)))
    response = client.post(base(hill) + "/new", data={
        "forename": " Grace ", "surname": "Hopper", "email": "grace@hill.test", "profile_type": hill.support_staff.id,
        "dob": "1906-12-09", "start_date": "01/09/2024", "leaving_date": "",
    })
    assert response.status_code == 303
    grace = Profile.get(Profile.surname == "Hopper")
    assert (grace.forename, grace.profile_type_id, grace.source, grace.start_date) == (
        "Grace", hill.support_staff.id, "manual", datetime.date(2024, 9, 1))
    assert Link.active_for_profile(grace) is None
    event = AuditEvent.get(AuditEvent.action == "profile.create")
    assert (event.actor, event.subject, event.after["email"]) == ("admin@hill.test", f"profile:{grace.id}", "grace@hill.test")
    assert "Not linked to Sign In App" in text(client.get(response.headers["Location"]))


def test_the_form_refuses_each_bad_field_with_its_own_message_and_keeps_the_entries(client, hill):
    client.login("admin@hill.test")
    response = client.post(base(hill) + "/new", data={
        "forename": "G" * 101, "surname": "  ", "email": "grace at hill", "profile_type": "999999",
        "dob": "2001-02-30", "start_date": "2024-09-01", "leaving_date": "2024-08-31", "mobile": "07700 900123",
    })
    page = text(response)
    assert response.status_code == 422
    for message in (
        "Keep the first name to 100 characters (it has 101).",
        "Enter the last name.",
        "“grace at hill” is not an email address",
        "2001-02-30 is not a real date; check the day and the month of the date of birth.",
        "The leaving date 31 Aug 2024 is before the start date 01 Sep 2024; correct one of them.",
        "Choose one of Hill School&#39;s profile types: Teaching Staff, Support Staff",
    ):
        assert message in page, message
    assert 'value="07700 900123"' in page and 'id="dob" name="dob" value="2001-02-30" aria-invalid="true"' in page
    assert Profile.select().count() == 1 and not AuditEvent.select().where(AuditEvent.action == "profile.create").exists()


def test_an_edit_saves_and_audits_what_changed_before_and_after(client, hill):
    client.login("admin@hill.test")
    edit = f"{base(hill)}/{hill.ada.id}/edit"
    page = text(client.get(edit))
    assert "each import writes First name, Last name, Email, Mobile, Role from its Sign In App member" in page
    response = client.post(edit, data=form_of(hill.ada, profile_type=hill.support_staff.id, dob="1985-12-10"))
    assert response.status_code == 303
    ada = fresh(hill.ada)
    assert (ada.profile_type_id, ada.dob, ada.version) == (hill.support_staff.id, datetime.date(1985, 12, 10), 2)
    event = AuditEvent.get(AuditEvent.action == "profile.update")
    assert event.before == {"profile_type": "Teaching Staff", "dob": None}
    assert event.after == {"profile_type": "Support Staff", "dob": "1985-12-10"}


def test_someone_else_saving_first_is_said_and_nothing_typed_is_lost(client, hill):
    client.login("admin@hill.test")
    edit = f"{base(hill)}/{hill.ada.id}/edit"
    opened = form_of(hill.ada)
    client.switch_to("clerk@hill.test")
    assert client.post(edit, data={**opened, "email": "ada.l@hill.test"}).status_code == 303
    client.switch_to("admin@hill.test")
    response = client.post(edit, data={**opened, "role": "Head of Maths"})
    page = text(response)
    assert response.status_code == 409
    assert "Someone else (clerk@hill.test," in page and "so your changes were not saved" in page
    assert 'value="Head of Maths"' in page and "Saved meanwhile: ada.l@hill.test" in page
    assert (fresh(hill.ada).email, fresh(hill.ada).role) == ("ada.l@hill.test", None)
    again = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert client.post(edit, data={**opened, "email": "ada.l@hill.test", "role": "Head of Maths", "version": again}).status_code == 303
    assert (fresh(hill.ada).email, fresh(hill.ada).role) == ("ada.l@hill.test", "Head of Maths")


def test_a_leaving_date_of_today_severs_the_link_and_shows_a_leaver(client, hill):
    client.login("admin@hill.test")
    response = client.post(f"{base(hill)}/{hill.ada.id}/edit", data=form_of(hill.ada, leaving_date=TODAY.isoformat()))
    assert response.status_code == 303
    link = Link.get(Link.profile == hill.ada)
    assert (link.severed_at is not None, link.sever_reason) == (True, "leaver")
    page = text(client.get(response.headers["Location"]))
    assert "is a leaver from" in page and "the integration link to Sign In App member Ada Lovelace is severed" in page
    assert "Ada Lovelace is a Leaver from" in page and "no further updates sync for them" in page
    assert "<strong>leaver</strong>" in page
    assert AuditEvent.get(AuditEvent.action == "profile.update").after["link"] is None


def test_a_future_leaving_date_keeps_the_link_until_the_nightly_job_on_the_day(client, hill):
    client.login("admin@hill.test")
    later = TODAY + datetime.timedelta(days=7)
    client.post(f"{base(hill)}/{hill.ada.id}/edit", data=form_of(hill.ada, leaving_date=later.isoformat()))
    assert Link.active_for_profile(hill.ada) is not None
    leavers.sever_leavers(hill.org, actor="test", today=later - datetime.timedelta(days=1))
    assert Link.active_for_profile(hill.ada) is not None
    leavers.sever_leavers(hill.org, actor="test", today=later)
    assert Link.active_for_profile(hill.ada) is None


def test_removing_the_leaving_date_makes_a_returner_active_not_linked_and_offered_to_support(client, hill):
    client.login("admin@hill.test")
    edit = f"{base(hill)}/{hill.ada.id}/edit"
    client.post(edit, data=form_of(hill.ada, leaving_date=TODAY.isoformat()))
    response = client.post(edit, data=form_of(fresh(hill.ada), leaving_date=""))
    ada = fresh(hill.ada)
    assert (ada.status, ada.leaving_date, ada.is_leaver()) == ("active", None, False)
    assert Link.active_for_profile(ada) is None  # removing the date never re-links by itself
    page = text(client.get(response.headers["Location"]))
    assert "is active again. Removing the leaving date does not re-establish the integration link" in page
    assert "Ask Tether support to re-link Ada Lovelace to Sign In App member Ada Lovelace." in page
    assert "Re-link Ada Lovelace</a>" not in text(client.get(f"/organisations/{hill.org.id}/diagnostics"))

    client.switch_to("support@tether.test")
    diagnostics = text(client.get(f"/organisations/{hill.org.id}/diagnostics"))
    assert "Returners to re-link" in diagnostics
    assert f'href="{base(hill)}/{ada.id}#relink">Re-link Ada Lovelace</a>' in diagnostics
    profile_page = text(client.get(f"{base(hill)}/{ada.id}"))
    assert '<a href="#relink">Re-link</a> (their previous Sign In App member, Ada Lovelace, is offered first)' in profile_page
    assert re.search(rf'<option value="{hill.member.id}">Ada Lovelace \(\d+, ada@hill.test\) — previously linked', profile_page)
    client.post(f"{base(hill)}/{ada.id}/relink", data={"member": hill.member.id, "version": fresh(ada).version})
    assert Link.active_for_profile(ada) is not None
    assert "Returners to re-link" not in text(client.get(f"/organisations/{hill.org.id}/diagnostics"))


def test_a_viewer_sees_no_edit_and_a_deleted_profile_cannot_be_edited(client, hill):
    client.login("viewer@hill.test")
    assert "Edit profile" not in text(client.get(f"{base(hill)}/{hill.ada.id}"))
    assert "New profile" not in text(client.get(base(hill)))
    client.switch_to("admin@hill.test")
    client.post(f"{base(hill)}/{hill.ada.id}/delete", data={"version": hill.ada.version})
    response = client.post(f"{base(hill)}/{hill.ada.id}/edit", data=form_of(fresh(hill.ada), role="Teacher"))
    assert response.status_code == 303
    assert "is deleted, so it cannot be edited" in text(client.get(response.headers["Location"]))
    assert fresh(hill.ada).role is None
