"""The scheduler in a real `python app.py` on SQLite, the embedded default: a SIMS export dropped into the
organisation's folder is imported by the schedule, also after the clock has run a while (a scheduler lock
once looked lost from another thread, and every job stopped 30 seconds after start)."""
import os
import socket
import subprocess
import sys
import time

from store.db import open_database
from tests.sims import exports as x

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_python_app_py_imports_a_dropped_sims_export_on_its_schedule(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    # The sweep runs every second (not 30) and the drop folder is looked at every 2 seconds (not 60),
    # so what took minutes to go wrong goes wrong, or not, in seconds.
    (instance / "config.py").write_text("TETHER_SWEEP_SECONDS = 1\nTETHER_SIMS_DROP_SECONDS = 2\n")
    env = {**os.environ, "TETHER_INSTANCE_PATH": str(instance), "TETHER_SCHEDULER": "on",
           "TETHER_PORT": str(free_port()), "TETHER_DEMO_PASSWORD": "demo-password"}
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
        time.sleep(4)  # several sweeps
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

