"""Benchmark of the console at scale (issue 7): prints ratios measured in one run. Not a test.

50,000 profiles across 20 organisations, written with bulk inserts: in each school, Sign In App members
in the mirror (a linked returning Staff group), the profiles an import made from them and their links,
and the school's own profiles — some with the email or the name and date of birth of an imported one,
so the duplicates page and the rule preview have real work. The app is served by waitress on 127.0.0.1
in a subprocess; a signed-in support user asks, round after round:

- profile search (`/organisations/N/profiles?q=…`), the duplicates page, and the rule preview (the htmx
  POST, with its CSRF token, that the rule editor sends while typing),

each against a trivial page of the same app in the same rounds — `/api/v1/ping`, and a tiny signed-in
page (an empty notifications list) that pays the session, the user and the layout like every console
page. Median and p95 of each, and its ratio to the trivial pages; goal: none above 5×.

Run: `.venv/bin/python bench/console_bench.py [--profiles 50000] [--organisations 20] [--rounds 60]
[--database-url postgresql://…]` (default: a temporary SQLite database, the embedded default).
"""
import argparse
import datetime
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

PASSWORD = "bench-password"
SUPPORT = "support@bench.test"
SURNAMES = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright")
CHUNK = 500


def _insert(model, rows):
    from peewee import chunked

    for batch in chunked(rows, CHUNK):
        model.insert_many(batch).execute()


def _ids(model, where):
    return [row[0] for row in model.select(model.id).where(where).order_by(model.id).tuples()]


def generate(database_url, profiles, organisations):
    """Migrate and fill the database; returns the id of the first organisation."""
    import store
    from store.models import (
        DEFAULT_PROFILE_TYPES, Link, MappingRule, Organisation, Profile, ProfileType, SiaConnection, SiaGroup,
        SiaMember, User, now,
    )
    from werkzeug.security import generate_password_hash

    from store import sealed

    sealed.use_key("bench-secret")  # the served app's SECRET_KEY (serve below)
    database = store.bind(database_url)
    with database.connection_context():
        store.migrate(database)
        import sandbox

        sandbox.migrate(database)
        per_school = profiles // organisations
        imported = per_school * 2 // 5  # linked to a member; the rest are the school's own
        stamp, dob = now(), datetime.date(1980, 1, 1)
        with database.atomic():
            User.create(email=SUPPORT, role="support", password_hash=generate_password_hash(PASSWORD))
            for school in range(organisations):
                org = Organisation.create(name=f"Bench School {school:02d}")
                _insert(ProfileType, [{"organisation": org.id, "name": n, "position": i} for i, n in enumerate(DEFAULT_PROFILE_TYPES)])
                types = dict(ProfileType.select(ProfileType.name, ProfileType.id).where(ProfileType.organisation == org).tuples())
                MappingRule.create(organisation=org, profile_type=types["Support Staff"], expression="group == Staff and role ~ assistant", position=0)
                MappingRule.create(organisation=org, profile_type=types["Teaching Staff"], expression="group == Staff", position=1)
                connection = SiaConnection.new(organisation=org, kind="sandbox", base_url="-", api_key=f"k{school}", secret="s")
                group = SiaGroup.create(connection=connection, sia_id=school + 1, name="Staff", type="returning", organisation=org)

                def person(n):
                    return f"Person{n}", SURNAMES[n % len(SURNAMES)], f"person{n}@school{school}.test"

                members = []
                for n in range(imported + imported // 10):  # a tenth of the members are not imported yet
                    forename, surname, email = person(n)
                    role = "Teaching assistant" if n % 4 == 0 else "Teacher"
                    members.append({
                        "connection": connection.id, "sia_id": school * 1_000_000 + n, "group": group.id, "seen_at": stamp,
                        "personal_fields": {"name": f"{forename} {surname}", "email": email, "role": role},
                    })
                _insert(SiaMember, members)
                member_ids = _ids(SiaMember, SiaMember.group == group)
                rows = []
                for n in range(imported):
                    forename, surname, email = person(n)
                    # The type the saved rules give the member: no type changes are pending.
                    type_name = "Support Staff" if members[n]["personal_fields"]["role"] == "Teaching assistant" else "Teaching Staff"
                    rows.append({
                        "organisation": org.id, "profile_type": types[type_name], "forename": forename,
                        "surname": surname, "email": email, "dob": dob, "source": "sia", "created_at": stamp, "updated_at": stamp,
                    })
                for n in range(per_school - imported):
                    # One in five of the school's own profiles is a look-alike of an imported one.
                    forename, surname, email = person(n if n % 5 == 0 else imported + n)
                    rows.append({
                        "organisation": org.id, "profile_type": types["Teaching Staff"], "forename": forename,
                        "surname": surname, "email": email if n % 10 == 0 else None, "dob": dob if n % 10 == 5 else None,
                        "source": "manual", "created_at": stamp, "updated_at": stamp,
                    })
                _insert(Profile, rows)
                linked = _ids(Profile, (Profile.organisation == org) & (Profile.source == "sia"))
                _insert(Link, [
                    {"profile": p, "sia_member": m, "organisation": org.id, "linked_at": stamp, "linked_by": "bench"}
                    for p, m in zip(linked, member_ids)
                ])
        # Fresh statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) keep them in use.
        database.execute_sql("ANALYZE")
        first = Organisation.select(Organisation.id).order_by(Organisation.id).scalar()
        count = Profile.select().count()
    return first, count


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(database_url, instance, port):
    """The app under waitress, in a subprocess; returns it once it answers."""
    env = dict(os.environ, DATABASE_URL=database_url, TETHER_SCHEDULER="off", SECRET_KEY="bench-secret",
               TETHER_INSTANCE_PATH=instance, PYTHONPATH=ROOT)
    code = (
        "from waitress import serve; from app import create_app; "
        f"serve(create_app(), host='127.0.0.1', port={port}, threads=4, _quiet=True)"
    )
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/ping").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the app did not start under waitress within 30 s")


