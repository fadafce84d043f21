"""`POST /api/v1/safety-check`: bearer tokens per connection, the §6 JSON answer, unavailable members."""
import datetime

import pytest

from compliance import tokens
from compliance.decision import UNAVAILABLE_MESSAGE
from store.models import AuditEvent, Link, Notification, Profile, SafetyCheckToken, now
from tests import factories as f

from .conftest import TODAY, build_school, link, make_ready, set_group


def ask(client, secret, member_id, group_id, **kwargs):
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return client.post("/api/v1/safety-check", json={"member_id": member_id, "group_id": group_id}, headers=headers, csrf=False, **kwargs)


def test_a_ready_member_gets_the_green_shield_in_the_exact_shape_of_section_6(client, school, secret):
    make_ready(school)
    response = ask(client, secret, school.member.sia_id, school.group.sia_id)
    assert response.status_code == 200
    assert response.json == {
        "status": "compliant",
        "shield": True,
        "decision": "allow",
        "notify": False,
        "rating_systems": [
            {"id": school.school_ready.id, "name": "School Ready", "ready": True, "missing": [], "expired": []},
            {"id": school.inspector_ready.id, "name": "Inspector Ready", "ready": True, "missing": [], "expired": []},
        ],
        "message": "Ada Lovelace meets the entry criteria: School Ready, Inspector Ready.",
    }


def test_a_member_who_is_not_ready_is_rejected_with_what_is_missing(client, school, secret):
    answer = ask(client, secret, school.member.sia_id, school.group.sia_id).json
    assert (answer["status"], answer["decision"], answer["shield"], answer["notify"]) == ("not_compliant", "reject", False, True)
    assert answer["rating_systems"][0]["missing"] == ["Enhanced DBS", "Right to work"]
    assert "Sign in refused" in answer["message"]


def test_without_a_token_the_answer_is_401_json(client, school):
    response = ask(client, None, school.member.sia_id, school.group.sia_id)
    assert response.status_code == 401
    assert "Bearer" in response.json["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer tsc_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "tsc_no-scheme"])
def test_a_wrong_token_is_401(client, school, secret, header):
    response = client.post(
        "/api/v1/safety-check", json={"member_id": school.member.sia_id, "group_id": school.group.sia_id},
        headers={"Authorization": header}, csrf=False,
    )
    assert response.status_code == 401


def test_a_revoked_token_is_401(client, school, secret):
    assert ask(client, secret, school.member.sia_id, school.group.sia_id).status_code == 200
    tokens.revoke(SafetyCheckToken.get(), actor="test")
    assert ask(client, secret, school.member.sia_id, school.group.sia_id).status_code == 401


def test_another_connections_token_cannot_ask_about_this_connections_group(client, school):
    other = build_school("Dale School")
    other_secret = tokens.create(other.connection, actor="test")[1]
    response = ask(client, other_secret, school.member.sia_id, school.group.sia_id)
    assert response.status_code == 404
    assert f"no group {school.group.sia_id}" in response.json["message"]


def test_another_connections_member_is_unknown_to_this_connections_token(client, school, secret):
    other = build_school("Dale School")
    make_ready(other)
    answer = ask(client, secret, other.member.sia_id, school.group.sia_id).json
    assert (answer["status"], answer["message"]) == ("unavailable", UNAVAILABLE_MESSAGE)


def test_only_the_hash_of_a_token_is_stored(school):
    token, secret = tokens.create(school.connection, actor="admin@school.test", name="Reception")
    stored = SafetyCheckToken.get_by_id(token.id)
    assert secret not in (stored.token_hash, stored.prefix, stored.name)
    assert secret.startswith(stored.prefix) and len(stored.prefix) < 12
    assert AuditEvent.get(AuditEvent.action == "safety_token.create").actor == "admin@school.test"


def test_a_token_records_when_it_was_last_used(client, school, secret):
    assert SafetyCheckToken.get().last_used_at is None
    ask(client, secret, school.member.sia_id, school.group.sia_id)
    assert SafetyCheckToken.get().last_used_at is not None


def test_revoking_twice_says_when_it_was_first_revoked(school, secret):
    token = SafetyCheckToken.get()
    tokens.revoke(token, actor="test")
    with pytest.raises(tokens.TokenError, match="already revoked"):
        tokens.revoke(token, actor="test")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"group_id": 1}, "member_id"),
        ({"member_id": 1}, "group_id"),
        ({"member_id": "abc", "group_id": 1}, "member_id"),
        ({"member_id": True, "group_id": 1}, "member_id"),
        ({"member_id": 1, "group_id": -3}, "group_id"),
        ([1, 2], "body"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, school, secret, body, field):
    response = client.post("/api/v1/safety-check", json=body, headers={"Authorization": f"Bearer {secret}"}, csrf=False)
    assert response.status_code == 422
    assert field in response.json["errors"]


