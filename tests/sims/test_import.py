"""The import as a whole: safety halts, idempotence, one transaction, and what each run records."""
import pytest

from store.models import AuditEvent, RunLease, RunProblem, Student, SyncRun
from sync import lease, students

from . import exports as x
from .conftest import account


def pupils(count, start=1):
    return [x.pupil(str(n)) for n in range(start, start + count)]


def snapshot(org):
    return [s.__data__ for s in Student.select().where(Student.organisation == org).order_by(Student.id)]


def test_an_export_with_zero_students_halts_with_nothing_changed(school, import_pupils):
    import_pupils(school, pupils(5))
    before = snapshot(school)
    result = import_pupils(school, [])
    assert result.status == "halted"
    assert "no students in it, so importing it would disable all 5 enabled students" in result.message
    assert snapshot(school) == before


def test_an_export_with_zero_students_goes_ahead_when_confirmed(school, import_pupils):
    import_pupils(school, pupils(5))
    result = import_pupils(school, [], confirm_disable=True)
    assert result.status == "succeeded" and result.counts["disabled"] == 5


def test_disabling_more_than_the_threshold_halts_and_says_how_many_would_be_disabled(school, import_pupils):
    import_pupils(school, pupils(20))
    before = snapshot(school)
    result = import_pupils(school, pupils(17) + pupils(2, start=100))
    assert result.status == "halted"
    assert result.message.startswith("This export would disable 3 of 20 enabled students (15 %), more than")
    assert "threshold of 10 %" in result.message and "Nothing was changed" in result.message
    assert snapshot(school) == before
    assert result.run.details["would_disable"] == 3 and result.counts["created"] == 2


def test_disabling_up_to_the_threshold_goes_ahead_unconfirmed(school, import_pupils):
    import_pupils(school, pupils(20))
    assert import_pupils(school, pupils(18)).status == "succeeded"


def test_the_threshold_is_the_organisations_setting(school, import_pupils):
    school.settings = {"disable_threshold": 50}
    school.save()
    import_pupils(school, pupils(20))
    assert import_pupils(school, pupils(11)).status == "succeeded"
    assert import_pupils(school, pupils(5)).status == "halted"


def test_a_halted_run_goes_ahead_when_confirmed(school, import_pupils):
    import_pupils(school, pupils(20))
    halted = import_pupils(school, pupils(10))
    confirmed = students.confirm_halted_run(halted.run, actor="admin@school.example")
    assert confirmed.status == "succeeded" and confirmed.counts["disabled"] == 10
    assert SyncRun.get_by_id(halted.run.id).details["confirmed_by_run"] == confirmed.run.id
    assert confirmed.run.details["confirms_run"] == halted.run.id
    assert "confirmed: disable 10 of 20" in AuditEvent.get(AuditEvent.subject == f"run:{confirmed.run.id}").reason


def test_a_halted_run_cannot_be_confirmed_twice(school, import_pupils):
    import_pupils(school, pupils(20))
    halted = import_pupils(school, pupils(10))
    students.confirm_halted_run(halted.run, actor="admin")
    with pytest.raises(students.CannotConfirm, match="already confirmed"):
        students.confirm_halted_run(SyncRun.get_by_id(halted.run.id), actor="admin")


def test_a_halted_dry_run_cannot_be_confirmed(school, import_pupils):
    import_pupils(school, pupils(20))
    halted = import_pupils(school, pupils(10), dry_run=True)
    assert halted.status == "halted" and not students.may_confirm(halted.run)
    with pytest.raises(students.CannotConfirm, match="was a dry run"):
        students.confirm_halted_run(halted.run, actor="admin")


def test_a_halted_run_whose_file_changed_cannot_be_confirmed(school, import_pupils, tmp_path):
    import_pupils(school, pupils(20))
    halted = import_pupils(school, pupils(10))
    with open(halted.run.details["file_path"], "a") as export:
        export.write("<!-- edited -->")
    with pytest.raises(students.CannotConfirm, match="no longer available as it was; upload the export again"):
        students.confirm_halted_run(halted.run, actor="admin")


