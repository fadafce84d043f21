"""The console's sync run pages and the upload page: reading, live progress, starting, permissions."""
from store.models import Profile, RunProblem, SyncRun
from sync.lease import acquire
from tests import factories

from . import helpers




def test_run_import_now_starts_a_run_and_shows_its_progress_page(school, client):
    school.member("Ada Lovelace")
    helpers.sign_in_as_role(client, school, "admin")
    response = client.post(f"/organisations/{school.org.id}/sync/runs/import")
    assert response.status_code == 303
    run_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    run = helpers.wait_for_run(run_id)
    assert run.status == "succeeded" and run.counts["created"] == 1 and run.trigger == "console"
    page = client.get(f"/organisations/{school.org.id}/sync/runs/{run_id}").get_data(as_text=True)
    assert "succeeded" in page and "Created" in page and 'hx-trigger="every 1s"' not in page


def test_progress_fragment_polls_every_second_while_running_and_stops_when_finished(school, client):
    helpers.sign_in_as_role(client, school, "viewer")
    run = SyncRun.create(organisation=school.org, kind="sia_import", status="running", done=3, total=10)
    fragment = client.get(f"/organisations/{school.org.id}/sync/runs/{run.id}/progress").get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="run-progress"')
    assert 'hx-trigger="every 1s"' in fragment and "3 of 10" in fragment
    run.status, run.done = "succeeded", 10
    run.save()
    fragment = client.get(f"/organisations/{school.org.id}/sync/runs/{run.id}/progress").get_data(as_text=True)
    assert "hx-trigger" not in fragment and "succeeded" in fragment


def test_run_now_while_an_import_is_running_says_already_running(school, client):
    helpers.sign_in_as_role(client, school, "admin")
    with acquire(school.org.id, "sia_import", "the scheduler"):
        response = client.post(f"/organisations/{school.org.id}/sync/runs/import", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "The import was not started" in page and "already running" in page
    assert SyncRun.select().count() == 0


def test_viewer_reads_runs_but_cannot_start_an_import(school, client):
    helpers.sign_in_as_role(client, school, "viewer")
    page = client.get(f"/organisations/{school.org.id}/sync/runs").get_data(as_text=True)
    assert f'action="/organisations/{school.org.id}/sync/runs/import"' not in page
    assert client.post(f"/organisations/{school.org.id}/sync/runs/import").status_code == 403


def test_another_schools_admin_gets_404_for_its_runs(school, client):
    run = SyncRun.create(organisation=school.org, kind="sia_import", status="succeeded")
    other = factories.organisation("Elsewhere")
    factories.user("other@school.test", role="admin", orgs=[other])
    client.login("other@school.test")
    assert client.get(f"/organisations/{school.org.id}/sync/runs/{run.id}").status_code == 404
    assert client.get(f"/organisations/{other.id}/sync/runs/{run.id}").status_code == 404


def test_problems_download_as_csv(school, client):
    helpers.sign_in_as_role(client, school, "viewer")
    run = SyncRun.create(organisation=school.org, kind="sia_import", status="succeeded")
    RunProblem.create(run=run, external_id="group:7", name="Staff", code="empty_group", message="=no members")
    response = client.get(f"/organisations/{school.org.id}/sync/runs/{run.id}/problems.csv")
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).splitlines() == ["external_id,name,code,message", "group:7,Staff,empty_group,'=no members"]


def test_upload_page_lists_unintegrated_profiles_and_pushes_all_after_confirmation(school, client, run_import):
    run_import(school)
    factories.profile(school.org, "Grace", "Hopper", email="grace@school.test")
    factories.profile(school.org, "Val", "Volunteer", type_name="Volunteers")
    helpers.sign_in_as_role(client, school, "admin")
    url = f"/organisations/{school.org.id}/sync/upload"
    page = client.get(url, query_string={"type": "Teaching Staff", "group": school.staff.id}).get_data(as_text=True)
    assert "Grace Hopper" in page and "Val Volunteer" not in page
    assert 'data-confirm="Create up to 1 members in the Sign In App group Staff' in page
    response = client.post(url, data={"type": "Teaching Staff", "group": str(school.staff.id)})
    assert response.status_code == 303
    run = helpers.wait_for_run(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert run.kind == "sia_push" and run.counts == {"created": 1, "linked": 0, "held_back": 0, "failed": 0}
    assert "Grace Hopper" not in client.get(url).get_data(as_text=True)


def test_viewer_sees_the_upload_page_without_push(school, client):
    factories.profile(school.org, "Grace", "Hopper")
    helpers.sign_in_as_role(client, school, "viewer")
    page = client.get(f"/organisations/{school.org.id}/sync/upload").get_data(as_text=True)
    assert "Grace Hopper" in page and "Push All" not in page and "Preview" not in page
    assert client.post(f"/organisations/{school.org.id}/sync/upload", data={"group": "1"}).status_code == 403
    assert Profile.select().count() == 1


def test_run_pages_have_no_inline_script_or_style(school, client, run_import):
    run = run_import(school, dry_run=True).run
    helpers.sign_in_as_role(client, school, "admin")
    for path in ("sync/runs", f"sync/runs/{run.id}", "sync/upload"):
        page = client.get(f"/organisations/{school.org.id}/{path}").get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and "onclick" not in page
