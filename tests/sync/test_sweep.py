"""The sweep (DESIGN §13): every app process claims due organisations one at a time from the stored
schedule, so several share the work, none runs an organisation twice, and none is left out."""
import dataclasses
import datetime
import threading
import time

import store
from jobs import registry, sweep
from store.models import JobSchedule, Organisation, SyncRun, now
from sync import sia_import

from . import helpers

SCHOOLS = 8


def _active_schools(count):
    schools = [helpers.school(f"School {n}") for n in range(count)]
    Organisation.update(state="active").execute()
    for school in schools:
        school.member(f"Ada Lovelace{school.org.id}")
    return schools


def _all_due(moment=None):
    sweep.schedule_new_organisations()
    JobSchedule.update(next_due=moment or now() - datetime.timedelta(minutes=1)).where(JobSchedule.job == "sia_import").execute()


def _slow_imports(monkeypatch, seconds):
    """Each import takes a little longer, as over a network, so two sweeps really work side by side."""
    def slow(organisation, **options):
        time.sleep(seconds)
        return sia_import.import_organisation(organisation, **options)

    job = registry.JOBS["sia_import"]
    monkeypatch.setitem(registry.JOBS, "sia_import", dataclasses.replace(job, work=slow))


def test_two_sweeps_with_their_own_connections_import_every_organisation_once_between_them(ctx, monkeypatch):
    schools = _active_schools(SCHOOLS)
    _all_due()
    _slow_imports(monkeypatch, 0.05)
    outcomes, errors = {}, []
    start = threading.Barrier(2)

    def process(name):
        try:
            with ctx.app_context(), store.database.connection_context():
                start.wait()
                outcomes[name] = sweep.sweep()
        except Exception as error:  # reported below, with the thread's name
            errors.append(f"{name}: {error!r}")

    threads = [threading.Thread(target=process, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    swept = [(outcome.organisation_id, outcome.status) for name in outcomes for outcome in outcomes[name]]
    assert sorted(swept) == sorted((school.org.id, "succeeded") for school in schools)
    assert all(outcomes[name] for name in ("first", "second")), "both sweeps took a share"
    runs = [run.organisation_id for run in SyncRun.select().where(SyncRun.kind == "sia_import")]
    assert sorted(runs) == sorted(school.org.id for school in schools), "one run per organisation"
    later = {row.organisation_id: row for row in JobSchedule.select().where(JobSchedule.job == "sia_import")}
    assert all(row.next_due > now() + datetime.timedelta(minutes=14) and row.last_run_id for row in later.values())


def test_a_paused_organisation_is_not_claimed_and_the_oldest_due_goes_first(ctx):
    paused, older, newer = _active_schools(3)
    _all_due()
    Organisation.update(state="paused").where(Organisation.id == paused.org.id).execute()
    moment = now()
    for school, minutes in ((paused, 30), (older, 20), (newer, 10)):
        JobSchedule.update(next_due=moment - datetime.timedelta(minutes=minutes)).where(
            JobSchedule.of(school.org.id, "sia_import")).execute()
    claimed = [sweep.claim(), sweep.claim(), sweep.claim()]
    assert [(row.organisation_id, row.job) for row in claimed[:2]] == [(older.org.id, "sia_import"), (newer.org.id, "sia_import")]
    assert claimed[2] is None, "the paused school is still due, and is left alone"
    paused_row = JobSchedule.get(JobSchedule.of(paused.org.id, "sia_import"))
    assert paused_row.next_due < moment
    assert sweep.sweep() == []


def test_a_sweep_makes_each_organisation_its_rows_and_runs_daily_jobs_per_organisation(ctx):
    (school,) = _active_schools(1)
    setting_up = helpers.school("New School")
    Organisation.update(state="setting_up").where(Organisation.id == setting_up.org.id).execute()
    sweep.schedule_new_organisations()
    jobs = {(row.organisation_id, row.job) for row in JobSchedule.select()}
    assert jobs == {(school.org.id, "sia_import"), (school.org.id, "sever_leavers"), (school.org.id, "purge_deleted"),
                    (setting_up.org.id, "sever_leavers"), (setting_up.org.id, "purge_deleted")}
    JobSchedule.update(next_due=now() - datetime.timedelta(seconds=1)).where(JobSchedule.job == "sever_leavers").execute()
    outcomes = sweep.sweep()
    assert sorted(o.organisation_id for o in outcomes) == sorted([school.org.id, setting_up.org.id])
    severing = JobSchedule.get(JobSchedule.of(school.org.id, "sever_leavers"))
    london = severing.next_due.replace(tzinfo=datetime.timezone.utc).astimezone(registry.SCHOOL_TIME)
    assert (london.hour, london.minute) == (1, 30) and severing.next_due > now()


def test_jobs_run_takes_the_schedules_path_and_failures_in_a_row_are_counted(school, runner):
    Organisation.update(state="active").where(Organisation.id == school.org.id).execute()
    school.member("Ada Lovelace")
    args = ["jobs", "run", "sia_import", "--org", str(school.org.id)]
    assert runner.invoke(args=args).exit_code == 0
    row = JobSchedule.get(JobSchedule.of(school.org.id, "sia_import"))
    assert row.failures_in_a_row == 0 and SyncRun.get_by_id(row.last_run_id).trigger == "cli"
    school.connection.api_key = "revoked"
    school.connection.save()
    for failures in (1, 2):
        failed = runner.invoke(args=args)
        assert failed.exit_code == 1 and "failed" in failed.stderr
        assert JobSchedule.get(JobSchedule.of(school.org.id, "sia_import")).failures_in_a_row == failures
