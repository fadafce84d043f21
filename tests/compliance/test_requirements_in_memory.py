"""The safety check keeps each organisation's rating systems and requirements in memory between sign-ins
(compliance.readiness.enabled_requirements), and every change to them reaches the very next sign-in,
however it is written: the database's own triggers move the store's revision on (migration 0005)."""
import pytest

import store
from compliance import readiness
from compliance.decision import check_sign_in
from store.models import CheckRecord, CheckType, RatingRequirement, RatingSystem, StoreRevision

from .conftest import TODAY, make_ready


def _sign_in(school):
    return check_sign_in(school.connection, school.member.sia_id, school.group.sia_id, notify=False)


def _systems(answer):
    return [(s["name"], s["ready"], s["missing"]) for s in answer["rating_systems"]]


def _revision():
    return StoreRevision.get_by_id("compliance").revision


@pytest.mark.parametrize("table", ["rating_system", "rating_requirement", "check_type"])
def test_every_insert_update_and_delete_of_a_compliance_table_moves_the_revision_on(school, table):
    model = {"rating_system": RatingSystem, "rating_requirement": RatingRequirement, "check_type": CheckType}[table]
    seen = {_revision()}
    row = {
        "rating_system": lambda: RatingSystem.create(organisation=school.org, name="Trips Ready", position=9),
        "rating_requirement": lambda: RatingRequirement.create(
            rating_system=school.inspector_ready, profile_type=school.teaching, check_type=school.barred
        ),
        "check_type": lambda: CheckType.create(organisation=school.org, code="first_aid", name="First aid"),
    }[table]()
    seen.add(_revision())
    model.update(id=row.id).where(model.id == row.id).execute()
    seen.add(_revision())
    model.delete().where(model.id == row.id).execute()
    seen.add(_revision())
    assert len(seen) == 4


def test_changes_to_the_other_tables_leave_the_revision_alone(school):
    before = _revision()
    make_ready(school)
    school.group.save()
    assert _revision() == before


def test_a_rating_system_turned_off_is_no_longer_checked_at_the_next_sign_in(school):
    make_ready(school)
    assert [name for name, *_ in _systems(_sign_in(school))] == ["School Ready", "Inspector Ready"]
    RatingSystem.update(enabled=False).where(RatingSystem.id == school.school_ready.id).execute()
    assert [name for name, *_ in _systems(_sign_in(school))] == ["Inspector Ready"]


def test_a_new_requirement_is_checked_at_the_next_sign_in(school):
    make_ready(school)
    assert _sign_in(school)["status"] == "compliant"
    RatingRequirement.create(rating_system=school.inspector_ready, profile_type=school.teaching, check_type=school.barred)
    answer = _sign_in(school)
    assert answer["status"] == "not_compliant"
    assert _systems(answer)[1] == ("Inspector Ready", False, ["Barred list"])


def test_a_renamed_check_type_is_named_so_at_the_next_sign_in(school):
    assert _systems(_sign_in(school))[0] == ("School Ready", False, ["Enhanced DBS", "Right to work"])
    CheckType.update(name="DBS (enhanced)").where(CheckType.id == school.dbs.id).execute()
    assert _systems(_sign_in(school))[0] == ("School Ready", False, ["DBS (enhanced)", "Right to work"])


def test_a_change_written_in_plain_sql_reaches_the_next_sign_in(school):
    """Another process, or an engineer at a SQL prompt: no Tether code runs, the triggers still do."""
    make_ready(school)
    assert _sign_in(school)["status"] == "compliant"
    p = store.database.obj.param
    store.database.execute_sql(
        f"INSERT INTO rating_requirement (rating_system_id, profile_type_id, check_type_id) VALUES ({p}, {p}, {p})",
        (school.school_ready.id, school.teaching.id, school.barred.id),
    )
    assert _systems(_sign_in(school))[0] == ("School Ready", False, ["Barred list"])


def test_requirements_are_read_again_only_when_the_revision_moves_on(school):
    CheckRecord.create(profile=school.profile, check_type=school.dbs, completed_on=TODAY)
    revision = _revision()
    first = readiness.enabled_requirements(school.org.id, revision)
    assert readiness.enabled_requirements(school.org.id, revision) is first
    school.barred.name = "Barred list check"
    school.barred.save()
    assert readiness.enabled_requirements(school.org.id, _revision()) is not first


def test_without_a_revision_row_nothing_is_kept(school):
    StoreRevision.delete().execute()
    first = readiness.enabled_requirements(school.org.id, None)
    assert readiness.enabled_requirements(school.org.id, None) is not first
    assert _systems(_sign_in(school))[0] == ("School Ready", False, ["Enhanced DBS", "Right to work"])
