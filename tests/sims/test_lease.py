"""The run lease: one run per (organisation, kind) at a time, across threads and processes."""
import datetime
import threading

import pytest

from store import database
from store.models import RunLease, now
from sync import lease


def test_a_second_holder_is_refused_naming_the_kind_and_the_organisation(db):
    with lease.acquire(7, "sia_import", "first"):
        with pytest.raises(lease.AlreadyRunning, match="a sia_import run for organisation 7 is already running \\(first holds it"):
            with lease.acquire(7, "sia_import", "second"):
                pass


def test_leases_of_other_kinds_and_organisations_are_independent(db):
    with lease.acquire(7, "sia_import"), lease.acquire(7, "sims_students"), lease.acquire(8, "sia_import"):
        assert RunLease.select().count() == 3


def test_the_lease_is_released_when_the_block_ends_even_on_error(db):
    with pytest.raises(RuntimeError):
        with lease.acquire(7, "sia_import"):
            raise RuntimeError("boom")
    with lease.acquire(7, "sia_import"):
        pass
    assert not RunLease.select().exists()


def test_an_expired_lease_is_taken_over(db):
    RunLease.create(organisation_id=7, kind="sia_import", holder="crashed", expires_at=now() - datetime.timedelta(seconds=1))
    with lease.acquire(7, "sia_import", "new") as held:
        assert RunLease.get().holder == held.holder == "new"


def test_renewing_extends_the_lease_and_fails_once_it_was_taken_over(db):
    with lease.acquire(7, "sia_import", "me", ttl=60) as held:
        first = RunLease.get().expires_at
        held.renew(ttl=3600)
        assert RunLease.get().expires_at > first
        RunLease.update(holder="thief").execute()
        with pytest.raises(lease.LeaseLost):
            held.renew()


def test_a_lease_spanning_every_organisation_is_named_so(db):
    with lease.acquire(None, "purge_deleted"):
        with pytest.raises(lease.AlreadyRunning, match="purge_deleted run for every organisation"):
            with lease.acquire(0, "purge_deleted"):
                pass


@pytest.mark.parametrize("expired", [False, True], ids=["fresh", "over an expired lease"])
def test_of_two_threads_contending_exactly_one_gets_the_lease(db, expired):
    if expired:
        RunLease.create(organisation_id=7, kind="sia_import", holder="crashed", expires_at=now() - datetime.timedelta(minutes=5))
    database.close()
    start, release = threading.Barrier(2), threading.Event()
    outcomes = []

    def contend(name):
        try:
            start.wait()
            with lease.acquire(7, "sia_import", name):
                outcomes.append(("held", name))
                release.wait(5)
        except lease.AlreadyRunning:
            outcomes.append(("refused", name))
            release.set()
        finally:
            database.close()

    threads = [threading.Thread(target=contend, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(kind for kind, _ in outcomes) == ["held", "refused"]
    database.connect(reuse_if_open=True)
    assert not RunLease.select().exists()
