"""The jobs Tether runs on a schedule, by name: the scheduler and `tether jobs run NAME [--org ID]` both call them.

Each job calls the same sync service as the console and the CLI, so it takes the same per-(organisation,
kind) lease: a job that finds a run of its kind in progress for an organisation reports it `busy` and
moves on to the next organisation. Each returns one Outcome per organisation it looked at.
"""
from dataclasses import dataclass

from jobs import sims_drop
from store.models import Organisation, SiaConnection
from sync import leavers, purge, sia_import
from sync.lease import AlreadyRunning

ACTOR = "scheduler"


@dataclass(frozen=True)
class Outcome:
    organisation_id: int | None
    status: str  # succeeded, failed, halted, or busy when a run of that kind was already in progress
    run_id: int | None = None
    message: str = ""
    counts: dict | None = None

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
    name: str
    description: str
    schedule: str
    per_organisation: bool
    function: object  # (app, organisations, actor, trigger) -> [Outcome]

    def run(self, app, organisation=None, *, actor=ACTOR, trigger="schedule"):
        if organisation is not None and not self.per_organisation:
            raise JobRefused(f"the {self.name} job covers every organisation at once; run it without --org")
        organisations = [organisation] if organisation is not None else None
        return self.function(app, organisations, actor, trigger)


class JobRefused(Exception):
    """A job cannot run as asked; the message says why."""


def connected_organisations():
    """Organisations whose imports run on schedule: `active` (DESIGN §12) and with a Sign In App
    connection of their own or through their trust."""
    return list(
        Organisation.scheduled()
        .where(
            Organisation.id.in_(SiaConnection.select(SiaConnection.organisation).where(SiaConnection.organisation.is_null(False)))
            | Organisation.trust.in_(SiaConnection.select(SiaConnection.trust).where(SiaConnection.trust.is_null(False)))
        )
        .order_by(Organisation.id)
    )


def _each(organisations, call):
    outcomes = []
    for organisation in organisations:
        try:
            result = call(organisation)
        except AlreadyRunning as error:
            outcomes.append(Outcome(organisation.id, "busy", message=str(error)))
            continue
        outcomes.append(Outcome(organisation.id, result.status, result.run.id, result.message, result.counts))
    return outcomes


def _sia_import(app, organisations, actor, trigger):
    if trigger == "schedule" and organisations:
        # An organisation paused (or not yet started) since its job was added is left alone.
        organisations = [o for o in organisations if o.state == "active"]
        if not organisations:
            return []
    return _each(
        organisations or connected_organisations(),
        lambda organisation: sia_import.import_organisation(organisation, actor=actor, trigger=trigger),
    )


def _sever_leavers(app, organisations, actor, trigger):
    return _each(
        organisations or Organisation.select().order_by(Organisation.id),
        lambda organisation: leavers.sever_leavers(organisation, actor=actor, trigger=trigger),
    )


def _purge_deleted(app, organisations, actor, trigger):
    return _each(
        organisations or Organisation.select().order_by(Organisation.id),
        lambda organisation: purge.purge_deleted(organisation, actor=actor, trigger=trigger),
    )


def _sims_drop(app, organisations, actor, trigger):
    return [
        Outcome(drop.organisation_id, drop.status, drop.run_id, f"{drop.file_name}: {drop.message}".rstrip(": "))
        for drop in sims_drop.import_new_drops(app)
    ]


JOBS = {
    job.name: job
    for job in (
        Job("sia_import", "Import Sign In App members into each connected organisation", "every 15 minutes", True, _sia_import),
        Job("sims_drop", "Import new SIMS exports from the organisations' drop folders", "every minute", False, _sims_drop),
        Job("sever_leavers", "Sever the links of profiles whose leaving date has come", "daily at 01:30", True, _sever_leavers),
        Job("purge_deleted", "Purge profiles deleted more than 90 days ago (exclusions stay)", "daily at 02:30", True, _purge_deleted),
    )
}


def get(name):
    job = JOBS.get(name)
    if job is None:
        raise JobRefused(f"there is no job called '{name}'; the jobs are: {', '.join(JOBS)}")
    return job
