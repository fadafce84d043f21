"""One run per (organisation, kind) at a time, across processes: a lease row in the database.

    with lease.acquire(organisation.id, "sims_students", lease.default_holder(), ttl=1800) as held:
        held.attach(run)   # optional: show which run holds it
        held.renew()       # optional: a long run extends its lease before it expires

`acquire` inserts the RunLease row; the unique (organisation_id, kind) index makes a second insert
fail. A row whose holder is dead is taken over at once by a conditional UPDATE that only one
contender can win. How a holder is known dead:

- PostgreSQL: every holder also holds a session-level advisory lock for its (organisation, kind), on a
  connection of its own, taken before the row is written and let go after it is deleted. The lock dies
  with its holder's connection (`kill -9`, a crash, a host gone), so a contender that can take it knows
  that any row it finds was left by a dead holder, whatever host that ran on.
- SQLite (one host): the holder's process no longer exists; or, as a last resort, the row has expired.

The run the dead holder was running is marked `abandoned`, with when and why, so it never stays
"running"; the new holder's `took_over` names it (`Abandoned(run_id, why)`), so whoever started the
new run can say so. Leaving the block deletes the row if this holder still owns it. Call it outside
any transaction, so that other processes see the lease at once.
"""
import datetime
import hashlib
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from typing import NamedTuple

import psycopg
from peewee import IntegrityError

from store import database, is_postgres
from store.models import RunLease, SyncRun, now


class AlreadyRunning(Exception):
    """Another holder has the lease: the message names the kind, the organisation and until when."""

    def __init__(self, kind, organisation_id, holder=None, expires_at=None):
        self.kind = kind
        self.organisation_id = organisation_id
        self.holder = holder
        self.expires_at = expires_at
        whom = f"organisation {organisation_id}" if organisation_id else "every organisation"
        until = f" until {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else ""
        super().__init__(
            f"a {kind} run for {whom} is already running ({holder or 'another process'} holds it{until}); "
            "wait for it to finish, then try again"
        )


class Abandoned(NamedTuple):
    """The run a new holder found abandoned by its dead holder, and why it is known dead."""

    run_id: int
    why: str


class LeaseLost(Exception):
    """The lease expired and another holder took it over while this one was still running."""


def default_holder():
    """Who holds a lease: host, process and thread, plus a random part so two acquisitions never match."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


def _process_of(holder):
    """(host, pid) of a holder named by `default_holder`, or None for a holder named otherwise."""
    parts = holder.rsplit(":", 3)
    if len(parts) != 4 or not parts[1].isascii() or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


def holder_is_gone(holder):
    """Whether `holder` was a process of this host that no longer exists.

    Only a process of this host can be asked; a holder elsewhere is judged by its lease's expiry. A
    reused pid makes a dead holder look alive: the lease then waits for its expiry, the safe side.
    """
    process = _process_of(holder)
    if process is None or process[0] != socket.gethostname() or process[1] == os.getpid():
        return False
    try:
        os.kill(process[1], 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _seconds(ttl):
    return ttl if isinstance(ttl, datetime.timedelta) else datetime.timedelta(seconds=ttl)


class _LockConnections:
    """Connections of this process kept for the leases' advisory locks, per database.

    A lease's lock lives on a connection of its own (so it dies with the holder whatever the app's pool
    does); opening one per run costs PostgreSQL a new backend each time, and a process sweeping many
    organisations runs one after another. A released lock's connection, unlocked, waits here for the next
    lease. Keyed by process too: a forked child never uses its parent's connections."""

    KEPT = 4  # idle connections kept per database

    def __init__(self):
        self._idle = {}
        self._guard = threading.Lock()

    @staticmethod
    def _key(db):
        return (os.getpid(), db.database, tuple(sorted((k, str(v)) for k, v in db.connect_params.items())))

    def borrow(self, db):
        """An idle connection to `db` (checked alive), else a new one."""
        with self._guard:
            idle = self._idle.get(self._key(db), [])
            connection = idle.pop() if idle else None
        if connection is not None and not connection.closed:
            return connection
        return psycopg.connect(dbname=db.database, **db.connect_params, autocommit=True)

    def give_back(self, db, connection):
        """Keep `connection` (holding no lock) for the next lease, or close it when enough are kept."""
        with self._guard:
            idle = self._idle.setdefault(self._key(db), [])
            if len(idle) < self.KEPT and not connection.closed:
                idle.append(connection)
                return
        connection.close()


_lock_connections = _LockConnections()


DEAD_SESSION_GRACE = 1.0  # seconds: how long a refused lock is asked for again (see _SessionLock.take)


class _SessionLock:
    """PostgreSQL: the advisory lock that says a lease's holder is alive, on a connection of its own."""

    def __init__(self, organisation_id, kind):
        digest = hashlib.blake2b(f"tether lease {organisation_id} {kind}".encode(), digest_size=8).digest()
        self.key = int.from_bytes(digest, "big", signed=True)
        self._db = None
        self._connection = None

    def take(self, grace=DEAD_SESSION_GRACE):
        """Whether this process now holds the lock (False: a live holder has it).

        A holder killed a moment ago still holds it until the server notices its connection closed (a few
        milliseconds, longer on a busy machine), so a refusal is asked again for up to `grace` seconds."""
        self._db = database.obj
        try:
            connection = _lock_connections.borrow(self._db)
            taken = self._try(connection)
        except psycopg.OperationalError:  # a kept connection the server has since closed: a new one
            connection = psycopg.connect(dbname=self._db.database, **self._db.connect_params, autocommit=True)
            taken = self._try(connection)
        deadline = time.monotonic() + grace
        while not taken and time.monotonic() < deadline:
            time.sleep(0.05)
            taken = self._try(connection)
        if taken:
            self._connection = connection
        else:
            _lock_connections.give_back(self._db, connection)
        return taken

    def _try(self, connection):
        (taken,) = connection.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        return taken

    def release(self):
        if self._connection is None:
            return
        connection, self._connection = self._connection, None
        try:
            connection.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        except psycopg.Error:
            connection.close()  # the session, and its lock, are gone with it
            return
        _lock_connections.give_back(self._db, connection)


