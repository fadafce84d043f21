"""The life of a SyncRun: started under its (organisation, kind) lease, progress, problems, finished or failed.

    with runs.running(organisation, "sia_import", actor="cli", trigger="cli") as tracker:
        tracker.progress(0, total)
        tracker.problem("42", "Ada Lovelace", "held", "what happened and what to do")
        return tracker.finish(counts)           # or tracker.fail("what went wrong and what to do")

`running` raises `lease.AlreadyRunning` when another run of that kind holds the organisation. Progress
and problems are written in their own short transactions, so the console sees them while the run
works. A run that ends on an unexpected exception is marked failed before the exception goes on, and
every failure leaves a notification for the organisation and an audit event.
`start` does the same for a run that carries on in another thread (the console's "run now").
The first Sign In App import or push a person starts makes its organisation active (sync/integration.py).

A run that did its work but left something a person must decide finishes `needs_attention`
(`tracker.finish(counts, attention=[what, in words])`): it tells the organisation once, the console
shows what to look at, and the CLI exits 1 with it.
"""
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from peewee import chunked

from store import database
from store.models import AuditEvent, Notification, RunProblem, SyncRun, now

from . import integration, lease

NEEDS_ATTENTION = "needs_attention"  # the run did its work; SyncRun.attention says what a person must look at
LEASE_SECONDS = 30 * 60
RENEW_EVERY_SECONDS = 60
PROGRESS_EVERY_SECONDS = 0.25

KIND_LABELS = {
    "sia_import": "Sign In App import",
    "sia_push": "Sign In App push",
    "sever_leavers": "Leaver severing",
    "purge_deleted": "Purge of deleted profiles",
    "sims_students": "SIMS import",
}

# What a run that stopped on an unexpected error has left, by kind, for its error message.
LEFT_BY_A_STOP = {
    "sims_students": "The import writes in one transaction, so it changed nothing; run it again once the cause is fixed.",
}
LEFT_BY_A_STOPPED_BATCH_RUN = (
    "Every batch written before it is kept; run it again to finish, and report the error if it repeats."
)


def stopped_message(kind, error):
    """The error of a run that an exception stopped: what it was and what the run has left.

    Any exception at all stops a run this way — a RecursionError or MemoryError, and also Ctrl-C
    (KeyboardInterrupt) or SystemExit in the CLI, which go on once the run is closed: a run left
    "running" would say so for good."""
    what = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return f"The run stopped on an unexpected error ({what}). {LEFT_BY_A_STOP.get(kind, LEFT_BY_A_STOPPED_BATCH_RUN)}"


@dataclass(frozen=True)
class Problem:
    """One record a run could not handle: which record, a code, and what to do about it."""

    external_id: str
    name: str
    code: str
    message: str

    def to_dict(self):
        return {"external_id": self.external_id, "name": self.name, "code": self.code, "message": self.message}


@dataclass
class RunResult:
    run: SyncRun
    status: str
    counts: dict
    problems: list = field(default_factory=list)
    message: str = ""

    def to_dict(self):
        return {"run_id": self.run.id, "status": self.status, "counts": self.counts}


def _actor(actor):
    return getattr(actor, "email", actor) or ""


