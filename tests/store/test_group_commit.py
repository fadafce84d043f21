"""store.group_commit: rows from many threads committed together, none lost, failures reported to every caller."""
import threading
import time

import pytest

from store.group_commit import GroupCommit
from store.models import Notification
from tests import factories as f


def _notifications(rows):
    Notification.insert_many(rows).execute()


def _in_threads(count, target):
    """Run `target(i)` in `count` threads, each with its own connection; returns what each returned or raised."""
    import store

    results = [None] * count

    def run(i):
        with store.database.connection_context():
            try:
                results[i] = target(i)
            except Exception as exc:  # noqa: BLE001 - the test looks at what each caller got
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "a caller never got an answer"
    return results


def _wait_until(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_every_row_submitted_from_many_threads_is_committed_and_none_is_lost(db):
    org = f.organisation()
    group = GroupCommit(_notifications)

    def submit(i):
        for n in range(25):
            group.submit({"organisation": org.id, "kind": "safety_reject", "message": f"{i}-{n}"})

    assert _in_threads(12, submit) == [None] * 12
    messages = [n.message for n in Notification.select(Notification.message)]
    assert sorted(messages) == sorted(f"{i}-{n}" for i in range(12) for n in range(25))


class _GatedWrites:
    """A write function whose first batch waits for the test to open the gate; later batches do `then`."""

    def __init__(self, then=None):
        self.batches, self.started, self.gate, self.then = [], threading.Event(), threading.Event(), then

    def __call__(self, rows):
        self.batches.append([row["message"] for row in rows])
        if len(self.batches) == 1:
            self.started.set()
            assert self.gate.wait(10)
        elif self.then is not None:
            self.then(rows)


def _queue_behind_a_slow_batch(writes, queued=3):
    """One caller writing a batch held at the gate, `queued` more waiting behind it; returns their results."""
    group = GroupCommit(writes)
    results = {}

    def first():
        results["first"] = _in_threads(1, lambda i: group.submit({"message": "first"}))[0]

    leader = threading.Thread(target=first)
    leader.start()
    assert writes.started.wait(10)
    waiting = threading.Thread(
        target=lambda: results.update(queued=_in_threads(queued, lambda i: group.submit({"message": f"queued-{i}"})))
    )
    waiting.start()
    _wait_until(lambda: len(group._queue) == queued)
    writes.gate.set()
    leader.join(30)
    waiting.join(30)
    return results


def test_rows_queued_while_a_batch_is_written_are_all_written_in_the_next_batch(db):
    writes = _GatedWrites()
    results = _queue_behind_a_slow_batch(writes)
    assert results == {"first": None, "queued": [None, None, None]}
    assert writes.batches[0] == ["first"]
    assert sorted(writes.batches[1]) == ["queued-0", "queued-1", "queued-2"]
    assert len(writes.batches) == 2


def test_when_a_batch_fails_every_caller_whose_row_it_held_gets_the_error(db):
    def fail(rows):
        raise RuntimeError("disk full")

    writes = _GatedWrites(then=fail)
    results = _queue_behind_a_slow_batch(writes)
    assert results["first"] is None  # its own batch was written
    assert [type(e) for e in results["queued"]] == [RuntimeError] * 3
    assert all("disk full" in str(e) for e in results["queued"])


def test_after_a_failed_batch_the_next_callers_are_written_again(db):
    org = f.organisation()
    failures = iter([RuntimeError("database is locked")])

    def flaky(rows):
        error = next(failures, None)
        if error is not None:
            raise error
        _notifications(rows)

    group = GroupCommit(flaky)
    row = {"organisation": org.id, "kind": "safety_reject", "message": "m"}
    with pytest.raises(RuntimeError, match="database is locked"):
        group.submit(row)
    group.submit(row)
    assert Notification.select().count() == 1


def test_inside_a_transaction_a_row_is_written_at_once_and_stands_or_falls_with_it(db):
    org = f.organisation()
    batches = []

    def write(rows):
        batches.append(len(rows))
        _notifications(rows)

    group = GroupCommit(write)
    with db.atomic() as transaction:
        group.submit({"organisation": org.id, "kind": "safety_reject", "message": "rolled back"})
        assert batches == [1]
        transaction.rollback()
    assert Notification.select().count() == 0
