"""The safety check under concurrent sign-ins: notifications committed in groups, one query per sign-in."""
import datetime
import threading

import pytest
from peewee import OperationalError

import store
from compliance import decision, readiness, tokens
from compliance.decision import check_sign_in
from store.prepared import Prepared, param
from store.models import CheckRecord, Link, Notification, Profile, RatingRequirement, RatingSystem, SiaGroup, SiaMember
from tests import factories as f

from .conftest import TODAY, set_group
from .test_safety_api import ask


def test_every_notification_of_many_concurrent_sign_ins_is_committed_before_its_answer(app, school, secret):
    set_group(school.group, safety_check="reject")
    answers, lock = [], threading.Lock()

    def sign_in():
        client = app.test_client()
        for _ in range(10):
            response = ask(client, secret, school.member.sia_id, school.group.sia_id)
            with lock:
                answers.append((response.status_code, response.json["decision"]))

    threads = [threading.Thread(target=sign_in) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answers == [(200, "reject")] * 80
    assert Notification.select().where(Notification.kind == "safety_reject").count() == 80


def test_a_sign_in_whose_notification_cannot_be_committed_raises_instead_of_answering(school, monkeypatch):
    def locked(rows):
        raise OperationalError("database is locked")

    monkeypatch.setattr(decision._NOTIFICATIONS, "_write", locked)
    with pytest.raises(OperationalError, match="database is locked"):
        check_sign_in(school.connection, school.member.sia_id, school.group.sia_id)
    assert Notification.select().count() == 0


def test_a_sign_in_needing_no_notification_writes_nothing(school, monkeypatch):
    set_group(school.group, safety_check="dont_check")
    monkeypatch.setattr(decision._NOTIFICATIONS, "_write", lambda rows: pytest.fail("wrote a notification"))
    assert check_sign_in(school.connection, school.member.sia_id, school.group.sia_id)["status"] == "not_checked"


def _every_kind_of_column(group):
    columns = {
        "group_pk": SiaGroup.id, "group_name": SiaGroup.name, "settings": SiaGroup.settings, "gone_at": SiaGroup.gone_at,
        "personal_fields": SiaMember.personal_fields, "archived": SiaMember.archived, "severed_at": Link.severed_at,
        "leaving_date": Profile.leaving_date, "organisation_id": Profile.organisation, "forename": Profile.forename,
    }
    return (
        SiaGroup.select(*(column.alias(name) for name, column in columns.items()))
        .join(SiaMember, on=(SiaMember.group == SiaGroup.id))
        .join(Link, on=(Link.sia_member == SiaMember.id))
        .join(Profile)
        .where(SiaGroup.id == group)
        .order_by(SiaMember.id)
    )


def test_a_prepared_query_packed_or_not_reads_the_same_rows_as_peewee_for_each_run_s_own_values(school):
    school.group.name = 'Staff "A" — Ünïcode'
    school.group.settings = {"big": 2**70, "nested": {"quote": 'say "hi"', "list": [1, None]}}
    school.group.save()
    other = f.member(school.group, name="Grace Hopper")
    other.archived = True
    other.personal_fields = {**other.personal_fields, "score": float("inf")}
    other.save()
    severed = f.profile(school.org, "Grace", "Hopper", leaving_date=TODAY + datetime.timedelta(days=3))
    Link.create(profile=severed, sia_member=other, organisation=school.org, severed_at=datetime.datetime(2024, 5, 6, 7, 8, 9, 123456))
    second = f.group(school.connection, school.org, name="Visitors")
    Link.create(profile=f.profile(school.org, "Alan", "Turing"), sia_member=f.member(second, name="Alan Turing"), organisation=school.org)
    for packed in (False, True):
        prepared = Prepared(lambda: _every_kind_of_column(param("group")), packed=packed)
        for group in (school.group, second, school.group):
            assert prepared.rows(group=group.id) == list(_every_kind_of_column(group.id).dicts())
        rows = prepared.rows(group=school.group.id)
        assert [row["forename"] for row in rows] == ["Ada", "Grace"]
        assert type(rows[0]["settings"]["big"]) is int and rows[1]["personal_fields"]["score"] == float("inf")
        assert rows[1]["severed_at"] == datetime.datetime(2024, 5, 6, 7, 8, 9, 123456) and rows[1]["archived"] is True


def test_rating_systems_are_answered_in_the_order_the_database_sorts_them(school):
    """Same positions, names differing in case: the answer keeps the database's order (its collation)."""
    for name in ("beta", "Alpha", "alpha", "Zeta"):
        system = RatingSystem.create(organisation=school.org, name=name, position=5)
        RatingRequirement.create(rating_system=system, profile_type=school.teaching, check_type=school.barred)
    CheckRecord.create(profile=school.profile, check_type=school.barred, completed_on=TODAY)
    answer = check_sign_in(school.connection, school.member.sia_id, school.group.sia_id, notify=False)
    profile = Profile.get_by_id(school.profile.id)
    assert [s["name"] for s in answer["rating_systems"]] == [
        r.rating_system.name for r in readiness.readiness_in_enabled_systems(profile)
    ]


def test_the_sign_in_reads_the_database_once(school, secret):
    queries = []
    store.database.obj.query_hooks = [lambda event: queries.append(event.sql)]
    try:
        token, answer = decision.check_sign_in_with_token(secret, school.member.sia_id, school.group.sia_id)
        queries.clear()
        token, answer = decision.check_sign_in_with_token(secret, school.member.sia_id, school.group.sia_id)
    finally:
        store.database.obj.query_hooks = []
    assert answer["decision"] == "reject"
    reads = [q for q in queries if q.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1, queries


@pytest.mark.parametrize("body", [{}, {"member_id": "x", "group_id": 1}, ["not", "an", "object"]])
def test_a_bad_body_with_a_wrong_or_revoked_token_is_still_401(client, school, secret, body):
    headers = {"Authorization": "Bearer tsc_not-a-real-token"}
    assert client.post("/api/v1/safety-check", json=body, headers=headers, csrf=False).status_code == 401
    tokens.revoke(tokens.SafetyCheckToken.get(), actor="test")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.post("/api/v1/safety-check", json=body, headers=headers, csrf=False).status_code == 401


def test_a_live_token_on_a_group_of_another_connection_is_404_and_still_noted_as_used(client, school, secret):
    other = f.group(f.connection(school.org), school.org, name="Elsewhere")
    response = ask(client, secret, school.member.sia_id, other.sia_id)
    assert response.status_code == 404
    assert tokens.SafetyCheckToken.get().last_used_at is not None
