"""What Sign In App may send that no database takes, and a run stopped half-way: the rest of the import
carries on, the run says what happened, and a rerun ends as one clean run."""
import pytest

from connectors.sia import client_for
from store.models import Profile, RunLease, RunProblem, SyncRun
from sync import sia_import

from . import helpers


def import_once(app, school):
    return sia_import.import_organisation(school.org, actor="test", client=client_for(school.connection, wsgi_app=app),
                                          batch_size=2)


def test_a_member_with_a_nul_in_a_field_is_imported_without_it_and_named_in_a_problem(school, ctx):
    school.member("Ada Lovelace")
    nul = school.member("Bob\x00 Baker", email="bob@school.test", role="Co\x00ok")
    school.member("Cy Clops")
    result = import_once(ctx, school)
    assert result.status == "succeeded" and result.counts["created"] == 3
    assert sorted((p.forename, p.surname) for p in Profile.select()) == [
        ("Ada", "Lovelace"), ("Bob", "Baker"), ("Cy", "Clops")
    ]
    problem = RunProblem.get(RunProblem.run == result.run)
    assert (problem.external_id, problem.name, problem.code) == (str(nul.id), "Bob Baker", "invalid_text")
    assert problem.message == (
        f"Sign In App member {nul.id} (Bob Baker): a NUL character in name, role was removed before saving; "
        "correct the field in Sign In App"
    )
    assert import_once(ctx, school).counts["unchanged"] == 3


@pytest.mark.parametrize("stop", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_an_import_stopped_mid_run_is_failed_with_the_error_and_a_rerun_ends_as_one_clean_run(db, ctx, monkeypatch, stop):
    def prepare():
        helpers.reset(db)
        school = helpers.school()
        for n in range(7):
            school.member(f"Staff Member{n}")
        return school

    school = prepare()
    assert import_once(ctx, school).status == "succeeded"
    expected = helpers.Snapshot().tables

    school = prepare()
    applied = []
    apply = sia_import._apply

    def apply_once_then_stop(*args):
        if applied:
            raise stop
        applied.append(apply(*args))

    monkeypatch.setattr(sia_import, "_apply", apply_once_then_stop)
    with pytest.raises(type(stop)):
        import_once(ctx, school)
    run = SyncRun.get()
    assert run.status == "failed" and run.finished_at and type(stop).__name__ in run.error
    assert "Every batch written before it is kept; run it again to finish" in run.error
    assert Profile.select().count() == 2 and not RunLease.select().exists()

    monkeypatch.undo()
    assert import_once(ctx, school).status == "succeeded"
    assert helpers.Snapshot().tables == expected
