"""Benchmark for the safety check: the morning rush against a trivial JSON endpoint, in the same run.

Run from the repository root:
    .venv/bin/python -m bench.safety_bench                                   # SQLite, waitress
    .venv/bin/python -m bench.safety_bench --database-url postgresql://…     # PostgreSQL, gunicorn -w 2
Options: [--rounds 15] [--seconds 2] [--clients 20]; the URL must name an empty PostgreSQL database.

Builds its own data: the demo trust (`demo.trust.seed`), then what the sync would make of it — the
mirror of every linked group with its Sign In App settings, the member shadows, and a link from each
member to the profile with the same email — and a safety-check token. On SQLite (a temporary file) the
app is served by waitress (8 threads) in a subprocess, as `python app.py` serves it; on PostgreSQL by
gunicorn with 2 worker processes of 8 threads each, as a hosted Tether runs (README, "Running for many
schools"). In the same run, 20 concurrent clients (threads, keep-alive connections) call
`POST /api/v1/safety-check` for random members of the linked groups, and `GET /api/v1/ping`, in
alternating rounds (many short ones, so that a change in what a shared VM gives the run falls on both
alike; each pair's ratio is printed too). Prints p50/p99 latency and throughput of both and the ratio;
the goal is the safety check at >= 0.55 of ping's throughput on SQLite and >= 0.65 on PostgreSQL, with
no errors (exit 1 otherwise). Reject and allow-when-not-ready answers write their Notification, as in
production.
"""
import argparse
import http.client
import json
import logging
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOALS = {"SQLite": 0.55, "PostgreSQL": 0.65}
GUNICORN_WORKERS = 2


def _app(database_url, instance):
    os.environ["TETHER_INSTANCE_PATH"] = instance
    from app import create_app

    return create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "bench", "TETHER_SCHEDULER": False, "AUTO_MIGRATE": True}
    )


def build(database_url, instance):
    """Seed the demo, mirror its linked groups and link members by email; return (token, [(member, group)])."""
    app = _app(database_url, instance)
    import store
    from compliance import tokens
    from demo import trust as demo
    from sandbox.api import group_detail
    from sandbox.models import SandboxGroup, SandboxMember
    from store.models import Link, Profile, SiaConnection, SiaGroup, SiaMember

    with app.app_context(), store.database.connection_context(), store.database.atomic():
        demo.seed(password="bench-password")
        connection = SiaConnection.get()
        calls = []
        for group in SandboxGroup.select().where(SandboxGroup.organisation_id.is_null(False)):
            mirrored = SiaGroup.create(
                connection=connection, sia_id=group.id, name=group.name, type=group.type,
                organisation=group.organisation_id, settings=group_detail(group),
            )
            profiles = {
                (p.email or "").lower(): p
                for p in Profile.active(group.organisation_id).where(Profile.email.is_null(False))
            }
            for member in SandboxMember.of_group(group):
                shadow = SiaMember.create(
                    connection=connection, sia_id=member.id, group=mirrored, personal_fields=member.personal_fields,
                    archived=member.archived,
                )
                profile = profiles.pop((member.personal_fields.get("email") or "").lower(), None)
                if profile is not None:
                    Link.create(profile=profile, sia_member=shadow, organisation=group.organisation_id, linked_by="bench")
                calls.append((member.id, group.id))
        _, secret = tokens.create(connection, actor="bench")
        linked = Link.select().count()
    return secret, calls, linked


def serve(database_url, instance, port, threads):
    """The server subprocess: the app under waitress, until killed."""
    import waitress

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    app = _app(database_url, instance)
    app.config["AUTO_MIGRATE"] = False
    waitress.serve(app, host="127.0.0.1", port=port, threads=threads, connection_limit=200, channel_timeout=30)


def _start_server(database_url, instance, port, threads, postgres):
    """The app in a subprocess: gunicorn's worker processes on PostgreSQL, waitress's threads on SQLite."""
    if not postgres:
        command = [sys.executable, "-m", "bench.safety_bench", "--threads", str(threads), "--serve", database_url, instance, str(port)]
        return subprocess.Popen(command, cwd=ROOT)
    environment = {
        **os.environ, "DATABASE_URL": database_url, "TETHER_INSTANCE_PATH": instance, "SECRET_KEY": "bench",
        "TETHER_SCHEDULER": "off",
    }
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(GUNICORN_WORKERS), "--worker-class", "gthread",
        "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "app:create_app()",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=environment)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(port, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode} before answering; see its output above.")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/ping")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer on 127.0.0.1:{port} within {timeout} s.")


