"""The diagnostics page: every role reads its own organisation's, 404 for another's, htmx gets the results only,
and a fix shows as a button only to whoever may use it."""
import pytest
from flask import url_for

from console.diagnostics import FIX_ROUTES
from store import policy
from sync import diagnostics, links
from tests import factories as f

from .helpers import build_school, set_group


@pytest.fixture
def hill(db):
    school = build_school()
    f.user("admin@hill.test", "admin", [school.org])
    f.user("viewer@hill.test", "viewer", [school.org])
    f.user("support@tether.test", "support")
    f.support_access(school.org)
    dale = f.organisation("Dale School")
    f.user("admin@dale.test", "admin", [dale])
    school.dale = dale
    return school


def url(school, query=""):
    return f"/organisations/{school.org.id}/diagnostics" + (f"?q={query}" if query else "")


def page(client, address, **headers):
    response = client.get(address, headers=headers)
    assert response.status_code == 200, (address, response.status_code)
    return response.get_data(as_text=True)


@pytest.mark.parametrize("email", ["viewer@hill.test", "admin@hill.test", "support@tether.test"])
def test_every_role_reads_the_diagnostics_of_its_organisation(client, hill, email):
    client.login(email)
    answer = page(client, url(hill, "ada"))
    assert "<h2 id=\"person-1\">Ada Lovelace</h2>" in answer
    assert "Syncing normally; green shield shown when ready." in answer
    assert f'href="/organisations/{hill.org.id}/diagnostics" aria-current="page">Diagnostics<' in answer


def test_diagnostics_of_another_organisation_are_not_found(client, hill):
    client.login("admin@dale.test")
    assert client.get(url(hill, "ada")).status_code == 404
    assert client.get(f"/organisations/{hill.dale.id}/diagnostics").status_code == 200


def test_diagnostics_need_a_sign_in(client, hill):
    assert client.get(url(hill)).status_code in (302, 401)


def test_search_as_you_type_answers_with_the_results_only(client, hill):
    client.login("viewer@hill.test")
    fragment = page(client, url(hill, "lovelace"), **{"HX-Request": "true", "HX-Target": "results"})
    assert "<html" not in fragment and "<h1" not in fragment and "Ada Lovelace" in fragment
    whole = page(client, url(hill))
    assert 'hx-get="/organisations/%d/diagnostics"' % hill.org.id in whole and "Type a name or email" in whole


def test_nobody_found_says_where_it_looked(client, hill):
    client.login("viewer@hill.test")
    assert "Nobody matches “zebedee”" in page(client, url(hill, "zebedee"))


def test_support_gets_the_restore_button_and_others_are_told_to_ask_support(client, hill):
    exclusion = links.delete_profile(hill.ada, "admin@hill.test")
    restore = f'action="/organisations/{hill.org.id}/exclusions/{exclusion.id}/restore"'
    client.login("support@tether.test")
    answer = page(client, url(hill, "ada"))
    assert restore in answer and 'name="csrf_token"' in answer and "data-confirm=\"Restore Ada Lovelace?" in answer
    client.switch_to("admin@hill.test")
    answer = page(client, url(hill, "ada"))
    assert restore not in answer
    assert "Contact Tether support with the name Ada Lovelace to have the exclusion restored." in answer


def test_a_fix_made_in_sign_in_app_is_shown_as_words(client, hill):
    set_group(hill.staff, safety_check="dont_check")
    client.login("admin@hill.test")
    answer = page(client, url(hill, "ada"))
    assert "Fix in Sign In App:</strong> In Sign In App, go to Manage &gt; Groups &gt; Staff &gt; Sign in options" in answer


