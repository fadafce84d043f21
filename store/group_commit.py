"""Group commit: rows that many request threads write at once go to the database in one statement.

The safety check records a Notification for most sign-ins, and every one must be committed before
Sign In App gets its answer. Written one by one from the request threads, those inserts queue for
SQLite's single write lock: a writer that finds it taken sleeps in SQLite's busy handler (1, 2, 5 …
100 ms) however soon it is free again, and one that queues on a lock of the process instead holds it
while waiting for the GIL at every call into SQLite, so the queue only grows. Grouped, the rows that
arrive while one batch is being written are all written by the next, in one statement, and the busier
the endpoint the bigger the batches.

`GroupCommit(write).submit(row)` returns once `row` is committed, or raises what its batch raised. The
first caller finds no batch being written and writes one itself (the *leader*), with every row queued
by then; callers arriving meanwhile queue their row and wait. A leader writes one batch only: if rows
queued while it wrote, it hands the lead to the first of their callers, so no request waits for more
than the batch before its own. Nothing is written from a thread of its own, so nothing outlives the
requests or needs stopping.

A caller inside a transaction writes its row at once, in that transaction: its row must stand or fall
with the rest of it, and it may already hold the database's write lock.
"""
import copy
import threading

from .db import database

MAX_BATCH = 100


class _Entry:
    __slots__ = ("row", "turn", "state", "error")

    def __init__(self, row):
        self.row = row
        # Held until the entry's turn comes: its caller waits to acquire it, and `tell` releases it (a
        # bare lock is the cheapest hand-over there is; an Event builds a Condition and a lock per wait).
        self.turn = threading.Lock()
        self.turn.acquire()
        self.state = None  # "done" or "lead", set before the turn comes
        self.error = None

    def wait(self):
        self.turn.acquire()

    def tell(self, state, error=None):
        self.state, self.error = state, error
        self.turn.release()


class GroupCommit:
    """Rows written together by `write(rows)`, which must write all of them in one transaction."""

    def __init__(self, write, max_batch=MAX_BATCH):
        self._write = write
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue = []
        self._leading = False

    def submit(self, row):
        """Write `row`; returns once it is committed, or raises the error that stopped its batch."""
        if database.obj.in_transaction():
            self._write([row])
            return
        entry = _Entry(row)
        with self._lock:
            self._queue.append(entry)
            lead = not self._leading
            self._leading = True
        if not lead:
            entry.wait()
            if entry.state == "done":
                if entry.error is not None:
                    raise _own(entry.error) from entry.error
                return
        self._lead(entry)

    def _lead(self, entry):
        """Write the queued rows (`entry`'s first among them), tell their callers, pass the lead on."""
        with self._lock:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
        error = RuntimeError("The batch holding this row was not written: its writer was interrupted.")
        try:
            self._write([e.row for e in batch])
            error = None
        except Exception as exc:  # every caller of the batch hears of it; the leader raises it as it is
            error = exc
            raise
        finally:
            for waiting in batch:
                if waiting is not entry:
                    waiting.tell("done", error)
            with self._lock:
                if self._queue:
                    self._queue[0].tell("lead")
                else:
                    self._leading = False


def _own(error):
    """A copy of `error` for one waiting caller to raise: one exception object raised in many threads at
    once would tangle their tracebacks."""
    try:
        return copy.copy(error)
    except Exception:
        return RuntimeError(f"The batch holding this row was not written: {error}")
