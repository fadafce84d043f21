"""`POST /api/v1/safety-check`: bearer tokens per connection, the §6 JSON answer, unavailable members."""
import datetime
import io

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
        ([1, 2], "body"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, school, secret, body, field):
    response = client.post("/api/v1/safety-check", json=body, headers={"Authorization": f"Bearer {secret}"}, csrf=False)
    assert response.status_code == 422
    assert field in response.json["errors"]


def _post_raw(client, secret, body, **kwargs):
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    return client.post("/api/v1/safety-check", data=body, headers=headers, csrf=False, **kwargs)


def test_a_member_id_beyond_64_bits_is_refused_not_answered_for_the_member_it_wraps_to(client, school, secret):
    make_ready(school)
    wrapped_member, wrapped_group = 2**64 + school.member.sia_id, 2**64 + school.group.sia_id
    for member_id, group_id, field in (
        (str(wrapped_member), school.group.sia_id, "member_id"),
        (wrapped_member, school.group.sia_id, "member_id"),
        (school.member.sia_id, str(wrapped_group), "group_id"),
    ):
        response = ask(client, secret, member_id, group_id)
        assert response.status_code == 422, response.json
        assert list(response.json["errors"]) == [field]
        assert f"The {field} must be a whole number from 1 to 9223372036854775807" in response.json["errors"][field][0]


# JSON text of each id that is refused: not a whole number in 1..2^63-1 written in ASCII digits.
NOT_IDS = [
    "true", "false", "null", "1.0", "1.5", "1e3", '"\u00b2"', '"\u0661"', '"' + "9" * 5000 + '"', "9" * 5000,
    '"18446744073709551617"', "9223372036854775808", "0", '"0"', "-3", '"-3"', '""', '" 12"', '"12 "', "[1]", "{}",
]


@pytest.mark.parametrize("value", NOT_IDS, ids=lambda value: value[:24])
def test_anything_but_an_id_is_422_naming_the_field(client, school, secret, value):
    for field, other in (("member_id", "group_id"), ("group_id", "member_id")):
        response = _post_raw(client, secret, '{"%s": %s, "%s": 1}' % (field, value, other))
        assert response.status_code == 422, (field, response.json)
        assert list(response.json["errors"]) == [field]
        assert field in response.json["errors"][field][0]


def test_ids_sent_as_digit_strings_are_accepted(client, school, secret):
    response = ask(client, secret, str(school.member.sia_id), str(school.group.sia_id))
    assert response.status_code == 200


def test_the_largest_id_is_asked_about_like_any_other(client, school, secret):
    response = ask(client, secret, 2**63 - 1, str(school.group.sia_id))
    assert (response.status_code, response.json["status"]) == (200, "unavailable")


def test_a_body_within_the_limit_is_read_and_a_broken_one_is_422(client, school, secret):
    body = '{"member_id": %d, %s"group_id": %d}' % (school.member.sia_id, " " * 6000, school.group.sia_id)
    response = _post_raw(client, secret, body)
    assert response.status_code == 200 and response.json["decision"] == "reject"
    response = _post_raw(client, secret, body[:-1])
    assert response.status_code == 422 and "body" in response.json["errors"]


class _CountingInput(io.BytesIO):
    """A request body that notes how much of it the app read."""

    read_bytes = 0

    def read(self, size=-1):
        data = super().read(size)
        self.read_bytes += len(data)
        return data

    readline = read1 = read


def test_a_five_megabyte_sign_in_is_refused_413_in_words_without_being_read(client, school, secret):
    size = 5 * 1024 * 1024
    body = _CountingInput(b'{"member_id": 1, "group_id": 1, "padding": "' + b"x" * size + b'"}')
    response = _post_raw(client, secret, None, input_stream=body, content_length=len(body.getvalue()))
    assert response.status_code == 413
    assert response.json["message"] == "This request is larger than the 8 KB allowed here."
    assert body.read_bytes < 64 * 1024


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
