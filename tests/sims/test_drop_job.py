"""The drop folder job: each new export in `<drop root>/<organisation id>/` is imported once."""
import os

from store.models import Student, SyncRun
from jobs.sims_drop import import_new_drops

from . import exports as x


def drop(root, org, pupils, name="students.xml"):
    folder = root / str(org.id)
    folder.mkdir(parents=True, exist_ok=True)
    return x.write_xml(folder, pupils, name=name)


def test_a_new_export_in_the_organisations_folder_is_imported(school, tmp_path):
    drop(tmp_path, school, [x.pupil("1"), x.pupil("2")])
    (outcome,) = import_new_drops(None, tmp_path, settle_seconds=0)
    assert (outcome.organisation_id, outcome.file_name, outcome.status) == (school.id, "students.xml", "succeeded")
    run = SyncRun.get_by_id(outcome.run_id)
    assert (run.trigger, run.actor) == ("schedule", "scheduler")
    assert Student.select().count() == 2


def test_an_export_already_imported_is_not_imported_again_even_renamed(school, tmp_path):
    path = drop(tmp_path, school, [x.pupil("1")])
    import_new_drops(None, tmp_path, settle_seconds=0)
    os.rename(path, path.with_name("again.xml"))
    assert import_new_drops(None, tmp_path, settle_seconds=0) == []
    assert SyncRun.select().count() == 1


def test_a_changed_export_is_imported(school, tmp_path):
    drop(tmp_path, school, [x.pupil("1")])
    import_new_drops(None, tmp_path, settle_seconds=0)
    drop(tmp_path, school, [x.pupil("1"), x.pupil("2")])
    (outcome,) = import_new_drops(None, tmp_path, settle_seconds=0)
    assert outcome.status == "succeeded" and Student.select().count() == 2


def test_a_halted_export_is_not_retried_automatically(school, tmp_path, import_pupils):
    import_pupils(school, [x.pupil(str(n)) for n in range(10)])
    drop(tmp_path, school, [x.pupil("1")])
    (outcome,) = import_new_drops(None, tmp_path, settle_seconds=0)
    assert outcome.status == "halted" and "would disable 9 of 10" in outcome.message
    assert import_new_drops(None, tmp_path, settle_seconds=0) == []


def test_an_unreadable_export_is_recorded_once_and_not_retried(school, tmp_path):
    folder = tmp_path / str(school.id)
    folder.mkdir()
    (folder / "students.xml").write_text("<SuperStarReport><Record>")
    (outcome,) = import_new_drops(None, tmp_path, settle_seconds=0)
    assert outcome.status == "failed" and "ends too early" in outcome.message
    assert import_new_drops(None, tmp_path, settle_seconds=0) == []


def test_files_still_being_written_are_left_for_later(school, tmp_path):
    drop(tmp_path, school, [x.pupil("1")], name="students.xml.part")
    drop(tmp_path, school, [x.pupil("1")], name=".students.xml")
    drop(tmp_path, school, [x.pupil("1")], name="fresh.xml")
    assert import_new_drops(None, tmp_path, settle_seconds=60) == []
    assert not SyncRun.select().exists()


def test_folders_not_named_after_an_organisation_are_ignored(school, tmp_path):
    (tmp_path / "leeds").mkdir()
    x.write_xml(tmp_path / "leeds", [x.pupil()])
    (tmp_path / "999").mkdir()
    x.write_xml(tmp_path / "999", [x.pupil()])
    assert import_new_drops(None, tmp_path, settle_seconds=0) == []


def test_the_drop_root_defaults_to_the_apps_setting(app, school, tmp_path):
    app.config["TETHER_SIMS_DROP"] = str(tmp_path)
    drop(tmp_path, school, [x.pupil("1")])
    (outcome,) = import_new_drops(app, settle_seconds=0)
    assert outcome.status == "succeeded"


def test_a_missing_drop_root_imports_nothing(db, tmp_path):
    assert import_new_drops(None, tmp_path / "absent") == []


def test_jobs_run_sims_drop_from_the_command_line_imports_the_dropped_export(app, runner, school, tmp_path):
    app.config["TETHER_SIMS_DROP"] = str(tmp_path)
    drop(tmp_path, school, [x.pupil("1")])
    os.utime(tmp_path / str(school.id) / "students.xml", (0, 0))  # settled long ago
    ran = runner.invoke(args=["jobs", "run", "sims_drop"])
    assert ran.exit_code == 0, ran.output
    assert "succeeded" in ran.output and Student.select().count() == 1