@pytest.mark.parametrize("padding", [0, 10_000])
def test_a_body_is_read_whole_whatever_its_size_and_a_broken_one_is_422(client, school, secret, padding):
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    body = '{"member_id": %d, %s"group_id": %d}' % (school.member.sia_id, " " * padding, school.group.sia_id)
    response = client.post("/api/v1/safety-check", data=body, headers=headers, csrf=False)
    assert response.status_code == 200 and response.json["decision"] == "reject"
    response = client.post("/api/v1/safety-check", data=body[:-1], headers=headers, csrf=False)
    assert response.status_code == 422 and "body" in response.json["errors"]


def test_ids_sent_as_digit_strings_are_accepted(client, school, secret):
    response = ask(client, secret, str(school.member.sia_id), str(school.group.sia_id))
    assert response.status_code == 200


def test_the_ping_endpoint_answers_json(client, db):
    response = client.get("/api/v1/ping")
    assert (response.status_code, response.json) == (200, {"ok": True})


def _sever(school, reason):
    link = school.profile.links.get()
    link.severed_at, link.sever_reason = now(), reason
    link.save()


def _decouple(school):
    _sever(school, "decoupled")


def _delete(school):
    _sever(school, "deleted")
    Profile.update(status="deleted", deleted_at=now()).where(Profile.id == school.profile.id).execute()


def _leaver_severed(school):
    _sever(school, "leaver")


def _leaver_not_yet_severed(school):
    Profile.update(leaving_date=TODAY).where(Profile.id == school.profile.id).execute()


def _merged(school):
    _sever(school, "merged")


def _never_linked(school):
    f.member(school.group, name="New Starter", sia_id=555001)


UNAVAILABLE_CASES = {
    "decoupled": (_decouple, None),
    "deleted": (_delete, None),
    "severed as a leaver": (_leaver_severed, None),
    "a leaver from today, link not yet severed": (_leaver_not_yet_severed, None),
    "merged away": (_merged, None),
    "never linked": (_never_linked, 555001),
    "unknown to Central Record": (lambda school: None, 424242),
}


@pytest.mark.parametrize("mode, decision", [("reject", "reject"), ("allow", "allow")])
@pytest.mark.parametrize("case", list(UNAVAILABLE_CASES))
def test_a_member_without_an_active_link_is_unavailable_with_the_exact_message(client, school, secret, case, mode, decision):
    make_ready(school)
    set_group(school.group, safety_check=mode)
    arrange, member_id = UNAVAILABLE_CASES[case]
    arrange(school)
    answer = ask(client, secret, member_id or school.member.sia_id, school.group.sia_id).json
    assert answer == {
        "status": "unavailable",
        "shield": False,
        "decision": decision,
        "notify": True,
        "rating_systems": [],
        "message": "We were unable to get this member's information from Central Record, please contact your portal administrator.",
    }
    note = Notification.get()
    assert note.kind == ("safety_reject" if mode == "reject" else "safety_warning")


def test_the_notification_for_a_severed_link_says_why(client, school, secret):
    _decouple(school)
    ask(client, secret, school.member.sia_id, school.group.sia_id)
    message = Notification.get().message
    assert "severed (decoupled)" in message and "Ada Lovelace" in message


def test_a_relinked_member_is_answered_from_the_new_profile(client, school, secret):
    _decouple(school)
    again = f.profile(school.org, "Ada", "King")
    link(again, school.member, school.org)
    make_ready(school, again)
    answer = ask(client, secret, school.member.sia_id, school.group.sia_id).json
    assert (answer["status"], answer["message"]) == ("compliant", "Ada King meets the entry criteria: School Ready, Inspector Ready.")


def test_a_leaver_from_tomorrow_is_still_answered(client, school, secret):
    make_ready(school)
    Profile.update(leaving_date=TODAY + datetime.timedelta(days=1)).where(Profile.id == school.profile.id).execute()
    assert ask(client, secret, school.member.sia_id, school.group.sia_id).json["status"] == "compliant"


def test_a_member_whose_links_were_all_severed_is_told_about_the_last_one(client, school, secret):
    _sever(school, "decoupled")
    Link.update(severed_at=now() - datetime.timedelta(days=30)).where(Link.profile == school.profile).execute()
    again = f.profile(school.org, "Ada", "King")
    link(again, school.member, school.org, severed_at=now() - datetime.timedelta(days=2), sever_reason="merged")
    ask(client, secret, school.member.sia_id, school.group.sia_id)
    message = Notification.get().message
    assert "the profile of Ada King was severed (merged)" in message