def test_the_same_file_imported_twice_changes_nothing_the_second_time(school, tmp_path):
    path = x.write_xml(tmp_path, pupils(30))
    first = students.import_file(school, path, actor="test")
    before = snapshot(school)
    second = students.import_file(school, path, actor="test")
    assert first.counts["created"] == 30
    assert second.counts == {"created": 0, "updated": 0, "unchanged": 30, "disabled": 0, "reenabled": 0, "failed": 0}
    assert snapshot(school) == before


def test_the_nightly_export_of_the_same_students_writes_nothing_and_a_change_in_it_is_imported(school, tmp_path):
    # Each night's export is a new file: it is read afresh, whatever was read before.
    nightly = pupils(30)
    students.import_file(school, x.write_xml(tmp_path, nightly, name="monday.xml"), actor="test")
    before = snapshot(school)
    tuesday = students.import_file(school, x.write_xml(tmp_path, nightly, name="tuesday.xml", declaration=""), actor="test")
    assert tuesday.counts == {"created": 0, "updated": 0, "unchanged": 30, "disabled": 0, "reenabled": 0, "failed": 0}
    assert snapshot(school) == before
    nightly[6]["telephones"] = [x.telephone(number="0113 496 9999")]
    wednesday = students.import_file(school, x.write_xml(tmp_path, nightly, name="wednesday.xml"), actor="test")
    assert wednesday.counts["updated"] == 1 and wednesday.counts["unchanged"] == 29
    assert account(school, "7").home_phone == "0113 496 9999"


def test_a_changed_field_is_updated_and_only_that_student_is_touched(school, import_pupils):
    import_pupils(school, pupils(3))
    before = {s["person_id"]: s for s in snapshot(school)}
    changed = pupils(3)
    changed[1]["surname"] = "Byron"
    result = import_pupils(school, changed)
    assert result.counts["updated"] == 1 and result.counts["unchanged"] == 2
    after = {s["person_id"]: s for s in snapshot(school)}
    assert after["2"]["surname"] == "Byron" and after["1"] == before["1"] and after["3"] == before["3"]


def test_two_students_may_swap_usernames_in_one_run(school, import_pupils):
    one = x.pupil("1", emails=[x.email(address="one@x.example")])
    two = x.pupil("2", emails=[x.email(address="two@x.example")])
    import_pupils(school, [one, two])
    one["emails"], two["emails"] = two["emails"], one["emails"]
    result = import_pupils(school, [one, two])
    assert result.problems == [] and result.counts["updated"] == 2
    assert (account(school, "1").username, account(school, "2").username) == ("two@x.example", "one@x.example")


def test_a_username_held_by_a_disabled_student_stays_theirs(school, import_pupils):
    import_pupils(school, pupils(19) + [x.pupil("leaver", emails=[x.email(address="kept@x.example")])])
    import_pupils(school, pupils(19))
    result = import_pupils(school, pupils(19) + [x.pupil("new", emails=[x.email(address="kept@x.example")])])
    assert [(p.external_id, p.code) for p in result.problems] == [("new", "username_in_use")]
    assert "already used by another student (person leaver" in result.problems[0].message


def test_a_person_id_twice_in_the_export_is_an_invalid_record(school, tmp_path):
    path = x.write_json(tmp_path, [x.pupil("1"), x.pupil("1", forename="Twin")])
    result = students.import_file(school, path, actor="test")
    assert [(p.external_id, p.code) for p in result.problems] == [("1", "invalid_record")]
    assert "appears twice in the export" in result.problems[0].message


def test_a_dry_run_records_what_would_happen_and_changes_nothing(school, import_pupils):
    result = import_pupils(school, pupils(3), dry_run=True)
    assert result.status == "succeeded" and result.counts["created"] == 3
    assert result.run.dry_run and not Student.select().exists()


def test_a_file_that_cannot_be_read_fails_the_run_and_changes_nothing(school, import_pupils, tmp_path):
    import_pupils(school, pupils(3))
    before = snapshot(school)
    bad = tmp_path / "bad.xml"
    bad.write_text("<SuperStarReport><Record>")
    result = students.import_file(school, bad, actor="test")
    assert result.status == "failed" and result.bad_file
    assert "The export bad.xml cannot be read: the file ends too early" in result.run.error
    assert result.run.details["file_sha256"] and snapshot(school) == before


