"""Running for many schools: several app processes on PostgreSQL, and only one runs the scheduled jobs."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import store
from store.db import open_database
from tests import factories
from tests.conftest import POSTGRES_URL, _empty_postgres
from tests.sims import exports as x
from tests.test_scheduler_process import ROOT, free_port

# Each process builds the app with the scheduler on, says once a second whether it runs the jobs,
# and keeps going until it is stopped.
APP_PROCESS = """
import json, sys, time
from app import create_app
app = create_app({"TETHER_SCHEDULER": True, "TETHER_SCHEDULER_RETRY_SECONDS": 1})
scheduler = app.extensions["tether_scheduler"]
while True:
    print(json.dumps({"runs_jobs": scheduler.running_jobs}), flush=True)
    time.sleep(0.5)
"""


def _start(url, instance):
    env = {**os.environ, "SECRET_KEY": "test-secret", "DATABASE_URL": url, "TETHER_SCHEDULER": "on", "TETHER_INSTANCE_PATH": str(instance)}
    env.pop("TETHER_TEST_POSTGRES_URL", None)
    return subprocess.Popen(
        [sys.executable, "-c", APP_PROCESS],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )


def _status(process, deadline=60):
    """The process's latest answer, read within `deadline` seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        line = process.stdout.readline()
        if line:
            return json.loads(line)["runs_jobs"]
    raise AssertionError("the app process said nothing")


def _settled(processes, rounds=4):
    """Each process's answer once the answers stop changing."""
    answers = None
    for _ in range(rounds):
        answers = [_status(p) for p in processes]
    return answers


def pytest_generate_tests(metafunc):
    # PostgreSQL only: an advisory lock is what several processes share (SQLite runs one process).
    if "postgres_url" in metafunc.fixturenames:
        available = POSTGRES_URL or os.environ.get("CI", "").lower() == "true"
        metafunc.parametrize("postgres_url", ["postgres"] if available else [], indirect=True)


@pytest.fixture
def postgres_url(request):
    url, _ = request.getfixturevalue("postgres_database")
    return url


def test_two_app_processes_on_postgresql_run_the_jobs_once(postgres_url, tmp_path):
    first = _start(postgres_url, tmp_path / "one")
    second = _start(postgres_url, tmp_path / "two")
    try:
        answers = _settled([first, second])
        assert sorted(answers) == [False, True], "exactly one process holds the scheduler lock"
        holder, other = (first, second) if answers[0] else (second, first)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        taken_over = any(_status(other) for _ in range(20))
        assert taken_over, "the other process takes over the jobs when the holder dies"
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def empty_postgres_url(postgres_url):
    """A new, empty PostgreSQL database beside the test session's."""
    from urllib.parse import urlparse, urlunparse

    from store.db import open_database

    admin = open_database(POSTGRES_URL, pooled=False)
    name = f"{urlparse(postgres_url).path.lstrip('/')}_empty"
    with admin.connection_context():
        admin.execute_sql(f'CREATE DATABASE "{name}"')
    yield urlunparse(urlparse(postgres_url)._replace(path="/" + name))
    with admin.connection_context():
        admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_app_processes_starting_together_on_an_empty_database_migrate_it_once(empty_postgres_url, tmp_path):
    script = "from app import create_app; create_app({'TETHER_SCHEDULER': False}); print('ready')"
    env = {**os.environ, "SECRET_KEY": "test-secret", "DATABASE_URL": empty_postgres_url, "TETHER_INSTANCE_PATH": str(tmp_path)}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    processes = [
        subprocess.Popen([sys.executable, "-c", script], env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], [err[-2000:] for _, err in results]
    from store.db import open_database

    database = open_database(empty_postgres_url, pooled=False)
    with database.connection_context():
        applied = [row[0] for row in database.execute_sql("SELECT name FROM schema_migration ORDER BY name")]
    assert applied == sorted(set(applied)) and applied[0] == "0001_initial"


def test_two_gunicorn_workers_on_postgresql_import_a_dropped_sims_export_once(postgres_url, tmp_path):
    """The scheduler in the processes a hosted Tether runs: whichever worker holds the lock imports it."""
    database = open_database(postgres_url, pooled=False)
    store.database.initialize(database)
    with database.connection_context():
        _empty_postgres(database)
        organisation = factories.organisation("Leeds Academy")
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("TETHER_SCHEDULER_RETRY_SECONDS = 1\nTETHER_SIMS_DROP_SECONDS = 2\n")
    env = {**os.environ, "SECRET_KEY": "test-secret", "TETHER_INSTANCE_PATH": str(instance), "TETHER_SCHEDULER": "on", "DATABASE_URL": postgres_url}
    for name in ("TETHER_TEST_POSTGRES_URL", "TETHER_SIMS_DROP"):
        env.pop(name, None)
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    process = subprocess.Popen([gunicorn, "-w", "2", "-b", f"127.0.0.1:{free_port()}", "app:create_app()"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(4)  # both workers up, one holding the scheduler lock
        folder = instance / "sims-drop" / str(organisation.id)
        folder.mkdir(parents=True)
        export = x.write_xml(folder, [x.pupil("1"), x.pupil("2", forename="Grace")])
        os.utime(export, (time.time() - 60, time.time() - 60))

        def runs():
            with database.connection_context():
                return database.execute_sql("SELECT status FROM sync_run WHERE kind = 'sims_students'").fetchall()

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not runs():
            time.sleep(1)
        time.sleep(6)  # three more looks at the folder by whichever worker runs the jobs
        assert [status for (status,) in runs()] == ["succeeded"]
    finally:
        process.terminate()
        process.wait(timeout=30)