def test_the_relink_fix_posts_the_previous_member_and_links_the_profile_again(client, hill):
    links.decouple(hill.ada, "admin@hill.test")
    client.login("support@tether.test")
    answer = page(client, url(hill, "ada"))
    assert f'action="/organisations/{hill.org.id}/profiles/{hill.ada.id}/relink"' in answer
    assert f'name="member" value="{hill.member.id}"' in answer
    version = answer.split('name="version" value="')[1].split('"')[0]
    relink = f"/organisations/{hill.org.id}/profiles/{hill.ada.id}/relink"
    assert client.post(relink, data={"member": hill.member.id, "version": version}).status_code == 303
    assert "Syncing normally" in page(client, url(hill, "ada"))


def test_a_broken_link_is_re_linked_on_the_spot_by_support_and_an_admin_is_told_to_ask_support(client, hill):
    # "If the integration link has been broken ... contact support to restore the link."
    import datetime

    from store.models import Profile, now

    links.delete_profile(hill.ada, "admin@hill.test")
    Profile.update(deleted_at=now() - datetime.timedelta(days=120)).where(Profile.id == hill.ada.id).execute()
    again = f.profile(hill.org, "Ada", "Lovelace", email="ada@hill.test")
    relink = f'action="/organisations/{hill.org.id}/profiles/{again.id}/relink"'

    client.login("admin@hill.test")
    answer = page(client, url(hill, "ada"))
    assert "The link to Central Record is broken" in answer and relink not in answer
    assert (f"Ask Tether support to re-link Ada Lovelace (#{again.id}, ada@hill.test) to Sign In App member "
            f"Ada Lovelace ({hill.member.sia_id}).") in answer

    client.switch_to("support@tether.test")
    answer = page(client, url(hill, "ada"))
    assert relink in answer and f'name="member" value="{hill.member.id}"' in answer
    assert 'name="restore_exclusion" value="yes"' in answer
    version = answer.split(relink)[1].split('name="version" value="')[1].split('"')[0]
    posted = client.post(f"/organisations/{hill.org.id}/profiles/{again.id}/relink",
                         data={"member": hill.member.id, "version": version, "restore_exclusion": "yes"})
    assert posted.status_code == 303
    assert "The link to Central Record is broken" not in page(client, url(hill, "ada"))


def test_the_explain_trace_shows_for_a_member_no_rule_takes(client, hill):
    office = f.group(hill.conn, hill.org, "Office")
    f.member(office, "Olive Office")
    client.login("viewer@hill.test")
    answer = page(client, url(hill, "olive"))
    assert "Why each mapping rule does not match" in answer and "<code>group == Staff</code>" in answer
    assert "Edit the mapping rules</a>" not in answer  # a viewer cannot edit rules: told who can
    assert "Ask an admin to add a mapping rule" in answer


def test_every_fix_the_engine_can_name_has_a_console_form_that_exists(app):
    assert set(FIX_ROUTES) == set(diagnostics.INTENTS)
    subject = {"profile_id": 1, "version": 1, "member_id": 1, "restore_exclusion": True, "exclusion_id": 1,
               "kept_id": 1, "removed_id": 2, "field": "leaving_date"}
    with app.test_request_context():
        for intent, action in diagnostics.INTENTS.items():
            route = FIX_ROUTES[intent]
            assert action in policy.ACTIONS, f"{intent} needs '{action}', which the policy does not name"
            rules = [r for r in app.url_map.iter_rules() if r.endpoint == route.endpoint]
            assert rules and any(route.method.upper() in r.methods for r in rules), f"{intent}: {route.endpoint}"
            assert url_for(route.endpoint, org_id=1, **route.args(subject)).startswith("/organisations/1/")


def test_a_member_found_says_when_they_last_signed_in_and_at_which_site(client, hill):
    hill.member.last_in, hill.member.site_id = "2026-06-15T07:45:00+00:00", 3
    hill.member.save()
    client.login("viewer@hill.test")
    answer = page(client, url(hill, "ada"))
    # Summer time: 07:45 UTC is 08:45 at school.
    assert "in the group Staff at site 3" in answer and "last signed in on Monday 15 June 2026 at 08:45" in answer
    hill.member.last_in = None
    hill.member.save()
    assert "no sign-in recorded in Sign In App" in page(client, url(hill, "ada"))
