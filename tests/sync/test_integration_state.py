"""The integration's state (DESIGN §12 item 4): scheduled imports wait for the first import or push a person
starts, stop while paused and start again on resume. The scheduled job is run here, not waited for."""
import pytest

from connectors.sia import client_for
from jobs import registry
from store.models import AuditEvent, Organisation, Profile, SyncRun
from sync import integration, push
from tests import factories


def scheduled_import(app):
    """What the scheduler does every 15 minutes: the sia_import job, as the scheduler, for every organisation."""
    return registry.get("sia_import").run(app)


def state_of(org):
    return Organisation.get_by_id(org.id).state


def test_scheduled_imports_do_not_run_before_the_first_import_a_person_starts_and_do_after(school, run_import, ctx):
    school.member("Ada Lovelace")
    assert state_of(school.org) == "setting_up"
    assert scheduled_import(ctx) == [] and SyncRun.select().count() == 0 and Profile.select().count() == 0

    first = run_import(school, actor="admin@oakfield.test", trigger="console")
    assert first.status == "succeeded" and state_of(school.org) == "active"
    changed = Organisation.get_by_id(school.org.id)
    assert changed.state_changed_by == "admin@oakfield.test" and changed.state_changed_at is not None
    event = AuditEvent.get(AuditEvent.action == "organisation.activated")
    assert (event.actor, event.before, event.after) == ("admin@oakfield.test", {"state": "setting_up"}, {"state": "active"})

    school.member("Bob Babbage")
    [outcome] = scheduled_import(ctx)
    assert (outcome.organisation_id, outcome.status) == (school.org.id, "succeeded")
    assert SyncRun.get_by_id(outcome.run_id).trigger == "schedule" and Profile.select().count() == 2


def test_the_scheduler_and_a_dry_run_leave_an_organisation_setting_up(school, run_import, ctx):
    school.member("Ada Lovelace")
    assert registry.get("sia_import").run(ctx, school.org) == []  # the scheduler, naming the organisation
    run_import(school, trigger="cli", dry_run=True)
    assert state_of(school.org) == "setting_up"
    assert not AuditEvent.select().where(AuditEvent.action == "organisation.activated").exists()


def test_the_first_push_a_person_starts_makes_the_organisation_active(school, ctx):
    factories.profile(school.org, "Grace", "Hopper", email="grace@oakfield.test")
    factories.group(school.connection, school.org, name="Staff", sia_id=school.staff.id)
    result = push.push_all(
        school.org, group_id=school.staff.id, type_names=["Teaching Staff"], actor="cli", trigger="cli",
        client=client_for(school.connection, wsgi_app=ctx),
    )
    assert result.status == "succeeded" and state_of(school.org) == "active"
    assert Organisation.get_by_id(school.org.id).state_changed_by == "cli"


def test_pausing_stops_scheduled_imports_and_resuming_starts_them_again(school, run_import, ctx):
    school.member("Ada Lovelace")
    run_import(school, trigger="cli")
    integration.pause(school.org, "admin@oakfield.test")
    paused = Organisation.get_by_id(school.org.id)
    assert (paused.state, paused.state_changed_by) == ("paused", "admin@oakfield.test")
    assert scheduled_import(ctx) == []
    assert registry.get("sia_import").run(ctx, school.org) == []  # a job queued before the pause does nothing

    run_import(school, trigger="console")  # a person may still import a paused organisation; it stays paused
    assert state_of(school.org) == "paused"

    integration.resume(school.org, "support@tether.test")
    [outcome] = scheduled_import(ctx)
    assert outcome.status == "succeeded" and state_of(school.org) == "active"
    assert [e.action for e in AuditEvent.select().where(AuditEvent.action.startswith("organisation.")).order_by(AuditEvent.id)] == [
        "organisation.activated", "organisation.paused", "organisation.resumed",
    ]


def test_pause_and_resume_refuse_in_words_when_there_is_nothing_to_change(school, run_import):
    with pytest.raises(integration.StateRefused, match="still setting up: nothing imports on schedule"):
        integration.pause(school.org, "admin@oakfield.test")
    with pytest.raises(integration.StateRefused, match="start when someone chooses Import or Push"):
        integration.resume(school.org, "admin@oakfield.test")
    run_import(school, trigger="cli")
    with pytest.raises(integration.StateRefused, match="are not paused"):
        integration.resume(school.org, "admin@oakfield.test")
    integration.pause(school.org, "admin@oakfield.test")
    with pytest.raises(integration.StateRefused, match="already paused"):
        integration.pause(school.org, "admin@oakfield.test")
    assert AuditEvent.select().where(AuditEvent.action == "organisation.paused").count() == 1


def test_the_cli_pauses_and_resumes_with_json_and_exit_1_when_refused(school, runner):
    org = str(school.org.id)
    refused = runner.invoke(args=["sync", "pause", "--org", org])
    assert refused.exit_code == 1 and "still setting up" in refused.output
    Organisation.update(state="active").where(Organisation.id == school.org.id).execute()
    paused = runner.invoke(args=["sync", "pause", "--org", org, "--json"])
    assert paused.exit_code == 0 and '"state": "paused"' in paused.output
    resumed = runner.invoke(args=["sync", "resume", "--org", org])
    assert resumed.exit_code == 0 and "resumed" in resumed.output and state_of(school.org) == "active"
