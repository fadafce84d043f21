"""Getting started (the set-up help's "Get Started with your Integration"): the request, support access
and the Primary User's confirmation, and the question the connection page asks of them."""
import datetime

import pytest

from store import setup
from store.models import AuditEvent, IntegrationRequest, SupportGrant, User, now
from tests import factories as f


@pytest.fixture
def hill(db):
    org = f.organisation("Hill School")
    f.user("admin@hill.test", "admin", [org])
    f.user("viewer@hill.test", "viewer", [org])
    f.user("support@tether.test", "support")
    return org


def _page(client, org):
    response = client.get(f"/organisations/{org.id}/getting-started")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_request_access_and_confirmation_let_support_create_the_connection(client, hill):
    url = f"/organisations/{hill.id}/getting-started"
    assert setup.may_create_connection(hill) == (
        False, "Hill School has not requested the integration yet: a school admin requests it on the Getting started page."
    )
    client.login("admin@hill.test")
    assert "Not requested yet." in _page(client, hill)
    assert client.post(f"{url}/request", data={"note": "We use Sign In App at both gates."}).status_code == 303
    page = _page(client, hill)
    assert "Requested by admin@hill.test on" in page and "We use Sign In App at both gates." in page
    ready, reason = setup.may_create_connection(hill)
    assert not ready and reason.startswith("Support access to Hill School is not open")

    client.post(f"/organisations/{hill.id}/support-access/open", data={"days": "14"})
    assert "Open until" in _page(client, hill)
    ready, reason = setup.may_create_connection(hill)
    assert not ready and "Primary User's confirmation is not recorded yet" in reason

    client.switch_to("support@tether.test")
    day = now().date()
    response = client.post(f"{url}/confirmation", data={"primary_user": "  Dawn   Whitfield ", "confirmed_on": day.isoformat()})
    assert response.status_code == 303
    page = _page(client, hill)
    assert f"Dawn Whitfield confirmed on {day:%d %b %Y}; recorded by support@tether.test." in page
    assert setup.may_create_connection(hill)[0]
    confirmed = AuditEvent.get(AuditEvent.action == "integration.confirm")
    assert confirmed.grant_id == SupportGrant.open_for(hill).id and confirmed.after["primary_user"] == "Dawn Whitfield"

    client.switch_to("admin@hill.test")
    client.post(f"/organisations/{hill.id}/support-access/close")
    assert setup.may_create_connection(hill)[1].startswith("Support access to Hill School is not open")


def test_a_second_request_and_an_over_long_note_are_refused_in_words(client, hill):
    client.login("admin@hill.test")
    url = f"/organisations/{hill.id}/getting-started/request"
    response = client.post(url, data={"note": "x" * 1001})
    assert response.status_code == 422 and "shorten it to 1000 or fewer" in response.get_data(as_text=True)
    assert IntegrationRequest.select().count() == 0
    client.post(url, data={"note": ""})
    response = client.post(url, data={"note": "again"})
    assert response.status_code == 422 and "Hill School already requested the integration" in response.get_data(as_text=True)
    assert IntegrationRequest.select().count() == 1


def test_only_an_admin_requests_and_only_support_with_access_records_the_confirmation(client, hill):
    client.login("viewer@hill.test")
    assert "has to come from a Central Record user with Administrator access" in _page(client, hill)
    assert client.post(f"/organisations/{hill.id}/getting-started/request").status_code == 403
    setup.request_integration(hill, User.by_email("admin@hill.test"))
    client.switch_to("support@tether.test")
    form = {"primary_user": "Dawn Whitfield", "confirmed_on": now().date().isoformat()}
    assert client.post(f"/organisations/{hill.id}/getting-started/confirmation", data=form).status_code == 404
    assert not IntegrationRequest.get().confirmed


@pytest.mark.parametrize(
    "form, refusal",
    [
        ({"primary_user": " ", "confirmed_on": "2024-09-02"}, "Enter the name of the Primary User"),
        ({"primary_user": "Dawn", "confirmed_on": "yesterday"}, "as a date (for example 2024-09-02)"),
        ({"primary_user": "Dawn", "confirmed_on": "2999-01-01"}, "is in the future"),
        ({"primary_user": "Dawn", "confirmed_on": "2000-01-01"}, "is before the integration was requested"),
        ({"primary_user": "D" * 201, "confirmed_on": "2000-01-01"}, "longer than 200 characters"),
    ],
)
def test_a_confirmation_without_a_name_or_on_an_impossible_day_is_refused(client, hill, form, refusal):
    setup.request_integration(hill, User.by_email("admin@hill.test"))
    f.support_access(hill)
    client.login("support@tether.test")
    response = client.post(f"/organisations/{hill.id}/getting-started/confirmation", data=form)
    assert response.status_code == 422 and refusal in response.get_data(as_text=True)
    assert not IntegrationRequest.get().confirmed


def test_a_confirmation_before_any_request_is_refused(client, hill):
    f.support_access(hill)
    client.login("support@tether.test")
    form = {"primary_user": "Dawn Whitfield", "confirmed_on": (now().date() - datetime.timedelta(days=1)).isoformat()}
    response = client.post(f"/organisations/{hill.id}/getting-started/confirmation", data=form)
    assert response.status_code == 422 and "has not requested the integration yet" in response.get_data(as_text=True)
