"""Linked groups kept by Tether, confirmed by Sign In App (DESIGN §3): a real Sign In App that lacks the
partner integration settings, or answers with the documented fields only, never aborts a run nor lets
it "succeed" having synced no one; a link the two disagree on is a problem with its fix."""
import json
import re

import pytest

from connectors.sia import client_for
from store.models import AuditEvent, Profile, RunProblem, SiaGroup
from sync import group_links, push
from tests import factories as f

GROUP_DETAIL = re.compile(r"/groups/\d+$")
WHERE = "Settings → Sign In App → Configuration → Connection"


class PartnerAbsent:
    """Sign In App's public API as documented: no `GET /groups/{id}` (404), everything else as the sandbox."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "GET" and GROUP_DETAIL.search(environ["PATH_INFO"]):
            body = json.dumps({"message": "Not found."}).encode()
            start_response("404 NOT FOUND", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)


class DocumentedOnly(PartnerAbsent):
    """`GET /groups/{id}` answers, with the documented fields only (id, name, type)."""

    def __call__(self, environ, start_response):
        if not (environ["REQUEST_METHOD"] == "GET" and GROUP_DETAIL.search(environ["PATH_INFO"])):
            return self.app(environ, start_response)
        caught = {}
        body = b"".join(self.app(environ, lambda status, headers, exc_info=None: caught.update(status=status)))
        answer = json.loads(body)
        inner = answer.get("data", answer)
        documented = {key: inner[key] for key in ("id", "name", "type")}
        body = json.dumps({"data": documented} if "data" in answer else documented).encode()
        start_response(caught["status"], [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def _through(ctx, school, middleware):
    return client_for(school.connection, wsgi_app=middleware(ctx.wsgi_app) if middleware else ctx)


def _problems(result, code):
    return [p.message for p in RunProblem.select().where((RunProblem.run == result.run) & (RunProblem.code == code))]


def test_without_the_partner_endpoint_a_run_warns_and_syncs_the_groups_tether_keeps(school, ctx, run_import):
    school.member("Ada Lovelace")
    first = run_import(school)  # Sign In App links Staff to the school: Tether takes the link
    staff = SiaGroup.get(SiaGroup.sia_id == school.staff.id)
    assert first.status == "succeeded" and staff.organisation_id == school.org.id and staff.linked_by == "Sign In App"
    assert AuditEvent.get(AuditEvent.action == "sia_group.link").actor == "Sign In App"
    options = staff.settings["sign_in_options"]

    school.member("Bob Baker")
    result = run_import(school, client=_through(ctx, school, PartnerAbsent))
    assert result.status == "succeeded" and result.counts["created"] == 1  # no abort on the 404
    [warning] = _problems(result, "group_links_unconfirmed")
    assert warning.startswith("Sign In App did not give the group's integration settings; Tether used its own links (Staff)")
    assert SiaGroup.get_by_id(staff.id).settings["sign_in_options"] == options  # the safety check keeps what it read


def test_documented_fields_only_and_no_group_kept_is_not_a_silent_zero(school, ctx, run_import):
    school.member("Ada Lovelace")
    result = run_import(school, client=_through(ctx, school, DocumentedOnly))
    assert result.status == "needs_attention" and Profile.select().count() == 0
    assert "Sign In App has 1 Repeat group but none is linked to Oakfield Academy, so no one was synced" in result.message
    assert f"Link the group at {WHERE}" in result.message
    assert _problems(result, "group_links_unconfirmed")[0].startswith(
        "Sign In App did not give the group's integration settings; Tether used its own links (none is linked)"
    )

    # Support links Staff (as the connection page does); the next run syncs it, still unconfirmed.
    group_links.set_links(school.org, school.connection, link=[school.staff.id], actor="support@tether.test")
    again = run_import(school, client=_through(ctx, school, DocumentedOnly))
    assert again.status == "succeeded" and again.counts["created"] == 1
    assert AuditEvent.get(AuditEvent.action == "sia_group.link").actor == "support@tether.test"


def test_a_link_tether_and_sign_in_app_disagree_on_needs_attention_with_its_fix(school, run_import):
    school.member("Ada Lovelace")
    run_import(school)
    # Support unlinked Staff in Tether; Sign In App still links it to the school.
    group_links.set_links(school.org, school.connection, unlink=[school.staff.id], actor="support@tether.test")
    school.member("Bob Baker")
    result = run_import(school)
    assert result.status == "needs_attention" and result.counts["created"] == 0
    [differs] = _problems(result, "group_link_differs")
    assert "Sign In App says 'Staff'" in differs and "support@tether.test unlinked it in Tether" in differs
    assert f"link it at {WHERE}" in differs and "unlink the group in Sign In App's integration settings" in differs

    # The other way round: Tether keeps Staff, Sign In App links it to no one. Tether's link decides.
    group_links.set_links(school.org, school.connection, link=[school.staff.id], actor="support@tether.test")
    school.staff.organisation_id = None
    school.staff.save()
    result = run_import(school)
    assert result.status == "needs_attention" and result.counts["created"] == 1
    [differs] = _problems(result, "group_link_differs")
    assert "Tether keeps 'Staff'" in differs and "link it to no organisation" in differs
    assert f"unlink it at {WHERE}" in differs


def test_a_repeat_group_linked_to_no_one_needs_attention_and_one_kept_elsewhere_is_refused(school, run_import):
    volunteers = school.group("Volunteers", linked=False)
    school.member("Val Ender", group=volunteers)
    school.staff.organisation_id = None
    school.staff.save()
    result = run_import(school)
    assert result.status == "needs_attention" and "Sign In App has 2 Repeat groups but none is linked" in result.message
    with pytest.raises(group_links.LinkRefused, match="is not one of the groups Tether read"):
        group_links.set_links(school.org, school.connection, link=[999999], actor="support@tether.test")
    other = f.organisation("Riverside Primary")
    group_links.set_links(other, school.connection, link=[volunteers.id], actor="support@tether.test")
    with pytest.raises(group_links.LinkRefused, match="'Volunteers' .* is linked to Riverside Primary; unlink it there first"):
        group_links.set_links(school.org, school.connection, link=[volunteers.id], actor="support@tether.test")


def test_push_goes_to_the_group_tether_keeps_and_confirms_it_with_sign_in_app(school, ctx, run_import):
    run_import(school)
    f.profile(school.org, "Cara", "Dune", email="cara@school.test")
    school.staff.organisation_id = None  # Sign In App no longer links Staff; Tether keeps it
    school.staff.save()
    result = push.push_all(school.org, group_id=school.staff.id, type_names=["Teaching Staff"], actor="test",
                           client=client_for(school.connection, wsgi_app=ctx))
    assert result.status == "needs_attention" and result.counts["created"] == 1
    assert "Tether keeps 'Staff'" in _problems(result, "group_link_differs")[0]

    f.profile(school.org, "Dan", "Dare", email="dan@school.test")
    absent = push.push_all(school.org, group_id=school.staff.id, type_names=["Teaching Staff"], actor="test",
                           client=_through(ctx, school, PartnerAbsent))
    assert absent.status == "succeeded" and absent.counts["created"] == 1
    assert _problems(absent, "group_links_unconfirmed")

    group_links.set_links(school.org, school.connection, unlink=[school.staff.id], actor="support@tether.test")
    with pytest.raises(push.PushRefused, match=f"is not a Repeat group linked to Oakfield Academy. Support links it at {WHERE}"):
        push.target(school.org, school.staff.id, ["Teaching Staff"])


def test_a_new_school_links_its_staff_group_in_sign_in_app_and_tether_takes_it_once(school, run_import):
    """The set-up help's way: link the group in Sign In App. Tether takes it while no one decided otherwise."""
    first = run_import(school)
    assert first.status == "succeeded"
    assert [g.name for g in SiaGroup.synced_for(school.org)] == ["Staff"]
    assert AuditEvent.select().where(AuditEvent.action == "sia_group.link").count() == 1
    run_import(school)
    assert AuditEvent.select().where(AuditEvent.action == "sia_group.link").count() == 1