class Round:
    """One endpoint hammered by `clients` threads for `seconds`: latencies (s) and errors."""

    def __init__(self, port, clients, seconds, request):
        self.port, self.clients, self.seconds, self.request = port, clients, seconds, request
        self.latencies, self.errors, self.elapsed = [], [], 0.0
        self.lock = threading.Lock()

    def _client(self, deadline, seed):
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        latencies, errors = [], []
        while time.monotonic() < deadline:
            method, path, body, headers, check = self.request(rng)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                latencies.append(time.perf_counter() - started)
                problem = check(response.status, payload)
                if problem:
                    errors.append(problem)
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.close()
        with self.lock:
            self.latencies.extend(latencies)
            self.errors.extend(errors)

    def run(self, seed):
        deadline = time.monotonic() + self.seconds
        threads = [threading.Thread(target=self._client, args=(deadline, seed * 1000 + i)) for i in range(self.clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.elapsed += time.perf_counter() - started
        return self


def _ping(rng):
    def check(status, payload):
        return None if status == 200 and json.loads(payload) == {"ok": True} else f"ping answered {status}"

    return "GET", "/api/v1/ping", None, {}, check


def _safety(secret, calls):
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    keys = {"status", "shield", "decision", "notify", "rating_systems", "message"}

    def request(rng):
        member_id, group_id = rng.choice(calls)
        body = json.dumps({"member_id": member_id, "group_id": group_id})

        def check(status, payload):
            if status != 200:
                return f"safety check answered {status}: {payload[:200]!r}"
            return None if set(json.loads(payload)) == keys else f"unexpected answer {payload[:200]!r}"

        return "POST", "/api/v1/safety-check", body, headers, check

    return request


def _summary(name, rounds):
    latencies = sorted(l for r in rounds for l in r.latencies)
    errors = [e for r in rounds for e in r.errors]
    elapsed = sum(r.elapsed for r in rounds)
    throughput = len(latencies) / elapsed
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    print(f"{name:<14} {len(latencies):>8} req  {throughput:>8.0f} req/s  p50 {p50:>6.1f} ms  p99 {p99:>6.1f} ms  errors {len(errors)}")
    for error in sorted(set(errors))[:5]:
        print(f"    {error}")
    return throughput, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each measured round (default 2)")
    parser.add_argument("--rounds", type=int, default=15, help="alternating rounds per endpoint (default 15)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--threads", type=int, default=8, help="server threads (waitress), or threads per gunicorn worker (default 8)")
    parser.add_argument(
        "--database-url", help="an empty PostgreSQL database to run on (default: a temporary SQLite file)"
    )
    parser.add_argument("--serve", nargs=3, metavar=("DATABASE_URL", "INSTANCE", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        database_url, instance, port = args.serve
        serve(database_url, instance, int(port), args.threads)
        return 0

    workdir = tempfile.mkdtemp(prefix="tether-safety-bench-")
    database_url = args.database_url or "sqlite:///" + os.path.join(workdir, "bench.db")
    os.environ["TETHER_SCHEDULER"] = "off"
    secret, calls, linked = build(database_url, workdir)
    print(f"data: demo trust, {len(calls)} members of linked groups ({linked} linked to profiles)")

    port = _free_port()
    postgres = database_url.startswith("postgres")
    server = _start_server(database_url, workdir, port, args.threads, postgres)
    try:
        _wait_until_up(port, server)
        safety = _safety(secret, calls)
        Round(port, args.clients, 2.0, _ping).run(0)  # warm both paths up, unmeasured
        Round(port, args.clients, 2.0, safety).run(0)
        ping_rounds, safety_rounds = [], []
        for n in range(1, args.rounds + 1):
            ping_rounds.append(Round(port, args.clients, args.seconds, _ping).run(n))
            safety_rounds.append(Round(port, args.clients, args.seconds, safety).run(n))
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    kind = "PostgreSQL" if postgres else "SQLite"
    served = f"gunicorn, {GUNICORN_WORKERS} workers x {args.threads} threads" if postgres else f"waitress, {args.threads} threads"
    print(f"{kind}; {served} on 127.0.0.1, {args.clients} clients, {args.rounds} x {args.seconds:g} s each:")
    ping_rate, ping_errors = _summary("GET ping", ping_rounds)
    safety_rate, safety_errors = _summary("safety check", safety_rounds)
    pairs = [len(s.latencies) / s.elapsed / (len(p.latencies) / p.elapsed) for p, s in zip(ping_rounds, safety_rounds)]
    print("each round's ratio: " + " ".join(f"{r:.2f}" for r in pairs))
    ratio = safety_rate / ping_rate
    goal = GOALS[kind]
    ok = ratio >= goal and not ping_errors and not safety_errors
    print(f"{kind}: safety check / ping throughput: {ratio:.2f} (goal >= {goal:.2f}, no errors): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
