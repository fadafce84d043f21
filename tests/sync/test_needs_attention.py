"""A run that held back an empty group finishes "needs attention", not "succeeded" (issue 16, diagnostics):
Sign In App answering a linked group with no members is more likely a fault than everyone leaving, so
the import keeps the members and says so — on the run, in a notification, and in the CLI's exit code."""
import json

from store.models import Notification, SyncRun
from tests import factories

from . import helpers


def _empty_after_one_import(school, run_import):
    school.member("Ada Lovelace")
    school.member("Bob Babbage")
    run_import(school)
    helpers.empty_group(school.staff)


def test_a_run_that_held_back_an_empty_group_needs_attention_and_tells_the_school_once(school, run_import):
    _empty_after_one_import(school, run_import)
    first, second = run_import(school), run_import(school, trigger="schedule")
    assert [first.status, second.status] == ["needs_attention", "needs_attention"]
    assert second.run.done == second.run.total and second.run.finished_at is not None
    [note] = Notification.select().where(Notification.kind == "sync_needs_attention")
    assert note.subject == f"Sign In App import needs attention (run {first.run.id})"
    assert "returned no members for the group 'Staff'" in note.message
    school.member("Cy Clerk")
    assert run_import(school).status == "succeeded"


def test_cli_import_that_held_back_an_empty_group_exits_1_with_the_reason(school, run_import, runner):
    _empty_after_one_import(school, run_import)
    result = runner.invoke(args=["sync", "sia", "--org", str(school.org.id), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "needs_attention"
    assert "needs attention: Sign In App returned no members for the group 'Staff'" in result.stderr
    jobs = runner.invoke(args=["jobs", "run", "sia_import", "--org", str(school.org.id)])
    assert jobs.exit_code == 1 and "needs_attention" in jobs.stderr


def test_runs_pages_say_needs_attention_and_what_to_look_at(school, run_import, client):
    _empty_after_one_import(school, run_import)
    run = run_import(school).run
    factories.user("viewer@school.test", role="viewer", orgs=[school.org])
    client.login("viewer@school.test")
    page = client.get(f"/organisations/{school.org.id}/sync/runs/{run.id}").get_data(as_text=True)
    assert '<span class="status status-needs_attention">needs attention</span>' in page
    assert '<p class="flash flash-warning" role="alert">Sign In App returned no members for the group' in page
    listing = client.get(f"/organisations/{school.org.id}/sync/runs").get_data(as_text=True)
    assert '<span class="status status-needs_attention">needs attention</span>' in listing
    overview = client.get(f"/organisations/{school.org.id}").get_data(as_text=True)
    assert "bar-needs_attention" in overview and "returned no members for the group" in overview
    assert SyncRun.get_by_id(run.id).status in SyncRun.DONE
