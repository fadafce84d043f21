"""Leaver severing and purge jobs, the job registry, `tether jobs run`, and the scheduler's clock."""
import datetime

import pytest

from jobs import registry, scheduler
from store.models import AuditEvent, Exclusion, Link, Organisation, Profile, SiaMember
from sync import leavers, linking, purge
from sync.lease import acquire
from tests import factories

from . import helpers

TODAY = datetime.date.today()


def _set_state(organisation, state):
    Organisation.update(state=state).where(Organisation.id == organisation.id).execute()


def _linked_profile(school, run_import, name="Ada Lovelace"):
    member = school.member(name)
    run_import(school)
    link = Link.active().join(SiaMember).where(SiaMember.sia_id == member.id).get()
    return Profile.get_by_id(link.profile_id), member


def test_daily_leaver_job_severs_links_from_the_leaving_day(school, run_import):
    profile, _ = _linked_profile(school, run_import)
    staying, _ = _linked_profile(school, run_import, "Bob Babbage")
    Profile.update(leaving_date=TODAY).where(Profile.id == profile.id).execute()
    Profile.update(leaving_date=TODAY + datetime.timedelta(days=1)).where(Profile.id == staying.id).execute()
    result = leavers.sever_leavers(school.org, actor="test")
    assert result.counts == {"severed": 1}
    assert Link.get(Link.profile == profile.id).sever_reason == "leaver"
    assert Link.active_for_profile(staying.id) is not None
    assert AuditEvent.select().where(AuditEvent.action == "link.severed").count() == 1


def test_purge_removes_profiles_deleted_over_90_days_ago_and_keeps_exclusions(school, run_import):
    old, member = _linked_profile(school, run_import)
    recent, _ = _linked_profile(school, run_import, "Bob Babbage")
    long_ago = datetime.datetime.now() - datetime.timedelta(days=91)
    for profile, when in ((old, long_ago), (recent, datetime.datetime.now() - datetime.timedelta(days=89))):
        Profile.update(status="deleted", deleted_at=when).where(Profile.id == profile.id).execute()
        linking.sever(Link.active_for_profile(profile.id), "deleted", "test")
    Exclusion.create(organisation=school.org, connection=school.connection, sia_member_id=member.id)
    result = purge.purge_deleted(school.org, actor="test")
    assert result.counts == {"purged": 1}
    assert Profile.get_or_none(Profile.id == old.id) is None
    assert Profile.get_by_id(recent.id).status == "deleted"
    assert Exclusion.active(school.org).count() == 1
    assert AuditEvent.get(AuditEvent.action == "profile.purged").subject == f"profile:{old.id}"


def test_job_run_now_during_a_run_of_the_same_kind_is_reported_busy(school, ctx):
    with acquire(school.org.id, "sia_import", "someone else"):
        [outcome] = registry.get("sia_import").run(ctx, school.org, actor="test", trigger="cli")
    assert outcome.status == "busy" and "already running" in outcome.message


def test_sia_import_job_covers_every_active_connected_organisation(school, ctx):
    factories.organisation("Unconnected School", state="active")
    paused = helpers.school("Paused Academy").org
    _set_state(paused, "paused")
    _set_state(school.org, "active")
    school.member("Ada Lovelace")
    outcomes = registry.get("sia_import").run(ctx)
    assert [(o.organisation_id, o.status) for o in outcomes] == [(school.org.id, "succeeded")]


def test_jobs_cli_runs_a_job_now_and_lists_them(school, runner):
    school.member("Ada Lovelace")
    listed = runner.invoke(args=["jobs", "list"])
    assert listed.exit_code == 0 and "sia_import" in listed.output and "purge_deleted" in listed.output
    ran = runner.invoke(args=["jobs", "run", "sia_import", "--org", str(school.org.id)])
    assert ran.exit_code == 0, ran.output
    assert "succeeded" in ran.output and Profile.select().count() == 1
    unknown = runner.invoke(args=["jobs", "run", "nonsense"])
    assert unknown.exit_code == 2 and "no job called 'nonsense'" in unknown.output


def test_scheduler_is_not_started_in_tests_or_when_switched_off(app):
    assert scheduler.init_app(app) is None
    app.testing = False
    app.config["TETHER_SCHEDULER"] = False
    assert scheduler.init_app(app) is None
    assert "tether_scheduler" not in app.extensions


@pytest.mark.parametrize("run_main, starts", [(None, False), ("true", True)])
def test_under_the_reloader_only_the_reloaded_child_starts_the_scheduler(app, monkeypatch, run_main, starts):
    started = []
    monkeypatch.setattr(scheduler.Scheduler, "start", lambda self: started.append(self))
    monkeypatch.setattr(scheduler.atexit, "register", lambda fn: None)
    if run_main:
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", run_main)
    else:
        monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    app.testing, app.debug = False, True
    app.config["TETHER_SCHEDULER"] = True
    assert (scheduler.init_app(app) is not None) is starts
    assert bool(started) is starts
