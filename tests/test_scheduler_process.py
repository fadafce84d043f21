"""The scheduler in a real `python app.py` on SQLite, the embedded default: a SIMS export dropped into the
organisation's folder is imported by the schedule, also after the keeper has checked its lock many times
(its file lock once looked lost from the keeper's thread, and every job stopped 30 seconds after start)."""
import os
import socket
import subprocess
import sys
import time

import pytest

import store
from store.db import open_database
from tests import factories
from tests.conftest import POSTGRES_URL, _empty_postgres
from tests.sims import exports as x

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_python_app_py_imports_a_dropped_sims_export_on_its_schedule(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    # The keeper checks its lock every second (not 30) and the drop folder is looked at every 2 seconds
    # (not 60), so what took minutes to go wrong goes wrong, or not, in seconds.
    (instance / "config.py").write_text("TETHER_SCHEDULER_RETRY_SECONDS = 1\nTETHER_SIMS_DROP_SECONDS = 2\n")
    env = {**os.environ, "TETHER_INSTANCE_PATH": str(instance), "TETHER_SCHEDULER": "on",
           "TETHER_PORT": str(_free_port()), "TETHER_DEMO_PASSWORD": "demo-password"}
    for name in ("DATABASE_URL", "TETHER_TEST_POSTGRES_URL", "TETHER_SIMS_DROP"):
        env.pop(name, None)
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        for line in process.stdout:
            if line.startswith("Tether console:"):
                break
        else:
            raise AssertionError("python app.py stopped before serving")
        time.sleep(4)  # several turns of the keeper
        folder = instance / "sims-drop" / "1"  # organisation 1: the demo's first school
        folder.mkdir(parents=True)
        export = x.write_xml(folder, [x.pupil("1"), x.pupil("2", forename="Grace")])
        os.utime(export, (time.time() - 60, time.time() - 60))  # settled
        database = open_database(str(instance / "tether.db"), pooled=False)
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status != "succeeded":
            time.sleep(1)
            with database.connection_context():
                row = database.execute_sql(
                    "SELECT status FROM sync_run WHERE kind = 'sims_students' AND organisation_id = 1"
                ).fetchone()
            status = row[0] if row else None
        assert status == "succeeded", "the dropped export was not imported"
        with database.connection_context():
            (students,) = database.execute_sql("SELECT count(*) FROM student WHERE organisation_id = 1").fetchone()
        assert students == 2
    finally:
        process.terminate()
        process.wait(timeout=30)


def pytest_generate_tests(metafunc):
    # PostgreSQL only: several processes share one database through its advisory locks.
    if "postgres_url" in metafunc.fixturenames:
        available = POSTGRES_URL or os.environ.get("CI", "").lower() == "true"
        metafunc.parametrize("postgres_url", ["postgres"] if available else [], indirect=True)


@pytest.fixture
def postgres_url(request):
    """The session's PostgreSQL database, emptied, with one organisation (id 1)."""
    url, database = request.getfixturevalue("postgres_database")
    store.database.initialize(database)
    with database.connection_context():
        _empty_postgres(database)
        factories.organisation("Leeds Academy")
    return url


def test_two_gunicorn_workers_on_postgresql_import_a_dropped_export_once(postgres_url, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("TETHER_SCHEDULER_RETRY_SECONDS = 1\nTETHER_SIMS_DROP_SECONDS = 2\n")
    env = {**os.environ, "TETHER_INSTANCE_PATH": str(instance), "TETHER_SCHEDULER": "on", "DATABASE_URL": postgres_url}
    for name in ("TETHER_TEST_POSTGRES_URL", "TETHER_SIMS_DROP"):
        env.pop(name, None)
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    process = subprocess.Popen([gunicorn, "-w", "2", "-b", f"127.0.0.1:{_free_port()}", "app:create_app()"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(4)  # both workers up, one holding the scheduler lock
        folder = instance / "sims-drop" / "1"
        folder.mkdir(parents=True)
        export = x.write_xml(folder, [x.pupil("1"), x.pupil("2", forename="Grace")])
        os.utime(export, (time.time() - 60, time.time() - 60))
        database = open_database(postgres_url, pooled=False)

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
