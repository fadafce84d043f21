"""`tether sims preview` and `tether sims import`: the contract of DESIGN §10 that scripts rely on."""
import json

from store.models import Student, SyncRun

from . import exports as x


def invoke(runner, *args):
    return runner.invoke(args=["sims", *map(str, args)])


def test_preview_prints_what_an_import_would_write_as_json_and_changes_nothing(runner, school, tmp_path):
    path = x.write_xml(tmp_path, [x.pupil("1", dob="04/03/2012", fsm="T"), x.pupil("2", forename=None)])
    result = invoke(runner, "preview", path, "--org", school.id, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document) == ["students", "problems"]
    (row,) = document["students"]
    assert list(row) == [
        "person_id", "username", "school_identifier", "forename", "surname", "dob", "gender", "fsm", "address",
        "postcode", "home_phone", "mobile", "personal_email", "work_email", "email_preference", "sen_information",
    ]
    assert (row["dob"], row["fsm"], row["gender"], row["mobile"]) == ("2012-03-04", True, "F", None)
    assert document["problems"] == [{
        "external_id": "2", "name": "Lovelace", "code": "missing_forename",
        "message": "Person 2 (Lovelace) has no forename; add it in SIMS and export again",
    }]
    assert not Student.select().exists()


def test_preview_prints_the_students_on_stdout_and_their_problems_on_stderr_as_sync_does(runner, school, tmp_path):
    path = x.write_xml(tmp_path, [x.pupil("1"), x.pupil("2", forename=None)])
    result = invoke(runner, "preview", path, "--org", school.id)
    assert result.exit_code == 0, result.output
    assert "missing_forename" in result.stderr and "missing_forename" not in result.stdout
    assert "1 students would be imported, 1 records would fail." in result.stdout


def test_preview_without_an_organisation_uses_a_new_organisations_defaults(runner, db, tmp_path):
    path = x.write_json(tmp_path, [x.pupil("1", gender="Male")])
    result = invoke(runner, "preview", path, "--format", "json", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["students"][0]["gender"] == "M"


def test_preview_of_a_bad_file_exits_2_with_the_error_on_stderr(runner, db, tmp_path):
    path = tmp_path / "export.xml"
    path.write_text("<Students/>")
    result = invoke(runner, "preview", path, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "error: " in result.stderr and "not <SuperStarReport>" in result.stderr


def test_import_prints_the_run_as_json_and_exits_0(runner, school, tmp_path):
    path = x.write_xml(tmp_path, [x.pupil("1"), x.pupil("2", emails=[])])
    result = invoke(runner, "import", path, "--org", school.id, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document) == ["run_id", "status", "counts", "problems"]
    assert document["status"] == "succeeded"
    assert document["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "disabled": 0, "reenabled": 0, "failed": 1}
    assert [(p["external_id"], p["code"]) for p in document["problems"]] == [("2", "missing_email")]
    assert result.stderr == ""


def test_import_that_halts_exits_1_says_how_many_and_goes_ahead_with_confirm_disable(runner, school, tmp_path):
    everyone = x.write_xml(tmp_path, [x.pupil(str(n)) for n in range(10)], name="all.xml")
    half = x.write_xml(tmp_path, [x.pupil(str(n)) for n in range(5)], name="half.xml")
    assert invoke(runner, "import", everyone, "--org", school.id).exit_code == 0
    halted = invoke(runner, "import", half, "--org", school.id, "--json")
    assert halted.exit_code == 1
    assert json.loads(halted.stdout)["status"] == "halted"
    assert "would disable 5 of 10 enabled students" in halted.stderr
    confirmed = invoke(runner, "import", half, "--org", school.id, "--confirm-disable", "--json")
    assert confirmed.exit_code == 0
    assert json.loads(confirmed.stdout)["counts"]["disabled"] == 5


def test_import_dry_run_changes_nothing(runner, school, tmp_path):
    path = x.write_xml(tmp_path, [x.pupil("1")])
    result = invoke(runner, "import", path, "--org", school.id, "--dry-run")
    assert result.exit_code == 0
    assert "(dry run: nothing was changed): 1 created" in result.stdout
    assert not Student.select().exists()


def test_import_of_a_bad_file_exits_2_and_records_the_failed_run(runner, school, tmp_path):
    path = tmp_path / "export.xml"
    path.write_bytes(b"\x00\x01binary")
    result = invoke(runner, "import", path, "--org", school.id, "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["status"] == "failed"
    assert "error: The export export.xml cannot be read: the file is neither XML nor JSON" in result.stderr


def test_import_of_json_nested_100000_deep_exits_2_and_fails_its_run(runner, school, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = invoke(runner, "import", path, "--org", school.id)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: The export deep.json cannot be read: the file nests deeper than 32 levels; "
                                    "it is not a Tether JSON export.")
    run = SyncRun.get()
    assert run.status == "failed" and "nests deeper than 32 levels" in run.error and run.details["bad_file"]


def test_import_into_an_unknown_organisation_exits_2(runner, db, tmp_path):
    result = invoke(runner, "import", x.write_xml(tmp_path, [x.pupil()]), "--org", 999)
    assert result.exit_code == 2
    assert "no organisation with id 999" in result.stderr


def test_import_without_org_is_a_usage_error(runner, db, tmp_path):
    assert invoke(runner, "import", x.write_xml(tmp_path, [x.pupil()])).exit_code == 2


def test_import_shows_no_progress_bar_off_a_terminal(runner, school, tmp_path):
    result = invoke(runner, "import", x.write_xml(tmp_path, [x.pupil()]), "--org", school.id)
    assert "Reading export" not in result.output
