"""The sweep: every app process takes its share of the scheduled work (DESIGN §13).

Each organisation has a JobSchedule row per scheduled job saying when it is next due. Every app
process's clock (jobs/scheduler.py) calls `sweep` every few seconds: it claims the oldest due row it
may run, runs it through `registry.run_one` (the path `tether jobs run` takes too), and claims the
next, one at a time, until nothing is due. So N processes share the work, and the oldest due always
goes first: no organisation starves behind others.

Claiming is what makes one organisation's job run once:

- PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` takes the oldest due row that no other process is
  claiming at that moment (a row being claimed is skipped, not waited for), and the same transaction
  pushes its `next_due` CLAIM_HOLD ahead; once that commits, no other sweep sees it due.
- SQLite: the same select and push in one `BEGIN IMMEDIATE` transaction. SQLite lets one writer in at
  a time, across processes, so two claims happen one after the other and the second sees the first's.

The run then holds its (organisation, kind) lease (sync/lease.py) as "Run now" in the console and the
CLI do: a run of that kind already in progress makes the claim `busy`, and a run whose process died is
taken over at once and marked abandoned. A sweep that dies mid-run leaves its row due again once
CLAIM_HOLD has passed.

Only the organisations a job covers are claimed: Sign In App imports for `active` organisations with
a connection (a paused one keeps its row, shown on the operations page, and is skipped), leavers and
the purge for every organisation. A sweep first gives each newly covered organisation its rows.
"""
import datetime

from peewee import chunked

from store import database, is_postgres
from store.models import JobSchedule, Organisation, now

from . import registry

# How long a claimed row stays out of other sweeps' reach if its claimer never writes the outcome back.
CLAIM_HOLD = datetime.timedelta(minutes=10)


def schedule_new_organisations(at=None):
    """Give every organisation a job covers, and has no row for it yet, its first due time; how many."""
    at = at or now()
    made = 0
    for job in registry.SCHEDULED:
        scheduled = JobSchedule.select(JobSchedule.organisation).where(JobSchedule.job == job.name)
        missing = job.covers().select(Organisation.id).where(Organisation.id.not_in(scheduled))
        rows = [{"organisation": org.id, "job": job.name, "next_due": job.first_due(org.id, at)} for org in missing]
        for batch in chunked(rows, 500):
            with database.atomic():
                JobSchedule.insert_many(batch).on_conflict_ignore().execute()
        made += len(rows)
    return made


def _claimable(at):
    """Rows due by `at` whose organisation their job still covers."""
    covered = None
    for job in registry.SCHEDULED:
        condition = (JobSchedule.job == job.name) & JobSchedule.organisation.in_(job.covers().select(Organisation.id))
        covered = condition if covered is None else covered | condition
    return (JobSchedule.next_due <= at) & covered


def claim(at=None):
    """The oldest due JobSchedule row, claimed for this process (pushed CLAIM_HOLD ahead); None when
    nothing is due. The row returned still holds the due time it was claimed at."""
    at = at or now()
    query = JobSchedule.select().where(_claimable(at)).order_by(JobSchedule.next_due, JobSchedule.id).limit(1)
    if is_postgres():
        query = query.for_update(skip_locked=True)
    with database.atomic():
        row = query.first()
        if row is not None:
            JobSchedule.update(next_due=at + CLAIM_HOLD).where(JobSchedule.id == row.id).execute()
    return row


def sweep(should_stop=None, *, actor=registry.ACTOR):
    """Run every due job of every organisation this process can claim, oldest due first; [Outcome].

    `should_stop()` is asked before each claim: the scheduler stops claiming when its process stops."""
    schedule_new_organisations()
    outcomes = []
    while should_stop is None or not should_stop():
        row = claim()
        if row is None:
            break
        organisation = Organisation.get_or_none(Organisation.id == row.organisation_id)
        if organisation is not None:
            outcomes.append(registry.run_one(registry.get(row.job), organisation, actor=actor, trigger="schedule"))
    return outcomes