def _token(page):
    return re.search(r'X-CSRFToken": "([^"]+)"', page).group(1)


def sign_in(client):
    token = _token(client.get("/login").text)
    answer = client.post("/login", data={"email": SUPPORT, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.status_code


def measure(client, org_id, rounds):
    """Seconds per request of each page, interleaved round by round so they share the machine's state."""
    editor = client.get(f"/organisations/{org_id}/rules/new").text
    token = _token(editor)
    teaching = re.search(r'<option value="(\d+)"[^>]*>Teaching Staff<', editor).group(1)
    requests = {
        "ping (trivial)": lambda: client.get("/api/v1/ping"),
        "signed-in empty list (trivial)": lambda: client.get(f"/organisations/{org_id}/notifications/"),
        "profile search": lambda: client.get(f"/organisations/{org_id}/profiles", params={"q": "person12"}),
        "duplicates page": lambda: client.get(f"/organisations/{org_id}/duplicates"),
        "rule preview": lambda: client.post(
            f"/organisations/{org_id}/rules/preview",
            data={"expression": "group == Staff and role !~ assistant", "profile_type": teaching, "csrf_token": token},
            headers={"HX-Request": "true", "HX-Target": "preview"},
        ),
    }
    times = {name: [] for name in requests}
    for round_number in range(rounds + 3):
        for name, request in requests.items():
            started = time.perf_counter()
            response = request()
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, (name, response.status_code)
            if round_number >= 3:  # the first rounds warm the caches
                times[name].append(elapsed)
    return times


def report(times, profiles, organisations, backend):
    def p95(values):
        return statistics.quantiles(values, n=20)[-1]

    baselines = {name: statistics.median(v) for name, v in times.items() if "trivial" in name}
    print(f"Console benchmark: {profiles} profiles across {organisations} organisations, {backend}, waitress")
    print(f"{'page':<32}{'median ms':>10}{'p95 ms':>9}" + "".join(f"{'× ' + b.split(' (')[0]:>26}" for b in baselines))
    worst = 0.0
    for name, values in times.items():
        median = statistics.median(values)
        ratios = [median / base for base in baselines.values()]
        if "trivial" not in name:
            worst = max(worst, ratios[-1])
        print(f"{name:<32}{median * 1000:>10.2f}{p95(values) * 1000:>9.2f}" + "".join(f"{r:>26.2f}" for r in ratios))
    print(f"worst ratio to the signed-in trivial page: {worst:.2f}× (goal: at most 5×)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=50_000)
    parser.add_argument("--organisations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--database-url", help="PostgreSQL URL of an empty database (default: temporary SQLite)")
    options = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="tether-console-bench-")
    database_url = options.database_url or f"sqlite:///{directory}/tether.db"
    try:
        started = time.perf_counter()
        org_id, count = generate(database_url, options.profiles, options.organisations)
        print(f"generated {count} profiles in {time.perf_counter() - started:.1f} s")
        port = _free_port()
        server = serve(database_url, directory, port)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                sign_in(client)
                times = measure(client, org_id, options.rounds)
        finally:
            server.terminate()
            server.wait(timeout=10)
        report(times, count, options.organisations, "PostgreSQL" if options.database_url else "SQLite")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
