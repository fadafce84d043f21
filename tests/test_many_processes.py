"""Running for many schools: several app processes on PostgreSQL share the scheduled work (DESIGN §13)."""
import datetime
import os
import subprocess
import sys
import time

import pytest

import store
from jobs import sweep
from store import sealed
from store.db import open_database
from store.models import JobSchedule, Organisation, SyncRun, now
from tests import factories
from tests.sync import helpers as sync_helpers
from tests.conftest import POSTGRES_URL, _empty_postgres
from tests.sims import exports as x
from tests.test_scheduler_process import ROOT, free_port

# Each process builds the app with the scheduler on (a sweep every second) and keeps going until stopped.
APP_PROCESS = """
import time
from app import create_app
create_app({"TETHER_SCHEDULER": True, "TETHER_SWEEP_SECONDS": 1})
while True:
    time.sleep(1)
"""


def _start(url, instance):
    env = {**os.environ, "SECRET_KEY": "test-secret", "DATABASE_URL": url, "TETHER_SCHEDULER": "on", "TETHER_INSTANCE_PATH": str(instance)}
    env.pop("TETHER_TEST_POSTGRES_URL", None)
    return subprocess.Popen(
        [sys.executable, "-c", APP_PROCESS],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )


def pytest_generate_tests(metafunc):
    # PostgreSQL only: an advisory lock is what several processes share (SQLite runs one process).
    if "postgres_url" in metafunc.fixturenames:
        available = POSTGRES_URL or os.environ.get("CI", "").lower() == "true"
        metafunc.parametrize("postgres_url", ["postgres"] if available else [], indirect=True)


@pytest.fixture
def postgres_url(request):
    url, _ = request.getfixturevalue("postgres_database")
    return url


def test_two_app_processes_on_postgresql_share_the_sweep_and_import_each_school_once(postgres_url, tmp_path):
    sealed.use_key("test-secret")  # the processes' SECRET_KEY: they unseal the connections' secrets
    database = open_database(postgres_url, pooled=False)
    store.database.initialize(database)
    with database.connection_context():
        _empty_postgres(database)
        schools = [sync_helpers.school(f"School {n}") for n in range(6)]
        for school in schools:
            school.member(f"Ada Lovelace{school.org.id}")
        Organisation.update(state="active").execute()
        sweep.schedule_new_organisations()
        JobSchedule.update(next_due=now() - datetime.timedelta(minutes=1)).where(JobSchedule.job == "sia_import").execute()

    def imports():
        with database.connection_context():
            return sorted(run.organisation_id for run in SyncRun.select().where(
                (SyncRun.kind == "sia_import") & (SyncRun.status == "succeeded")))

    processes = [_start(postgres_url, tmp_path / "one"), _start(postgres_url, tmp_path / "two")]
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(imports()) < len(schools):
            time.sleep(1)
        time.sleep(3)  # several more sweeps by each process
        assert imports() == sorted(school.org.id for school in schools), "every school imported, once"
        with database.connection_context():
            assert SyncRun.select().where(SyncRun.kind == "sia_import").count() == len(schools)
    finally:
        for process in processes:
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
    """The scheduler in the processes a hosted Tether runs: both workers look at the folder, one imports it."""
    database = open_database(postgres_url, pooled=False)
    store.database.initialize(database)
    with database.connection_context():
        _empty_postgres(database)
        organisation = factories.organisation("Leeds Academy")
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("TETHER_SIMS_DROP_SECONDS = 2\n")
    env = {**os.environ, "SECRET_KEY": "test-secret", "TETHER_INSTANCE_PATH": str(instance), "TETHER_SCHEDULER": "on", "DATABASE_URL": postgres_url}
    for name in ("TETHER_TEST_POSTGRES_URL", "TETHER_SIMS_DROP"):
        env.pop(name, None)
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    process = subprocess.Popen([gunicorn, "-w", "2", "-b", f"127.0.0.1:{free_port()}", "app:create_app()"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(4)  # both workers up
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
        time.sleep(6)  # three more looks at the folder by each worker
        assert [status for (status,) in runs()] == ["succeeded"]
    finally:
        process.terminate()
        process.wait(timeout=30)
