"""A database another writer holds: the sign-in still answers, a console write is 503 with Retry-After.

Another connection (a thread of its own, as another request or process would be) holds the write lock:
on SQLite the database's one write lock, on PostgreSQL the lock on the safety-check token's row.
The busy timeout is lowered for the test so that waiting for it shows without taking 10 s.
"""
import threading
import time
from contextlib import contextmanager

import pytest

from store.models import CheckRecord, SafetyCheckToken
from tests import factories as f

from .conftest import make_ready
from .test_safety_api import ask

BUSY_TIMEOUT_MS = 1000


@contextmanager
def write_lock_held_elsewhere(db):
    """Hold a write lock from another connection until the block ends (at most 10 s)."""
    taken, release = threading.Event(), threading.Event()

    def hold():
        with db.connection_context(), db.atomic():
            SafetyCheckToken.update(name="held").execute()  # SQLite: the write lock; PostgreSQL: the token's row
            taken.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join(10)


@pytest.fixture
def busy_timeout(db, backend):
    if backend == "sqlite":
        db.pragma("busy_timeout", BUSY_TIMEOUT_MS, permanent=True)


def test_a_sign_in_answers_at_once_while_another_writer_holds_the_lock(db, busy_timeout, client, school, secret):
    make_ready(school)
    with write_lock_held_elsewhere(db):
        started = time.monotonic()
        response = ask(client, secret, school.member.sia_id, school.group.sia_id)
        elapsed = time.monotonic() - started
    assert (response.status_code, response.json["status"]) == (200, "compliant")
    assert elapsed < BUSY_TIMEOUT_MS / 1000
    assert SafetyCheckToken.get().last_used_at is None  # bookkeeping skipped, not waited for
    assert ask(client, secret, school.member.sia_id, school.group.sia_id).status_code == 200
    assert SafetyCheckToken.get().last_used_at is not None


@pytest.mark.sqlite_only
def test_a_console_write_to_a_locked_database_is_503_with_retry_after(db, busy_timeout, client, school):
    """SQLite only: PostgreSQL locks rows, so another writer never locks the whole database."""
    f.user("admin@hill.test", "admin", [school.org])
    client.login("admin@hill.test")
    url = f"/organisations/{school.org.id}/profiles/{school.profile.id}/checks"
    form = {"check_type": school.dbs.id, "completed_on": "2025-01-06"}
    with write_lock_held_elsewhere(db):
        response = client.post(url, data=form)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "The database is busy with another change, so nothing was saved" in response.get_data(as_text=True)
    assert CheckRecord.select().count() == 0
