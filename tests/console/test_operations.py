"""Operations (support only): every organisation's scheduled work at a glance, and `tether jobs status`,
which gives the same as one JSON document (DESIGN §10, §13)."""
import datetime
import json

import pytest

from jobs import sweep
from store.models import JobSchedule, SyncRun, now
from tests import factories as f

DUE = datetime.datetime(2030, 1, 6, 9, 15)


@pytest.fixture
def world(db):
    """A school whose imports keep failing, a paused one, and a SIMS import a dying process abandoned."""
    failing = f.organisation("Failing Academy", state="active")
    f.connection(failing)
    paused = f.organisation("Paused School", state="paused")
    f.connection(paused)
    f.user("support@tether.test", "support")
    f.user("admin@failing.test", "admin", [failing])
    sweep.schedule_new_organisations()
    failed = SyncRun.create(organisation=failing, kind="sia_import", status="failed", finished_at=now(),
                            error="Sign In App rejected the API key and secret")
    for _ in range(2):
        JobSchedule.record(failing.id, "sia_import", "failed", failed.id, DUE)
    JobSchedule.record(paused.id, "sia_import", "succeeded", None, DUE)
    abandoned = SyncRun.create(organisation=failing, kind="sims_students", status="abandoned", finished_at=now(),
                               error="Abandoned: the process running it (host:123) stopped without finishing it.")
    return failing, paused, failed, abandoned


def test_jobs_status_json_gives_each_organisations_schedule_and_the_abandoned_runs(world, runner):
    failing, paused, failed, abandoned = world
    result = runner.invoke(args=["jobs", "status", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == {"organisations", "abandoned_runs"}
    entries = {entry["name"]: entry for entry in document["organisations"]}
    assert list(entries) == ["Failing Academy", "Paused School"]
    school = entries["Failing Academy"]
    assert {"id", "name", "paused", "next_due", "last_run", "failures_in_a_row"} <= set(school)
    assert (school["id"], school["paused"], school["failures_in_a_row"]) == (failing.id, False, 2)
    assert set(school["next_due"]) == {"sia_import", "sever_leavers", "purge_deleted"}
    assert school["next_due"]["sia_import"] == "2030-01-06T09:15:00Z"
    assert school["last_run"] == {"sia_import": {"run_id": failed.id, "status": "failed",
                                                 "finished_at": school["last_run"]["sia_import"]["finished_at"],
                                                 "failures_in_a_row": 2}}
    assert school["last_run"]["sia_import"]["finished_at"].endswith("Z")
    assert entries["Paused School"]["paused"] is True and entries["Paused School"]["failures_in_a_row"] == 0
    [run] = document["abandoned_runs"]
    assert (run["run_id"], run["organisation_id"], run["kind"]) == (abandoned.id, failing.id, "sims_students")
    assert "stopped without finishing" in run["error"]
    failing_only = json.loads(runner.invoke(args=["jobs", "status", "--json", "--show", "failing"]).stdout)
    assert [entry["name"] for entry in failing_only["organisations"]] == ["Failing Academy"]


def test_support_sees_every_organisations_schedule_with_links_to_the_runs(world, client):
    failing, paused, failed, abandoned = world
    client.login("support@tether.test")
    page = client.get("/operations").get_data(as_text=True)
    assert "Failing Academy" in page and "Paused School" in page
    assert "Next due 2030-01-06 09:15" in page and "2 failed in a row" in page
    assert f'href="/organisations/{failing.id}/sync/runs/{failed.id}"' in page
    assert 'status-halted">paused</span>' in page
    assert f'href="/organisations/{failing.id}/students/runs/{abandoned.id}"' in page
    assert "stopped without finishing" in page
    only_paused = client.get("/operations?show=paused", headers={"HX-Request": "true", "HX-Target": "results"})
    body = only_paused.get_data(as_text=True)
    assert "Paused School" in body and "Failing Academy" not in body and "<html" not in body


def test_a_school_admin_may_not_see_operations(world, client):
    client.login("admin@failing.test")
    assert client.get("/operations").status_code == 403
    assert "Operations" not in client.get(f"/organisations/{world[0].id}").get_data(as_text=True)
