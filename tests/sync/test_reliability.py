"""Crash safety, one run at a time, and a Sign In App that is down, slow or refuses the credentials."""
import datetime
import os
import subprocess
import sys
import threading

import httpx
import pytest

import store
from connectors.sia import SiaClient, client_for
from sandbox.models import SandboxMember
from store.models import Exclusion, Profile, SyncRun
from sync import push, sia_import
from sync.lease import AlreadyRunning
from tests import factories
from tests.connectors.conftest import Faults
from tests.sandbox import helpers as sandbox_helpers

from . import helpers

BATCH = 5


class Crash(Exception):
    """Stands for the process dying at this point."""


def crash_at(boundary):
    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) - 1 == boundary:
            raise Crash(f"crash at boundary {boundary}")

    return progress


def build_scenario():
    """A school with every situation: creates, an auto-link, unmapped, excluded and archived members."""
    school = helpers.school(auto_link_exact_email=True)
    contractors = school.group("Contractors")
    school.rule("group == Contractors", "Contractors", position=1)
    visitors = school.group("Visitors")
    factories.profile(school.org, "Grace", "Hopper", email="grace.hopper@school.test")
    people = [school.member(f"Staff Member{n}") for n in range(11)]
    people.append(school.member("Grace Hopper"))
    people += [school.member(f"Contract Worker{n}", group=contractors) for n in range(4)]
    school.member("Val Visitor", group=visitors)
    school.member("Archie Archived", archived=True)
    excluded = school.member("Ex Cluded")
    Exclusion.create(organisation=school.org, connection=school.connection, sia_member_id=excluded.id)
    return school, people


def change_scenario(school, people):
    """What happens between two runs: a rename, a leaver, someone archived, someone removed."""
    helpers.rename(people[0], "Staff Renamed")
    helpers.archive(people[1])
    helpers.remove(people[2])
    leaver = Profile.get(Profile.forename == "Staff", Profile.surname == "Member3")
    leaver.leaving_date = datetime.date.today()
    leaver.save()


def import_once(app, school, **options):
    return sia_import.import_organisation(
        school.org, actor="test", client=client_for(school.connection, wsgi_app=app), batch_size=BATCH, **options
    )


@pytest.mark.parametrize("phase", ["first import", "import after changes"])
def test_a_crash_at_every_batch_boundary_then_a_rerun_ends_as_one_clean_run(db, ctx, phase):
    def prepare():
        helpers.reset(db)
        school, people = build_scenario()
        if phase == "import after changes":
            assert import_once(ctx, school).status == "succeeded"
            change_scenario(school, people)
        return school

    school = prepare()
    clean = import_once(ctx, school)
    expected = helpers.Snapshot().tables
    boundaries = clean.run.total // BATCH + (1 if clean.run.total % BATCH else 0) + 1
    assert boundaries >= 4
    for boundary in range(boundaries):
        school = prepare()
        with pytest.raises(Crash):
            import_once(ctx, school, progress=crash_at(boundary))
        assert import_once(ctx, school).status == "succeeded"
        actual = helpers.Snapshot().tables
        assert actual == expected, (boundary, helpers.differences(actual, expected))


class CrashAfterCreate:
    """A Sign In App client that creates the member, then dies before the link is written."""

    def __init__(self, client, after):
        self.client = client
        self.after = after
        self.created = 0

    def __getattr__(self, name):
        return getattr(self.client, name)

    def create_member(self, group_id, personal_fields):
        member = self.client.create_member(group_id, personal_fields)
        self.created += 1
        if self.created == self.after:
            raise Crash("crash between the Sign In App create and the link")
        return member


def test_push_crash_between_create_and_link_then_rerun_links_the_member_it_created(db, ctx):
    def prepare():
        helpers.reset(db)
        school = helpers.school()
        import_once(ctx, school)
        for n in range(4):
            factories.profile(school.org, "Push", f"Person{n}", email=f"push{n}@school.test")
        return school

    def push_all(school, client):
        return push.push_all(school.org, group_id=school.staff.id, type_names=["Teaching Staff"], actor="test", client=client)

    school = prepare()
    assert push_all(school, client_for(school.connection, wsgi_app=ctx)).counts["created"] == 4
    expected = helpers.Snapshot(include_sandbox=True).tables
    for after in range(1, 5):
        school = prepare()
        with pytest.raises(Crash):
            push_all(school, CrashAfterCreate(client_for(school.connection, wsgi_app=ctx), after))
        rerun = push_all(school, client_for(school.connection, wsgi_app=ctx))
        assert rerun.counts == {"created": 4 - after, "linked": 1, "held_back": 0, "failed": 0}
        assert SandboxMember.select().count() == 4
        assert helpers.Snapshot(include_sandbox=True).tables == expected, f"after a crash following create {after}"


