"""Audit log, notifications and users: who sees what, and what each action changes."""
import pytest

from store.models import AuditEvent, Notification, User
from tests import factories as f


@pytest.fixture
def schools(db):
    one, two = f.organisation("School One"), f.organisation("School Two")
    f.user("admin1@school.test", "admin", [one])
    f.user("viewer1@school.test", "viewer", [one])
    f.user("support@tether.test", "support")
    f.support_access(one), f.support_access(two)
    return one, two


def test_audit_log_shows_only_the_admins_own_organisation(client, schools):
    one, two = schools
    AuditEvent.record("profile.delete", actor="someone@one.test", organisation=one, subject="profile:1")
    AuditEvent.record("profile.delete", actor="someone@two.test", organisation=two, subject="profile:2")
    client.login("admin1@school.test")
    page = client.get("/audit").get_data(as_text=True)
    assert "someone@one.test" in page and "someone@two.test" not in page
    assert client.get(f"/audit?organisation={two.id}").status_code == 404
    assert client.get(f"/organisations/{two.id}/audit").status_code == 404


def test_audit_log_filters_by_action_and_actor(client, schools):
    one, _ = schools
    AuditEvent.record("profile.delete", actor="ann@one.test", organisation=one, subject="profile:1")
    AuditEvent.record("rule.update", actor="bob@one.test", organisation=one, subject="rule:3")
    client.login("support@tether.test")
    page = client.get("/audit?action=rule.").get_data(as_text=True)
    assert "bob@one.test" in page and "ann@one.test" not in page
    page = client.get("/audit?actor=ann").get_data(as_text=True)
    assert "ann@one.test" in page and "bob@one.test" not in page


def test_audit_search_as_you_type_returns_only_the_results_fragment(client, schools):
    client.login("support@tether.test")
    response = client.get("/audit?actor=x", headers={"HX-Request": "true", "HX-Target": "results"})
    body = response.get_data(as_text=True)
    assert "No events match these filters." in body and "<html" not in body and 'id="results"' not in body


def test_marking_a_notification_read_hides_it_from_unread(client, schools):
    one, _ = schools
    note = Notification.create(organisation=one, kind="safety_reject", subject="Ada Lovelace", message="Rejected at sign-in")
    client.login("viewer1@school.test")
    assert "Rejected at sign-in" in client.get(f"/organisations/{one.id}/notifications/").get_data(as_text=True)
    response = client.post(f"/organisations/{one.id}/notifications/{note.id}/read")
    assert response.status_code == 303
    assert Notification.get_by_id(note.id).read_at is not None
    assert "Rejected at sign-in" not in client.get(f"/organisations/{one.id}/notifications/").get_data(as_text=True)


def test_notifications_of_another_school_are_404(client, schools):
    _, two = schools
    note = Notification.create(organisation=two, kind="sync_failed", message="x")
    client.login("admin1@school.test")
    assert client.get(f"/organisations/{two.id}/notifications/").status_code == 404
    assert client.post(f"/organisations/{two.id}/notifications/{note.id}/read").status_code == 404


def test_only_support_manages_users(client, schools):
    client.login("admin1@school.test")
    assert client.get("/users/").status_code == 403


def test_support_creates_a_user_and_sees_the_password_once(client, schools):
    one, _ = schools
    client.login("support@tether.test")
    response = client.post("/users/new", data={"email": "New@School.test", "role": "admin", "organisations": [str(one.id)]})
    assert response.status_code == 200
    user = User.by_email("new@school.test")
    assert user.role == "admin" and [m.organisation_id for m in user.memberships] == [one.id]
    assert AuditEvent.select().where(AuditEvent.action == "user.create").exists()


def test_an_admin_without_a_school_is_refused_with_the_reason(client, schools):
    client.login("support@tether.test")
    response = client.post("/users/new", data={"email": "lost@school.test", "role": "admin"})
    assert response.status_code == 422
    assert "must belong to at least one organisation" in response.get_data(as_text=True)
    assert User.by_email("lost@school.test") is None


def test_support_cannot_disable_themselves(client, schools):
    client.login("support@tether.test")
    me = User.by_email("support@tether.test")
    response = client.post(f"/users/{me.id}", data={"role": "support"})
    assert response.status_code == 422
    assert User.get_by_id(me.id).active