class RunTracker:
    """Reports one run's progress, problems and outcome to its SyncRun row."""

    def __init__(self, run, held):
        self.run = run
        self._held = held
        self._pending = []
        self.problems = []
        self._renewed = time.monotonic()
        self._reported = None  # when progress was last written
        self.result = None

    def problem(self, external_id, name, code, message):
        found = Problem(str(external_id or ""), name or "", code, message)
        self._pending.append(found)
        self.problems.append(found)

    def add_problems(self, problems):
        for found in problems:
            self._pending.append(found)
            self.problems.append(found)

    def _flush_problems(self):
        for batch in chunked(self._pending, 500):
            RunProblem.insert_many([{"run": self.run.id, **found.to_dict()} for found in batch]).execute()
        self._pending = []

    def progress(self, done, total=None):
        """Record how far the run is; extends the lease now and then so a long run keeps it.

        Written at the start, at the end, with any new problems, and otherwise at most every
        PROGRESS_EVERY_SECONDS: the console polls about once a second, and a commit per batch cost an
        unchanged rerun more than applying the batch."""
        self.run.done = done
        if total is not None:
            self.run.total = total
        moment = time.monotonic()
        finished = self.run.total is not None and done >= self.run.total
        if self._pending or self._reported is None or finished or moment - self._reported >= PROGRESS_EVERY_SECONDS:
            with database.atomic():
                self._flush_problems()
                SyncRun.update(done=self.run.done, total=self.run.total).where(SyncRun.id == self.run.id).execute()
            self._reported = moment
        if time.monotonic() - self._renewed > RENEW_EVERY_SECONDS:
            self._held.renew()
            self._renewed = time.monotonic()

    def finish(self, counts, details=None, status="succeeded", message="", attention=()):
        """The run ended as planned; returns its RunResult.

        `attention` lists, in words, what a person must look at although the run did its work (a group
        held back because Sign In App answered it empty, profiles a push held back…): the run then
        finishes `needs_attention` with them as its message, and a real run tells the organisation unless
        its previous run of the kind already said the same."""
        attention = list(attention)
        if attention:
            status, message = NEEDS_ATTENTION, " ".join(attention)
            details = {**(details or {}), "attention": attention}
        with database.atomic():
            self._flush_problems()
            self.run.status, self.run.counts, self.run.finished_at = status, counts, now()
            self.run.details = {**(self.run.details or {}), **(details or {})}
            if status in SyncRun.DONE and not self.run.dry_run:
                self.run.done = self.run.total
            self.run.save()
            if attention and not self.run.dry_run and self.run.organisation_id is not None and not self._said_before(attention):
                Notification.create(
                    organisation=self.run.organisation_id,
                    kind="sync_needs_attention",
                    subject=f"{KIND_LABELS.get(self.run.kind, self.run.kind)} needs attention (run {self.run.id})",
                    message=message,
                )
            AuditEvent.record(
                f"{self.run.kind}.run" + (".dry_run" if self.run.dry_run else ""),
                actor=self.run.actor,
                organisation=self.run.organisation_id,
                subject=f"run:{self.run.id}",
                after={"status": status, "counts": counts},
                reason=message,
            )
        self.result = RunResult(self.run, status, counts, self.problems, message)
        return self.result

    def _said_before(self, attention):
        """Whether the organisation's previous real run of this kind finished needing the same attention:
        a scheduled import that finds the same empty group every 15 minutes tells the school once."""
        previous = (
            SyncRun.select()
            .where(
                (SyncRun.organisation == self.run.organisation_id) & (SyncRun.kind == self.run.kind)
                & (SyncRun.id != self.run.id) & (SyncRun.dry_run == False)  # noqa: E712
                & (SyncRun.status != "running")
            )
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .first()
        )
        return previous is not None and previous.status == NEEDS_ATTENTION and previous.attention == attention

    def fail(self, message, counts=None):
        """The run stopped: record why, tell the organisation, and return its RunResult."""
        with database.atomic():
            self._flush_problems()
            self.run.status, self.run.error, self.run.finished_at = "failed", message, now()
            self.run.counts = counts if counts is not None else (self.run.counts or {})
            self.run.save()
            if self.run.organisation_id is not None:
                Notification.create(
                    organisation=self.run.organisation_id,
                    kind="sync_failed",
                    subject=f"{KIND_LABELS.get(self.run.kind, self.run.kind)} failed (run {self.run.id})",
                    message=message,
                )
            AuditEvent.record(
                f"{self.run.kind}.run",
                actor=self.run.actor,
                organisation=self.run.organisation_id,
                subject=f"run:{self.run.id}",
                after={"status": "failed"},
                reason=message,
            )
        self.result = RunResult(self.run, "failed", self.run.counts, self.problems, message)
        return self.result


def took_over(run):
    """{run_id, why} of the abandoned run whose lease `run` took over when it started, or None."""
    return (run.details or {}).get("took_over")


def _begin(stack, organisation, kind, actor, trigger, dry_run, details):
    held = stack.enter_context(lease.acquire(organisation.id if organisation else 0, kind, ttl=LEASE_SECONDS))
    details = dict(details or {})
    if held.took_over is not None:
        # Kept on the run, so whoever started it (the CLI, a job) can say which run it took over.
        details["took_over"] = {"run_id": held.took_over.run_id, "why": held.took_over.why}
    with database.atomic():
        run = SyncRun.create(
            organisation=organisation,
            kind=kind,
            trigger=trigger,
            dry_run=dry_run,
            actor=_actor(actor),
            details=details,
        )
        integration.run_started(organisation, kind, actor=actor, trigger=trigger, dry_run=dry_run)
    held.attach(run)
    return RunTracker(run, held)


class _Guard:
    """Close a run that ends on an unexpected exception as failed, with the error in words."""

    def __init__(self, tracker):
        self.tracker = tracker

    def __enter__(self):
        return self.tracker

    def __exit__(self, kind, error, traceback):
        if error is not None and self.tracker.result is None:
            self.tracker.fail(stopped_message(self.tracker.run.kind, error))
        return False


@contextmanager
def running(organisation, kind, *, actor, trigger="manual", dry_run=False, details=None):
    """Hold the lease and a new SyncRun for the block; yields its RunTracker."""
    with ExitStack() as stack:
        tracker = _begin(stack, organisation, kind, actor, trigger, dry_run, details)
        with _Guard(tracker):
            yield tracker


class StartedRun:
    """A run whose lease is held and SyncRun created, to be carried on by `carry_on` (in any thread)."""

    def __init__(self, stack, tracker):
        self._stack = stack
        self.tracker = tracker
        self.run = tracker.run

    def carry_on(self, work):
        """Call `work(tracker)` under the guard, then release the lease whatever happens."""
        with self._stack, _Guard(self.tracker):
            return work(self.tracker)


def start(organisation, kind, *, actor, trigger="manual", dry_run=False, details=None):
    """Take the lease and create the SyncRun now (AlreadyRunning if busy); the work follows in `carry_on`."""
    stack = ExitStack()
    try:
        tracker = _begin(stack, organisation, kind, actor, trigger, dry_run, details)
    except BaseException:
        stack.close()
        raise
    return StartedRun(stack, tracker)


def in_background(app, started, work):
    """Carry a started run on in a daemon thread with its own app context and database connection."""

    def carry_on():
        with app.app_context(), database.connection_context():
            try:
                started.carry_on(work)
            except Exception:
                app.logger.exception("Run %s stopped on an unexpected error", started.run.id)

    thread = threading.Thread(target=carry_on, name=f"{started.run.kind}-run-{started.run.id}", daemon=True)
    thread.start()
    return thread


def runs_of(organisation, kinds=None):
    query = SyncRun.select().where(SyncRun.organisation == organisation)
    if kinds:
        query = query.where(SyncRun.kind.in_(kinds))
    return query.order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
