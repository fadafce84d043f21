"""The console's student pages: list and record, upload with a preview before import, runs, CSV, confirm."""
import io
from pathlib import Path

import pytest

from store.models import Student, SyncRun
from sync import students
from tests import factories as f

from . import exports as x


@pytest.fixture
def console(app, client, school, tmp_path):
    """A signed-in admin of the school; uploads are kept under the test's own instance folder."""
    app.instance_path = str(tmp_path / "instance")
    f.user("admin@leeds.example", "admin", [school])
    client.login("admin@leeds.example")
    return client


def upload(client, org, pupils, name="students.xml"):
    content = x.commandreporter_xml(pupils).encode()
    return client.post(
        f"/organisations/{org.id}/students/upload",
        data={"export": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def import_upload(client, org, preview_page):
    digest = preview_page.split('name="upload" value="')[1][:64]
    return client.post(f"/organisations/{org.id}/students/import", data={"upload": digest, "file_name": "students.xml"})


def test_admin_uploads_an_export_sees_the_preview_then_imports_it(console, school):
    preview = upload(console, school, [x.pupil("1", forename="Amélie"), x.pupil("2", emails=[])])
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Amélie" in page and "missing_email" in page and "create 1, update 0" in page
    assert not Student.select().exists()
    imported = import_upload(console, school, page)
    assert imported.status_code == 303
    run_page = console.get(imported.headers["Location"]).get_data(as_text=True)
    assert "succeeded" in run_page and "Download the 1 problems as CSV" in run_page
    assert Student.select().count() == 1


def test_an_imported_upload_is_not_kept_but_a_halted_ones_is_until_confirmed(console, app, school, import_pupils):
    import_pupils(school, [x.pupil(str(n)) for n in range(10)])
    uploads = Path(app.instance_path) / "sims-uploads" / str(school.id)
    halted = import_upload(console, school, upload(console, school, [x.pupil("1")]).get_data(as_text=True))
    assert len(list(uploads.iterdir())) == 1
    console.post(halted.headers["Location"] + "/confirm")
    assert list(uploads.iterdir()) == []


def test_uploading_a_bad_file_says_what_is_wrong_and_keeps_nothing(console, app, school):
    response = console.post(
        f"/organisations/{school.id}/students/upload",
        data={"export": (io.BytesIO(b"<html></html>"), "report.html")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "report.html cannot be read: the file&#39;s root element is &lt;html&gt;" in response.get_data(as_text=True)
    assert list((Path(app.instance_path) / "sims-uploads" / str(school.id)).iterdir()) == []


def test_uploading_json_nested_100000_deep_says_what_is_wrong_and_keeps_nothing(console, app, school):
    response = console.post(
        f"/organisations/{school.id}/students/upload",
        data={"export": (io.BytesIO(b"[" * 100_000 + b"]" * 100_000), "deep.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "deep.json cannot be read: the file nests deeper than 32 levels" in response.get_data(as_text=True)
    assert list((Path(app.instance_path) / "sims-uploads" / str(school.id)).iterdir()) == []


def test_an_import_that_stops_on_an_error_fails_its_run_and_keeps_no_upload(console, app, school, monkeypatch):
    preview = upload(console, school, [x.pupil("1")]).get_data(as_text=True)

    def plan_import(*args):
        raise MemoryError("out of memory")

    monkeypatch.setattr(students, "plan_import", plan_import)
    with pytest.raises(MemoryError):
        import_upload(console, school, preview)
    run = SyncRun.get()
    assert run.status == "failed" and "(MemoryError: out of memory)" in run.error
    assert list((Path(app.instance_path) / "sims-uploads" / str(school.id)).iterdir()) == []


def test_students_list_searches_and_filters_enabled_and_disabled(console, school, import_pupils):
    import_pupils(school, [x.pupil(str(n), surname=f"Surname{n}") for n in range(1, 21)])
    import_pupils(school, [x.pupil(str(n), surname=f"Surname{n}") for n in range(1, 20)])
    page = console.get(f"/organisations/{school.id}/students?q=surname1").get_data(as_text=True)
    assert "Surname1," in page and "Surname19," in page and "Surname20," not in page
    disabled = console.get(f"/organisations/{school.id}/students?status=disabled").get_data(as_text=True)
    assert "Surname20," in disabled and "Surname1," not in disabled


def test_students_search_as_you_type_answers_with_the_results_only(console, school, import_pupils):
    import_pupils(school, [x.pupil("1", surname="Hopper")])
    response = console.get(f"/organisations/{school.id}/students?q=hop", headers={"HX-Request": "true", "HX-Target": "results"})
    fragment = response.get_data(as_text=True)
    assert "Hopper" in fragment and "<html" not in fragment


def test_students_list_is_paginated(console, school, import_pupils):
    import_pupils(school, [x.pupil(str(n)) for n in range(60)])
    first = console.get(f"/organisations/{school.id}/students").get_data(as_text=True)
    assert "Page 1 of 2 (60 in all)" in first and first.count("<tr>") == 51


def test_one_students_record(console, school, import_pupils):
    import_pupils(school, [x.pupil("1", forename="Amélie", sen=["K - SEN Support"])])
    student = Student.get()
    page = console.get(f"/organisations/{school.id}/students/{student.id}").get_data(as_text=True)
    assert "Amélie" in page and "K - SEN Support" in page and "Female" in page


def test_runs_list_shows_counts(console, school, import_pupils):
    import_pupils(school, [x.pupil("1"), x.pupil("2", forename=None)])
    page = console.get(f"/organisations/{school.id}/students/runs").get_data(as_text=True)
    assert "succeeded" in page and "export-" in page


def test_problems_download_as_csv(console, school, import_pupils):
    result = import_pupils(school, [x.pupil("=cmd", forename=None)])
    response = console.get(f"/organisations/{school.id}/students/runs/{result.run.id}/problems.csv")
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "person_id,name,code,message"
    assert lines[1].startswith("'=cmd,Lovelace,missing_forename,")


def test_admin_confirms_a_halted_run_from_its_page(console, school, import_pupils):
    import_pupils(school, [x.pupil(str(n)) for n in range(10)])
    halted = import_pupils(school, [x.pupil(str(n)) for n in range(5)])
    page = console.get(f"/organisations/{school.id}/students/runs/{halted.run.id}").get_data(as_text=True)
    assert "would disable 5 of 10" in page and "Confirm: import and disable 5 students" in page
    response = console.post(f"/organisations/{school.id}/students/runs/{halted.run.id}/confirm")
    assert response.status_code == 303
    assert SyncRun.get_by_id(halted.run.id).details["confirmed_by_run"]
    assert Student.select().where(Student.enabled == False).count() == 5  # noqa: E712


def test_viewer_reads_but_cannot_upload_import_or_confirm(client, app, school, import_pupils, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    f.user("viewer@leeds.example", "viewer", [school])
    client.login("viewer@leeds.example")
    import_pupils(school, [x.pupil(str(n)) for n in range(10)])
    halted = import_pupils(school, [x.pupil(str(n)) for n in range(5)])
    page = client.get(f"/organisations/{school.id}/students/runs/{halted.run.id}").get_data(as_text=True)
    assert "would disable 5 of 10" in page and "Confirm:" not in page
    assert client.get(f"/organisations/{school.id}/students").status_code == 200
    assert client.get(f"/organisations/{school.id}/students/upload").status_code == 403
    assert upload(client, school, [x.pupil()]).status_code == 403
    assert client.post(f"/organisations/{school.id}/students/runs/{halted.run.id}/confirm").status_code == 403


def test_admin_of_another_school_gets_404(client, school, import_pupils):
    other = f.organisation("Other School")
    f.user("admin@other.example", "admin", [other])
    result = import_pupils(school, [x.pupil("1")])
    student = Student.get()
    client.login("admin@other.example")
    for path in (
        "", f"/{student.id}", "/upload", "/runs", f"/runs/{result.run.id}", f"/runs/{result.run.id}/problems.csv",
    ):
        assert client.get(f"/organisations/{school.id}/students{path}").status_code == 404, path
    assert client.get(f"/organisations/{other.id}/students/{student.id}").status_code == 404
    assert client.get(f"/organisations/{other.id}/students/runs/{result.run.id}").status_code == 404


def test_students_is_in_the_navigation_of_an_organisation(console, school):
    page = console.get(f"/organisations/{school.id}").get_data(as_text=True)
    assert f'href="/organisations/{school.id}/students"' in page