def test_two_imports_at_once_in_two_threads_one_runs_and_one_is_told_already_running(school, ctx):
    for n in range(12):
        school.member(f"Staff Member{n}")
    inside, release = threading.Event(), threading.Event()
    outcome = {}

    def hold(done, total):
        if done == 0:
            inside.set()
            release.wait(10)

    def first():
        with ctx.app_context(), store.database.connection_context():
            outcome["first"] = import_once(ctx, school, progress=hold)

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(10)
    with pytest.raises(AlreadyRunning, match="a sia_import run for organisation .* is already running"):
        import_once(ctx, school)
    release.set()
    thread.join(10)
    assert outcome["first"].status == "succeeded"
    assert outcome["first"].counts["created"] == 12
    assert SyncRun.select().count() == 1


def test_two_imports_at_once_in_two_processes_one_runs_and_one_is_told_already_running(db, ctx, request, tmp_path, backend):
    url = request.getfixturevalue("postgres_database")[0] if backend == "postgres" else f"sqlite:///{db.database}"
    school = helpers.school()
    school.member("Ada Lovelace")
    seen = {}

    def other_process(done, total):
        if done == 0:
            env = {**os.environ, "SECRET_KEY": "test-secret", "DATABASE_URL": url, "TETHER_INSTANCE_PATH": str(tmp_path), "TETHER_SCHEDULER": "off"}
            seen["other"] = subprocess.run(
                [os.path.join(os.path.dirname(sys.executable), "tether"), "sync", "sia", "--org", str(school.org.id), "--json"],
                env=env, capture_output=True, text=True, timeout=60,
            )

    result = import_once(ctx, school, progress=other_process)
    assert result.status == "succeeded" and result.counts["created"] == 1
    assert seen["other"].returncode == 1
    assert "already running" in seen["other"].stderr
    assert seen["other"].stdout == ""


def _unchanged_after(app, school, client):
    school.member("Ada Lovelace")
    school.org.state = "active"  # past its first import: a person's first one would also make it active
    school.org.save()
    before = helpers.Snapshot().tables
    result = sia_import.import_organisation(school.org, actor="test", client=client)
    assert result.status == "failed"
    assert helpers.Snapshot().tables == before
    assert result.run.error == result.message
    return result


def test_sia_down_fails_the_run_with_a_clear_error_and_changes_nothing(school, ctx, closed_port_url):
    client = SiaClient(closed_port_url, "key", "secret", retry_delays=(0, 0), sleep=lambda s: None)
    result = _unchanged_after(ctx, school, client)
    assert "Could not get an answer from Sign In App" in result.message
    assert "Nothing was changed." in result.message


def test_sia_slow_fails_the_run_with_a_clear_error_and_changes_nothing(school, ctx):
    faults = Faults(ctx.wsgi_app)
    faults.queue = [None, None] + [("slow", 0.6)] * 3  # the groups answer; every try for the members is too slow
    with sandbox_helpers.serve(faults) as url:
        client = SiaClient(url + sandbox_helpers.API, school.account.api_key, school.account.api_secret,
                           timeout=httpx.Timeout(0.3), retry_delays=(0, 0), sleep=lambda s: None)
        result = _unchanged_after(ctx, school, client)
    assert "timed out" in result.message


def test_sia_asking_to_slow_down_once_is_waited_for_and_the_run_succeeds(school, ctx):
    ada = school.member("Ada Lovelace")
    faults = Faults(ctx.wsgi_app)
    faults.queue = [(429, {"Retry-After": "1"})]  # the first request is asked to wait a second
    slept = []
    with sandbox_helpers.serve(faults) as url:
        client = SiaClient(url + sandbox_helpers.API, school.account.api_key, school.account.api_secret,
                           sleep=slept.append)
        result = sia_import.import_organisation(school.org, actor="test", client=client)
    assert result.status == "succeeded" and slept == [1.0]
    assert Profile.get(Profile.forename == "Ada").links.get().sia_member.sia_id == ada.id


def test_sia_asking_to_slow_down_for_ever_fails_the_run_within_a_minute_in_words(school, ctx):
    faults = Faults(ctx.wsgi_app)
    faults.queue = [(429, {"Retry-After": "30"})] * 20
    slept = []
    with sandbox_helpers.serve(faults) as url:
        client = SiaClient(url + sandbox_helpers.API, school.account.api_key, school.account.api_secret,
                           sleep=slept.append)
        result = _unchanged_after(ctx, school, client)
    assert sum(slept) <= 60
    assert "Sign In App asked us to slow down" in result.message and "Nothing was changed." in result.message


def test_sia_answering_401_fails_the_run_with_a_clear_error_and_changes_nothing(school, ctx):
    school.connection.set_secret("wrong")
    result = _unchanged_after(ctx, school, client_for(school.connection, wsgi_app=ctx))
    assert "rejected the API key and secret" in result.message
    assert "Nothing was changed." in result.message


def test_failed_run_leaves_a_notification_for_the_school(school, ctx):
    school.connection.set_secret("wrong")
    result = sia_import.import_organisation(school.org, actor="test", client=client_for(school.connection, wsgi_app=ctx))
    notification = school.org.notifications.get()
    assert notification.kind == "sync_failed" and notification.message == result.message


def test_school_without_a_connection_fails_the_run_saying_what_to_do(ctx):
    org = factories.organisation("No Connection School")
    result = sia_import.import_organisation(org, actor="test")
    assert result.status == "failed"
    assert "has no Sign In App connection" in result.message and "Settings → Sign In App → Connection" in result.message