class Lease:
    """A lease this process holds."""

    def __init__(self, organisation_id, kind, holder, ttl, took_over=None):
        self.organisation_id = organisation_id
        self.kind = kind
        self.holder = holder
        self.ttl = ttl
        self.took_over = took_over  # Abandoned: the dead holder's run this lease took over, or None

    def _mine(self):
        return (
            (RunLease.organisation_id == self.organisation_id)
            & (RunLease.kind == self.kind)
            & (RunLease.holder == self.holder)
        )

    def renew(self, ttl=None):
        """Push the expiry `ttl` (default: the original) from now; LeaseLost if another holder has taken it."""
        with database.atomic():
            updated = RunLease.update(expires_at=now() + (_seconds(ttl) if ttl else self.ttl)).where(self._mine()).execute()
        if not updated:
            raise LeaseLost(f"the {self.kind} lease of organisation {self.organisation_id} was taken over by another run")

    def attach(self, run):
        """Record which SyncRun holds the lease, so a person can see what is running."""
        with database.atomic():
            RunLease.update(run=run).where(self._mine()).execute()

    def release(self):
        with database.atomic():
            RunLease.delete().where(self._mine()).execute()


def _insert(organisation_id, kind, holder, expires_at):
    try:
        with database.atomic():
            RunLease.insert(
                organisation_id=organisation_id, kind=kind, holder=holder, acquired_at=now(), expires_at=expires_at
            ).execute()
        return True
    except IntegrityError:
        return False


def _why_dead(current, holder_died):
    """Why the holder of `current` (a lease row) is dead, in words; None while it is alive.
    `holder_died`: known already (the PostgreSQL session lock was free)."""
    if holder_died or holder_is_gone(current.holder):
        return f"the process running it ({current.holder.rsplit(':', 2)[0]}) stopped without finishing it"
    if current.expires_at < now():
        return f"its lease expired at {current.expires_at:%Y-%m-%d %H:%M} UTC without being renewed"
    return None


def _take_over(current, holder, expires_at, why):
    """Take the dead holder's `current` row for `holder` and mark the run it held abandoned.

    Returns (taken, abandoned): taken is False when another contender took it first (the UPDATE applies
    only to that same holder's row, so exactly one wins); abandoned is the `Abandoned` run, or None when
    the dead holder had no run still running."""
    moment = now()
    abandoned = 0
    with database.atomic():
        taken = (
            RunLease.update(holder=holder, acquired_at=moment, expires_at=expires_at, run=None)
            .where(
                (RunLease.organisation_id == current.organisation_id)
                & (RunLease.kind == current.kind)
                & (RunLease.holder == current.holder)
            )
            .execute()
        )
        if taken and current.run_id is not None:
            abandoned = SyncRun.update(
                status="abandoned", finished_at=moment,
                error=f"Abandoned: {why}. The next run took over on {moment:%d %b %Y at %H:%M} UTC; run it again if it did not finish.",
            ).where((SyncRun.id == current.run_id) & (SyncRun.status == "running")).execute()
    return bool(taken), Abandoned(current.run_id, why) if abandoned else None


@contextmanager
def acquire(organisation_id, kind, holder=None, ttl=1800):
    """Hold the (organisation_id, kind) lease for the block; AlreadyRunning if someone else holds it.

    `organisation_id` 0 stands for runs that span every organisation; `ttl` is seconds or a timedelta.
    """
    organisation_id = organisation_id or 0
    holder = holder or default_holder()
    ttl = _seconds(ttl)
    expires_at = now() + ttl
    session = _SessionLock(organisation_id, kind) if is_postgres() else None
    if session is not None and not session.take():
        current = RunLease.get_or_none((RunLease.organisation_id == organisation_id) & (RunLease.kind == kind))
        raise AlreadyRunning(kind, organisation_id, *((current.holder, current.expires_at) if current else ()))
    try:
        took_over = _hold_row(organisation_id, kind, holder, expires_at, holder_died=session is not None)
        held = Lease(organisation_id, kind, holder, ttl, took_over)
        try:
            yield held
        finally:
            held.release()
    finally:
        if session is not None:
            session.release()


def _hold_row(organisation_id, kind, holder, expires_at, holder_died):
    """Write the lease row for `holder`, taking over a dead holder's; AlreadyRunning if a live one has it.
    Returns the `Abandoned` run of the dead holder it took over, or None."""
    # Three tries cover the holder releasing, or another contender taking over, between our failed
    # insert and our look at its row.
    for _ in range(3):
        if _insert(organisation_id, kind, holder, expires_at):
            return None
        current = RunLease.get_or_none((RunLease.organisation_id == organisation_id) & (RunLease.kind == kind))
        if current is None:
            continue
        why = _why_dead(current, holder_died)
        if why is None:
            raise AlreadyRunning(kind, organisation_id, current.holder, current.expires_at)
        taken, abandoned = _take_over(current, holder, expires_at, why)
        if taken:
            return abandoned
    raise AlreadyRunning(kind, organisation_id)
