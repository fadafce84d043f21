"""The jobs Tether runs on a schedule, by name, and the one way each runs for an organisation.

`run_one(job, organisation, …)` is the path every scheduled run takes: the sweep (jobs/sweep.py) calls
it for the organisation it claimed, and `tether jobs run NAME [--org ID]` calls it for each
organisation it covers. It calls the same sync service as the console and the CLI, so it takes the
same per-(organisation, kind) lease: a run of that kind already in progress makes it `busy`. It then
writes the outcome to the organisation's JobSchedule row: the run, the failures in a row, and when the
job is next due.

The SIMS drop-folder check is not scheduled per organisation: it looks at whichever folders hold a new
export, every minute, in every process (jobs/sims_drop.py).
"""
import datetime
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from jobs import sims_drop
from store.models import JobSchedule, Organisation, SiaConnection, now
from sync import leavers, purge, runs, sia_import
from sync.lease import AlreadyRunning

log = logging.getLogger(__name__)

ACTOR = "scheduler"
# The daily jobs run at a time of the schools' day, whatever the server's clock says.
SCHOOL_TIME = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Outcome:
    organisation_id: int | None
    status: str  # succeeded, failed, halted, or busy when a run of that kind was already in progress
    run_id: int | None = None
    message: str = ""
    counts: dict | None = None
    took_over: dict | None = None  # {run_id, why} of an abandoned run whose lease this run took over

    def to_dict(self):
        return {
            "organisation_id": self.organisation_id,
            "status": self.status,
            "run_id": self.run_id,
            "message": self.message,
            "counts": self.counts or {},
        }


@dataclass(frozen=True)
class Job:
    """A job. A scheduled one runs per organisation: `work(organisation, actor=, trigger=)` returns the
    run's result, `covers()` is the query of the organisations it runs for on schedule, and it is due
    `every` so often or daily at `daily_at` (school time). Otherwise `work(app)` returns its outcomes."""

    name: str
    description: str
    schedule: str
    kind: str  # the SyncRun kind of its runs
    work: object
    covers: object = None
    every: datetime.timedelta | None = None
    daily_at: datetime.time | None = None

    @property
    def per_organisation(self):
        return self.covers is not None

    def next_due(self, after):
        """When the job is next due after it ran at `after` (naive UTC, as the database keeps times)."""
        if self.every is not None:
            return after + self.every
        local = after.replace(tzinfo=datetime.timezone.utc).astimezone(SCHOOL_TIME)
        due = datetime.datetime.combine(local.date(), self.daily_at, tzinfo=SCHOOL_TIME)
        if due <= local:
            due = datetime.datetime.combine(local.date() + datetime.timedelta(days=1), self.daily_at, tzinfo=SCHOOL_TIME)
        return due.astimezone(datetime.timezone.utc).replace(tzinfo=None)

    def first_due(self, organisation_id, at):
        """When a newly scheduled organisation is first due: a daily job at its next time; an interval
        job somewhere in its first interval, spread by organisation id, so that a deployment scheduling
        thousands of schools at once does not make them all due together."""
        if self.every is None:
            return self.next_due(at)
        spread = (organisation_id * 0.6180339887498949) % 1.0
        return at + self.every * spread

    def run(self, app, organisation=None, *, actor=ACTOR, trigger="schedule"):
        """Run the job now: for `organisation`, else for every organisation it covers; [Outcome]."""
        if not self.per_organisation:
            if organisation is not None:
                raise JobRefused(f"the {self.name} job covers every organisation at once; run it without --org")
            return self.work(app)
        if organisation is None:
            organisations = list(self.covers().order_by(Organisation.id))
        elif trigger == "schedule" and not self.covers().where(Organisation.id == organisation.id).exists():
            organisations = []  # the schedule leaves alone an organisation its job does not cover (not active)
        else:
            organisations = [organisation]
        return [run_one(self, each, actor=actor, trigger=trigger) for each in organisations]


class JobRefused(Exception):
    """A job cannot run as asked; the message says why."""


def connected_organisations():
    """Organisations whose imports run on schedule: `active` (DESIGN §12) and with a Sign In App
    connection of their own or through their trust."""
    return Organisation.scheduled().where(
        Organisation.id.in_(SiaConnection.select(SiaConnection.organisation).where(SiaConnection.organisation.is_null(False)))
        | Organisation.trust.in_(SiaConnection.select(SiaConnection.trust).where(SiaConnection.trust.is_null(False)))
    )


def every_organisation():
    return Organisation.select()


def run_one(job, organisation, *, actor=ACTOR, trigger="schedule"):
    """Run a per-organisation `job` for `organisation` under its lease, record the outcome on the
    organisation's schedule, and return it. One school's failure never stops the caller's others: an
    unexpected error fails the run (its guard says so on the run) and comes back as a failed outcome."""
    try:
        result = job.work(organisation, actor=actor, trigger=trigger)
    except AlreadyRunning as error:
        outcome = Outcome(organisation.id, "busy", message=str(error))
    except Exception as error:
        log.exception("The %s job for organisation %s stopped", job.name, organisation.id)
        outcome = Outcome(organisation.id, "failed", message=runs.stopped_message(job.kind, error))
    else:
        outcome = Outcome(organisation.id, result.status, result.run.id, result.message, result.counts,
                          runs.took_over(result.run))
    JobSchedule.record(organisation.id, job.name, outcome.status, outcome.run_id, job.next_due(now()))
    return outcome


def _sims_drop(app):
    return [
        Outcome(drop.organisation_id, drop.status, drop.run_id, f"{drop.file_name}: {drop.message}".rstrip(": "),
                took_over=drop.took_over)
        for drop in sims_drop.import_new_drops(app)
    ]


JOBS = {
    job.name: job
    for job in (
        Job("sia_import", "Import Sign In App members into each active, connected organisation", "every 15 minutes",
            sia_import.KIND, sia_import.import_organisation, connected_organisations,
            every=datetime.timedelta(minutes=15)),
        Job("sims_drop", "Import new SIMS exports from the organisations' drop folders", "every minute",
            "sims_students", _sims_drop),
        Job("sever_leavers", "Sever the links of profiles whose leaving date has come", "daily at 01:30 UK time",
            leavers.KIND, leavers.sever_leavers, every_organisation, daily_at=datetime.time(1, 30)),
        Job("purge_deleted", "Purge profiles deleted more than 90 days ago (exclusions stay)", "daily at 02:30 UK time",
            purge.KIND, purge.purge_deleted, every_organisation, daily_at=datetime.time(2, 30)),
    )
}
SCHEDULED = tuple(job for job in JOBS.values() if job.per_organisation)


def get(name):
    job = JOBS.get(name)
    if job is None:
        raise JobRefused(f"there is no job called '{name}'; the jobs are: {', '.join(JOBS)}")
    return job
