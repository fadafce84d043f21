"""Benchmark of the sweep (issue 14): N app processes sharing the scheduled imports. Prints figures; not a test.

On a fresh PostgreSQL database, 200 active organisations, each with its own sandbox Sign In App account
and one linked repeat group of 50 members, every one's import due now. The sandbox answers every client
API request after a simulated network delay (50 ms). Then, in the same run, on a fresh copy each time:

- 1 app process sweeps until nothing is due, and
- 4 app processes sweep at once, from the moment all four are ready,

each process running `jobs.sweep.sweep()` — what its scheduler's clock calls every TETHER_SWEEP_SECONDS.
Printed: both times and their ratio (goal: at most 0.35), the organisations imported more than once
(goal 0) and those never imported (goal 0).

Run: `.venv/bin/python bench/sweep_bench.py [--database-url postgresql://…] [--organisations N] [--members N]
[--delay-ms N] [--processes N]` (the URL's database is only used to create and drop the bench's own).
"""
import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from urllib.parse import urlparse, urlunparse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SECRET_KEY = "sweep-bench"
DEFAULT_URL = os.environ.get("TETHER_TEST_POSTGRES_URL") or "postgresql://tether:tether@127.0.0.1:5432/tether"


def create_database(admin_url):
    from store.db import open_database

    name = f"tether_sweep_bench_{uuid.uuid4().hex[:8]}"
    admin = open_database(admin_url, pooled=False)
    try:
        with admin.connection_context():
            admin.execute_sql(f'CREATE DATABASE "{name}"')
    except Exception as error:
        where = urlparse(admin_url)
        raise SystemExit(f"The sweep bench needs PostgreSQL, and could not create a database on {where.hostname}:{where.port or 5432} "
                         f"({error}). Start it (scripts/ensure-postgres.sh) or pass --database-url.") from None
    return urlunparse(urlparse(admin_url)._replace(path="/" + name)), name


def drop_database(admin_url, name):
    from store.db import open_database

    admin = open_database(admin_url, pooled=False)
    with admin.connection_context():
        admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(url, organisations, members):
    """Migrate the database and make every organisation, its Sign In App account and members; all due now."""
    import datetime

    import sandbox
    import store
    from jobs import sweep
    from sandbox.models import SandboxAccount, SandboxGroup, SandboxMember
    from store import sealed
    from store.db import open_database
    from store.models import DEFAULT_PROFILE_TYPES, JobSchedule, MappingRule, Organisation, ProfileType, SiaConnection, now

    sealed.use_key(SECRET_KEY)
    database = open_database(url, pooled=False)
    store.database.initialize(database)
    with database.connection_context():
        store.migrate(database)
        sandbox.migrate(database)
        with database.atomic():
            for n in range(organisations):
                org = Organisation.create(name=f"Sweep School {n:03d}", state="active")
                types = [ProfileType.create(organisation=org, name=name, position=p) for p, name in enumerate(DEFAULT_PROFILE_TYPES)]
                MappingRule.create(organisation=org, profile_type=types[0], expression="group == Staff", position=0)
                account = SandboxAccount.create(name=f"Sweep {n}", api_key=f"sweep-key-{n}", api_secret=f"sweep-secret-{n}")
                SiaConnection.new(organisation=org, kind="sandbox", base_url="-", api_key=account.api_key, secret=account.api_secret)
                group = SandboxGroup.create(account=account, name="Staff", type="returning", organisation_id=org.id)
                SandboxMember.insert_many([
                    {"group": group.id, "personal_fields": {"name": f"Person{m} School{n}", "email": f"p{m}.s{n}@sweep.test",
                                                            "role": "Teacher"}}
                    for m in range(members)
                ]).execute()
        sweep.schedule_new_organisations()
        JobSchedule.update(next_due=now() - datetime.timedelta(minutes=1)).where(JobSchedule.job == "sia_import").execute()
    database.close()


def tally(url):
    """(organisations imported more than once, organisations never imported, import runs)."""
    import store
    from store.db import open_database
    from store.models import Organisation, SyncRun

    database = open_database(url, pooled=False)
    store.database.initialize(database)
    with database.connection_context():
        runs = {}
        for run in SyncRun.select().where(SyncRun.kind == "sia_import"):
            runs.setdefault(run.organisation_id, []).append(run.status)
        organisations = [org.id for org in Organisation.select(Organisation.id)]
    database.close()
    doubled = sum(1 for statuses in runs.values() if len(statuses) > 1)
    missed = sum(1 for org_id in organisations if "succeeded" not in runs.get(org_id, []))
    return doubled, missed, sum(len(statuses) for statuses in runs.values())


def worker(url, delay):
    """One app process: build the app, say ready, sweep when told to go, print what it did."""
    os.environ.update(DATABASE_URL=url, SECRET_KEY=SECRET_KEY, TETHER_SCHEDULER="off")
    import store
    from app import create_app
    from connectors.sia import serve_sandbox_from
    from jobs import sweep

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "TETHER_SCHEDULER": False}, migrate=False)

    def over_the_network(environ, start_response):
        time.sleep(delay)  # the round trip to Sign In App
        return app(environ, start_response)

    serve_sandbox_from(over_the_network)
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    with app.app_context(), store.database.connection_context():
        outcomes = sweep.sweep()
    print(json.dumps({"seconds": time.perf_counter() - started,
                      "outcomes": [[outcome.organisation_id, outcome.status] for outcome in outcomes]}), flush=True)


def sweep_with(processes, admin_url, options):
    """Seconds for `processes` app processes to sweep every organisation once, and the tally."""
    url, name = create_database(admin_url)
    try:
        seed(url, options.organisations, options.members)
        env = {**os.environ, "TETHER_INSTANCE_PATH": os.path.join("/tmp", name)}
        command = [sys.executable, os.path.abspath(__file__), "--worker", url, "--delay-ms", str(options.delay_ms)]
        workers = [subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                   for _ in range(processes)]
        for process in workers:
            assert process.stdout.readline().strip() == "ready", "a worker did not start"
        started = time.perf_counter()
        for process in workers:
            process.stdin.write("go\n")
            process.stdin.flush()
        reports = [json.loads(process.stdout.readline()) for process in workers]
        elapsed = time.perf_counter() - started
        for process in workers:
            process.wait(timeout=60)
        doubled, missed, runs = tally(url)
        return {
            "processes": processes,
            "seconds": round(elapsed, 2),
            "imports_per_process": [len(report["outcomes"]) for report in reports],
            "not_succeeded": [o for report in reports for o in report["outcomes"] if o[1] != "succeeded"],
            "import_runs": runs,
            "double_runs": doubled,
            "missed_organisations": missed,
        }
    finally:
        drop_database(admin_url, name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--delay-ms", type=int, default=50)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        return worker(options.worker, options.delay_ms / 1000)
    one = sweep_with(1, options.database_url, options)
    many = sweep_with(options.processes, options.database_url, options)
    print(json.dumps({
        "organisations": options.organisations,
        "members_each": options.members,
        "delay_ms": options.delay_ms,
        "one_process": one,
        f"{options.processes}_processes": many,
        "ratio": round(many["seconds"] / one["seconds"], 2),
        "ratio_goal": 0.35,
        "double_runs_goal": 0,
        "missed_organisations_goal": 0,
    }, indent=2))


if __name__ == "__main__":
    main()