def test_the_writes_are_one_transaction_so_a_failure_leaves_no_partial_import(school, import_pupils, monkeypatch):
    import_pupils(school, pupils(3))
    before = snapshot(school)

    def fail(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(students, "_disable_students_not_in", fail)
    with pytest.raises(RuntimeError):
        import_pupils(school, pupils(2) + pupils(5, start=50), confirm_disable=True)
    assert snapshot(school) == before
    run = SyncRun.select().order_by(SyncRun.id.desc()).get()
    assert run.status == "failed" and run.finished_at
    assert "(RuntimeError: disk full)" in run.error and "changed nothing" in run.error
    assert not RunLease.select().exists()
    monkeypatch.undo()
    rerun = import_pupils(school, pupils(2) + pupils(5, start=50), confirm_disable=True)
    assert rerun.status == "succeeded" and rerun.counts["created"] == 5 and rerun.counts["disabled"] == 1


@pytest.mark.parametrize("stop", [RecursionError("maximum recursion depth exceeded"), KeyboardInterrupt()])
def test_a_run_stopped_by_any_exception_is_failed_and_the_exception_goes_on(school, import_pupils, monkeypatch, stop):
    def plan_import(*args):
        raise stop

    monkeypatch.setattr(students, "plan_import", plan_import)
    with pytest.raises(type(stop)):
        import_pupils(school, pupils(3))
    run = SyncRun.get()
    assert run.status == "failed" and type(stop).__name__ in run.error
    assert not Student.select().exists() and not RunLease.select().exists()


def test_each_run_records_its_counts_problems_file_and_an_audit_event(school, import_pupils):
    result = import_pupils(school, pupils(2) + [x.pupil("9", emails=[])])
    run = SyncRun.get_by_id(result.run.id)
    assert (run.kind, run.status, run.total, run.done) == ("sims_students", "succeeded", 3, 3)
    assert run.counts == result.counts and len(run.details["file_sha256"]) == 64 and run.finished_at
    assert RunProblem.select().where(RunProblem.run == run).count() == 1
    audit = AuditEvent.get(AuditEvent.subject == f"run:{run.id}")
    assert (audit.action, audit.actor, audit.after["counts"]) == ("sims.import", "test", result.counts)


def test_an_import_while_another_runs_for_the_organisation_is_refused(school, import_pupils):
    with lease.acquire(school.id, students.KIND, "someone else"):
        with pytest.raises(lease.AlreadyRunning, match=f"sims_students run for organisation {school.id}"):
            import_pupils(school, pupils(1))
    assert not Student.select().exists()


def test_preview_without_an_organisation_uses_a_new_organisations_defaults(db, tmp_path):
    path = x.write_xml(tmp_path, [x.pupil("1", gender="Female", admission_number="0042")])
    plan = students.preview_file(path)
    (row,) = plan.rows
    assert row == {
        "person_id": "1", "username": "pupil1@school.example", "school_identifier": "0042", "forename": "Ada",
        "surname": "Lovelace", "dob": "2012-03-04", "gender": "F", "fsm": False, "address": "1, High Street, Leeds",
        "postcode": "LS1 1AA", "home_phone": "0113 496 0000", "mobile": None, "personal_email": "pupil1@school.example",
        "work_email": None, "email_preference": "Personal", "sen_information": None,
    }


def test_a_record_with_a_nul_in_a_field_fails_and_the_rest_is_imported(school, tmp_path):
    path = x.write_json(tmp_path, [x.pupil("1"), x.pupil("2", forename="A\x00da", emails=[x.email(address="p2\x00@x.org")]),
                                   x.pupil("3")])
    result = students.import_file(school, path, actor="test")
    assert result.status == "succeeded" and (result.counts["created"], result.counts["failed"]) == (2, 1)
    (problem,) = RunProblem.select().where(RunProblem.run == result.run)
    assert (problem.external_id, problem.name, problem.code) == ("2", "Ada Lovelace", "invalid_record")
    assert problem.message == ("Person 2 (Ada Lovelace): forename, emails.address holds a NUL character, which no "
                               "account may hold; correct it in SIMS and export again")
    assert sorted(s.person_id for s in Student.select()) == ["1", "3"]
