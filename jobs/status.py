"""What the scheduled work looks like across every organisation: the operations page and `tether jobs status`.

For each organisation: whether it is paused, when each scheduled job is next due, the run the schedule
(or `tether jobs run`) last made and how it ended, and how many runs in a row failed; and the runs
abandoned lately by a process that died. Names, times and statuses only: operational metadata, shown
to support across every organisation whatever access the schools have opened.

    {"organisations": [{"id", "name", "paused", "next_due": {JOB: time}, "last_run": {JOB: {"run_id",
      "status", "finished_at", "failures_in_a_row"}}, "failures_in_a_row"}], "abandoned_runs": [...]}

Times are UTC, ISO 8601. An organisation's `failures_in_a_row` is the most of any of its jobs.
"""
import datetime

from peewee import JOIN

from store.models import JobSchedule, Organisation, SyncRun, now

from . import registry

ABANDONED_DAYS = 30
ABANDONED_SHOWN = 100
SHOWS = ("all", "failing", "paused")


def organisations(show="all"):
    """The organisations to list, by name: all of them, those with a job failing, or the paused ones."""
    query = Organisation.select().order_by(Organisation.name, Organisation.id)
    if show == "failing":
        failing = JobSchedule.select(JobSchedule.organisation).where(JobSchedule.failures_in_a_row > 0)
        query = query.where(Organisation.id.in_(failing))
    elif show == "paused":
        query = query.where(Organisation.state == "paused")
    return query


def _time(moment):
    return f"{moment.isoformat(timespec='seconds')}Z" if moment is not None else None


def schedules_of(organisation_ids):
    """{organisation id: {job name: JobSchedule with its `last_run` read}} for the organisations
    (a list of ids, or a query of them)."""
    if isinstance(organisation_ids, list) and not organisation_ids:
        return {}
    query = (
        JobSchedule.select(JobSchedule, SyncRun)
        .join(SyncRun, JOIN.LEFT_OUTER, on=(JobSchedule.last_run == SyncRun.id))
        .where(JobSchedule.organisation.in_(organisation_ids))
    )
    found = {}
    for row in query:
        found.setdefault(row.organisation_id, {})[row.job] = row
    return found


def organisation_entry(organisation, schedules):
    """One organisation's entry of `jobs status --json`, from its {job: JobSchedule}."""
    last_runs = {}
    for job in registry.SCHEDULED:
        row = schedules.get(job.name)
        if row is not None and row.last_run_id is not None:
            run = row.last_run
            last_runs[job.name] = {
                "run_id": run.id,
                "status": run.status,
                "finished_at": _time(run.finished_at),
                "failures_in_a_row": row.failures_in_a_row,
            }
    return {
        "id": organisation.id,
        "name": organisation.name,
        "state": organisation.state,
        "paused": organisation.state == "paused",
        "next_due": {job.name: _time(schedules[job.name].next_due) if job.name in schedules else None
                     for job in registry.SCHEDULED},
        "last_run": last_runs,
        "failures_in_a_row": max((row.failures_in_a_row for row in schedules.values()), default=0),
    }


def abandoned_runs(at=None):
    """The runs abandoned in the last ABANDONED_DAYS days (at most ABANDONED_SHOWN), newest first."""
    since = (at or now()) - datetime.timedelta(days=ABANDONED_DAYS)
    return list(
        SyncRun.select(SyncRun, Organisation)
        .join(Organisation, JOIN.LEFT_OUTER)
        .where((SyncRun.status == "abandoned") & (SyncRun.finished_at >= since))
        .order_by(SyncRun.finished_at.desc(), SyncRun.id.desc())
        .limit(ABANDONED_SHOWN)
    )


def abandoned_entry(run):
    return {
        "run_id": run.id,
        "organisation_id": run.organisation_id,
        "organisation": run.organisation.name if run.organisation_id is not None else None,
        "kind": run.kind,
        "started_at": _time(run.started_at),
        "finished_at": _time(run.finished_at),
        "error": run.error,
    }


def status(show="all"):
    """Every organisation's scheduled work and the recently abandoned runs, as `tether jobs status --json`."""
    query = organisations(show)
    schedules = schedules_of(query.select(Organisation.id).order_by())
    listed = list(query)
    return {
        "organisations": [organisation_entry(organisation, schedules.get(organisation.id, {})) for organisation in listed],
        "abandoned_runs": [abandoned_entry(run) for run in abandoned_runs()],
    }
