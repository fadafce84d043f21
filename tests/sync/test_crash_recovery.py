"""A run whose process is killed (`kill -9`) is taken over at once by the next one, and marked abandoned.

DESIGN §5: a rerun after a crash just works. A real `tether` process is killed in the middle of its run;
the rerun starts at once (no waiting for the lease to expire), the killed run says `abandoned` and why,
and the end state equals one clean run.
"""
import datetime
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time

import pytest

from connectors.sia import client_for
from store.models import Gender, Profile, RunLease, Student, SyncRun
from sync import sia_import, students
from sync.lease import AlreadyRunning, acquire, holder_is_gone
from tests import factories
from tests.sims import exports as x

from . import helpers

MEMBERS = 600
PUPILS = 1500
TETHER = os.path.join(os.path.dirname(sys.executable), "tether")


@pytest.fixture
def url(db, backend, request):
    return request.getfixturevalue("postgres_database")[0] if backend == "postgres" else f"sqlite:///{db.database}"


def _under_way(point):
    """Whether a run has reached `point`: started (still reading), or some but not all of its batches written."""
    return point == "reading" or 0 < Profile.select().count() < MEMBERS


def _kill_mid_run(args, url, instance, kind, point):
    """Start `tether ARGS`, SIGKILL it at `point` of its run of `kind`, and reap it; the run's id."""
    env = {**os.environ, "SECRET_KEY": "test-secret", "DATABASE_URL": url, "TETHER_INSTANCE_PATH": str(instance), "TETHER_SCHEDULER": "off"}
    env.pop("TETHER_TEST_POSTGRES_URL", None)
    process = subprocess.Popen([TETHER, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run = SyncRun.get_or_none((SyncRun.kind == kind) & (SyncRun.status == "running"))
            if run is not None and _under_way(point):
                break
            assert process.poll() is None, process.stderr.read()
            time.sleep(0.01)
        else:
            raise AssertionError(f"no {kind} run reached {point}")
        if point == "reading":
            time.sleep(random.uniform(0, 0.3))  # a random moment of the read
        process.send_signal(signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
    return run.id


def import_as_the_cli(app, school):
    """An import by the actor the killed `tether` process records, so the two end states compare equal."""
    return sia_import.import_organisation(school.org, actor="cli", client=client_for(school.connection, wsgi_app=app))


def _assert_abandoned(run_id):
    run = SyncRun.get_by_id(run_id)
    if run.status == "running":
        raise AssertionError("the killed run still says running")
    if run.status != "succeeded":  # the kill may land after the run's last write
        assert run.status == "abandoned" and run.finished_at is not None
        assert "stopped without finishing" in run.error and "run it again" in run.error


@pytest.mark.parametrize("point", ["reading", "writing"])
def test_a_killed_import_is_taken_over_at_once_and_the_rerun_ends_as_one_clean_run(db, ctx, url, tmp_path, point):
    def build():
        helpers.reset(db)
        school = helpers.school()
        for n in range(MEMBERS):
            school.member(f"Staff Member{n}")
        return school

    school = build()
    killed = _kill_mid_run(["sync", "sia", "--org", str(school.org.id), "--json"], url, tmp_path, "sia_import", point)
    rerun = import_as_the_cli(ctx, school)
    assert rerun.status == "succeeded", rerun.message
    _assert_abandoned(killed)
    actual = helpers.Snapshot().tables

    school = build()
    assert import_as_the_cli(ctx, school).status == "succeeded"
    expected = helpers.Snapshot().tables
    assert actual == expected, helpers.differences(actual, expected)


def test_a_killed_sims_import_is_taken_over_at_once_and_the_rerun_ends_as_one_clean_run(db, url, tmp_path):
    pupils = [x.pupil(str(1000 + n), forename=f"Pupil{n}") for n in range(PUPILS)]
    export = x.write_xml(tmp_path, pupils)

    def build():
        helpers.reset(db)
        org = factories.organisation("Leeds Academy")
        Gender.create(organisation=org, code="F", name="Female")
        return org

    org = build()
    killed = _kill_mid_run(
        ["sims", "import", str(export), "--org", str(org.id), "--json"], url, tmp_path, "sims_students", "reading"
    )
    rerun = students.import_file(org, export, actor="cli")
    assert rerun.status == "succeeded", rerun.message
    _assert_abandoned(killed)
    actual = sorted((s.person_id, s.username, s.forename, s.enabled) for s in Student.select())

    org = build()
    assert students.import_file(org, export, actor="cli").status == "succeeded"
    assert actual == sorted((s.person_id, s.username, s.forename, s.enabled) for s in Student.select())
    assert len(actual) == PUPILS


def test_a_holder_is_gone_only_when_it_was_a_process_of_this_host_that_no_longer_exists():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert holder_is_gone(f"{socket.gethostname()}:{gone.pid}:1:abcd1234")
    assert not holder_is_gone(f"{socket.gethostname()}:{os.getppid()}:1:abcd1234")
    assert not holder_is_gone("another-host:1:1:abcd1234") and not holder_is_gone("cli")


# A process that holds a lease under the name of a holder on another host, until it is killed.
HOLDER = """
import sys, time
import store
from sync.lease import acquire
store.bind(sys.argv[1])
with acquire(7, "sia_import", holder="another-host:1:1:abcd1234", ttl=3600):
    print("held", flush=True)
    time.sleep(120)
"""


def test_a_killed_holder_on_another_host_is_known_dead_at_once_on_postgresql_and_at_expiry_on_sqlite(db, url, backend):
    process = subprocess.Popen([sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "held"
        with pytest.raises(AlreadyRunning):
            with acquire(7, "sia_import"):
                pass
    finally:
        process.kill()
        process.wait(timeout=30)
    if backend == "sqlite":  # one host: a holder elsewhere is judged by its lease's expiry
        with pytest.raises(AlreadyRunning):
            with acquire(7, "sia_import"):
                pass
        RunLease.update(expires_at=datetime.datetime(2000, 1, 1)).execute()
    with acquire(7, "sia_import") as held:
        assert RunLease.get().holder == held.holder
    assert RunLease.select().count() == 0


def test_the_cli_says_in_one_line_which_abandoned_run_it_took_over(school, runner):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    killed = SyncRun.create(organisation=school.org, kind="sia_import", status="running", actor="cli")
    RunLease.create(organisation_id=school.org.id, kind="sia_import", holder=f"{socket.gethostname()}:{gone.pid}:1:abcd1234",
                    run=killed, expires_at=datetime.datetime.now() + datetime.timedelta(minutes=30))
    result = runner.invoke(args=["sync", "sia", "--org", str(school.org.id), "--json"])
    assert result.exit_code == 0, result.output
    rerun = json.loads(result.stdout)["run_id"]
    assert result.stderr.splitlines() == [
        f"note: run {rerun} took over from run {killed.id}, which was abandoned: the process running it "
        f"({socket.gethostname()}:{gone.pid}) stopped without finishing it"
    ]
    assert SyncRun.get_by_id(killed.id).status == "abandoned"
