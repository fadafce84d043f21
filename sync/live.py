"""Live groups (DESIGN §12 item 5): Sign In App's groups as they are now, not as the last import saw them.

"Link the group, then refresh the page" (set-up help, step 2). The pages that list an organisation's
linked groups — the profile type map (mapping rules) with its validation and preview, and diagnostics —
read the connection's groups from Sign In App as they load, through the mirror's own reader and writer
(`mirror.read_groups`, `mirror.store_groups`), so the SiaGroup rows the rest of Tether reads agree with
what the page shows. `GroupReads` remembers, per connection and for at most a minute, that this was done
(and what came of it), so typing a rule does not ask Sign In App at every keystroke.

Which groups are linked is Tether's own record (sync.group_links); a read takes a link from Sign In
App's integration settings only where no one has decided otherwise. The safety check reads one group
again (`read_group_for_sign_in`) before answering when it has never seen the group or last read it more
than `SETTINGS_FRESH_FOR` ago: a group switched to "Reject" rejects
at the next sign-in. Concurrent sign-ins to the same stale group wait for one read.

Sign In App not answering never stops a page or a sign-in: the mirror answers, and the words say so.
"""
import datetime
import logging
import threading
import time
from dataclasses import dataclass, field

import httpx
from peewee import IntegrityError

from connectors.sia import SiaError, client_for
from store import database
from store.models import SiaConnection, SiaGroup
from store.sealed import SecretUnreadable

from . import group_links, mirror

log = logging.getLogger(__name__)

GROUPS_KEPT_FOR = 60.0  # seconds a page may show a connection's groups as read before, without asking again
SETTINGS_FRESH_FOR = datetime.timedelta(minutes=5)  # the safety check reads a group older than this again
# A person is waiting for the page, a member at the door for the sign-in: one quick attempt each, and a
# Sign In App asking us to slow down is not waited for.
PAGE_TIMEOUT = httpx.Timeout(5.0, connect=3.0)
SIGN_IN_TIMEOUT = httpx.Timeout(3.0, connect=2.0)


@dataclass
class LinkedGroups:
    """An organisation's linked groups (returning, linked to it, still in Sign In App) by name, and
    `problem`: None when they were read from Sign In App within the minute, else why they are as
    Tether last saw them, in words."""

    groups: list = field(default_factory=list)
    problem: str | None = None
    connected: bool = True  # whether the organisation has a Sign In App connection at all

    @property
    def names(self):
        return [group.name for group in self.groups]


def _when(moment):
    return f"{moment:%d %b %Y %H:%M} UTC"


def _not_read(connection, error):
    """The words for a page whose groups could not be read from Sign In App just now."""
    log.warning("Live groups of connection %s not read: %s", connection.id, error)
    moment = SiaGroup.select(SiaGroup.seen_at).where(SiaGroup.connection == connection).order_by(
        SiaGroup.seen_at.desc()
    ).scalar()
    shown = f"the groups shown are as Tether last read them ({_when(moment)})" if moment else "Tether has never read its groups"
    return f"Sign In App could not be asked for its groups just now, so {shown}. {error}"


def read_groups(connection):
    """Read every group of `connection` from Sign In App into the mirror now.

    Returns None, or the words saying why the groups could not be read (the mirror is then unchanged)."""
    try:
        with client_for(connection, timeout=PAGE_TIMEOUT, retry_delays=(), max_throttled=0) as client:
            snapshot = mirror.read_groups(client)
    except (SiaError, SecretUnreadable) as error:
        return _not_read(connection, error)
    try:
        with database.atomic():
            mirror.store_groups(connection, snapshot)
    except IntegrityError as error:  # e.g. a group linked to an organisation Central Record no longer has
        return _not_read(connection, f"What Sign In App sent could not be kept: {error}.")
    return None


class GroupReads:
    """When each connection's groups were last read from Sign In App in this process, and what came of
    it, kept `kept_for` seconds (the console keeps one per app)."""

    def __init__(self, kept_for=GROUPS_KEPT_FOR, clock=time.monotonic):
        self.kept_for = kept_for
        self.clock = clock
        self._last = {}  # connection id → (clock reading when the read started, problem or None)
        self._lock = threading.Lock()

    def refresh(self, connection):
        """Read `connection`'s groups into the mirror unless that was done less than `kept_for` ago.

        Returns None, or why the mirror could not be brought up to date (kept as long as a success)."""
        started = self.clock()
        with self._lock:
            kept = self._last.get(connection.id)
        if kept is not None and started - kept[0] < self.kept_for:
            return kept[1]
        problem = read_groups(connection)
        with self._lock:
            self._last[connection.id] = (started, problem)
        return problem


def linked_groups(organisation, reads):
    """`organisation`'s linked groups, read from Sign In App through `reads` (a GroupReads) first."""
    connection = SiaConnection.for_organisation(organisation)
    if connection is None:
        problem = f"{organisation.name} has no Sign In App connection yet, so no group can be linked to it."
    else:
        problem = reads.refresh(connection)
    groups = list(SiaGroup.synced_for(organisation).order_by(SiaGroup.name))
    return LinkedGroups(groups, problem, connected=connection is not None)


_SIGN_IN_LOCKS = {}  # (connection id, SIA group id) → the lock one sign-in holds while it reads the group
_SIGN_IN_LOCKS_LOCK = threading.Lock()


def read_group_for_sign_in(connection_id, group_id, fresh_since):
    """Bring the mirror of Sign In App group `group_id` of connection `connection_id` up to date for a
    sign-in, unless it was read at `fresh_since` or later (by another sign-in, meanwhile).

    Returns "" when the mirror is now fresh; else the words for the safety check's answer saying that
    Sign In App could not be reached and what Central Record answers from (the reason goes to the log).
    """
    with _SIGN_IN_LOCKS_LOCK:
        lock = _SIGN_IN_LOCKS.setdefault((connection_id, group_id), threading.Lock())
    with lock:
        seen_at = SiaGroup.select(SiaGroup.seen_at).where(
            (SiaGroup.connection == connection_id) & (SiaGroup.sia_id == group_id)
        ).scalar()
        if seen_at is not None and seen_at >= fresh_since:
            return ""
        connection = SiaConnection.get_by_id(connection_id)
        try:
            with client_for(connection, timeout=SIGN_IN_TIMEOUT, retry_delays=(), max_throttled=0) as client:
                group = mirror.read_group(client, group_id, [])
        except (SiaError, SecretUnreadable) as error:
            log.warning("Sign In App group %s of connection %s not read for a sign-in: %s", group_id, connection_id, error)
            if seen_at is None:
                return f"Central Record could not read the group from Sign In App either: {error}"
            return (
                "Central Record could not read this group's current settings from Sign In App, so it answered "
                f"from the settings it last read ({_when(seen_at)})."
            )
        try:
            with database.atomic():
                mirror.store_group(connection, group)
                group_links.adopt(connection, group_links.adoptions(connection, [group]))
        except IntegrityError as error:
            log.warning("Sign In App group %s of connection %s not kept for a sign-in: %s", group_id, connection_id, error)
            return "Central Record could not keep what Sign In App sent for this group, so it answered from what it had."
        return ""
