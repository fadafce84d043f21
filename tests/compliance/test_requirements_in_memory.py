"""The safety check keeps each organisation's rating systems and requirements in memory between sign-ins
(compliance.readiness.enabled_requirements), and every change to them reaches the very next sign-in,
however it is written: the database's own triggers move the store's revision on (migration 0005).

`readiness.REQUIREMENT_SOURCES` lists the tables the copy is read from: each is changed here and seen at
the next sign-in, and the database must have revision triggers for exactly those tables."""
import datetime
import re

import pytest

import store
from compliance import readiness
from compliance.decision import check_sign_in
from compliance.readiness import REQUIREMENT_SOURCES
from store.db import is_postgres
from store.models import CheckRecord, CheckType, RatingRequirement, RatingSystem, StoreRevision

from .conftest import TODAY, make_ready


def _sign_in(school):
    return check_sign_in(school.connection, school.member.sia_id, school.group.sia_id, notify=False)


def _systems(answer):
    return [(s["name"], s["ready"], s["missing"]) for s in answer["rating_systems"]]


def _revision():
    return StoreRevision.get_by_id("compliance").revision


@pytest.mark.parametrize("table", [model._meta.table_name for model in REQUIREMENT_SOURCES])
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


def _turn_off_school_ready(school):
    """Ready for Inspector Ready (DBS) but not School Ready (no right to work): turning School Ready
    off leaves only the system the member is ready in."""
    CheckRecord.create(profile=school.profile, check_type=school.dbs, completed_on=TODAY)
    return lambda: RatingSystem.update(enabled=False).where(RatingSystem.id == school.school_ready.id).execute()


def _require_the_barred_list(school):
    make_ready(school)
    return lambda: RatingRequirement.create(
        rating_system=school.inspector_ready, profile_type=school.teaching, check_type=school.barred
    )


def _shorten_the_dbs_validity(school):
    """A DBS check done 13 months ago counts for 36 months; cut to 12, it has expired."""
    make_ready(school)
    CheckRecord.update(completed_on=TODAY - datetime.timedelta(days=400)).where(
        CheckRecord.check_type == school.dbs
    ).execute()
    return lambda: CheckType.update(validity_months=12).where(CheckType.id == school.dbs.id).execute()


# For each table in REQUIREMENT_SOURCES: a school set up one way, and a change to that table that turns
# the next sign-in's decision round. A table added to the list needs its change here.
CHANGES = {
    RatingSystem: (_turn_off_school_ready, "not_compliant", "compliant"),
    RatingRequirement: (_require_the_barred_list, "compliant", "not_compliant"),
    CheckType: (_shorten_the_dbs_validity, "compliant", "not_compliant"),
}


@pytest.mark.parametrize("source", REQUIREMENT_SOURCES, ids=lambda model: model._meta.table_name)
def test_a_change_to_each_table_the_requirements_are_read_from_reaches_the_next_sign_in(school, source):
    arrange, before, after = CHANGES[source]
    change = arrange(school)
    assert _sign_in(school)["status"] == before
    change()
    assert _sign_in(school)["status"] == after


def _tables_with_revision_triggers():
    """{table: {events}} of the database's triggers that write store_revision."""
    db = store.database.obj
    found = {}
    if is_postgres():
        rows = db.execute_sql(
            "SELECT event_object_table, event_manipulation FROM information_schema.triggers "
            "WHERE action_statement LIKE %s", ("%store_revision_compliance%",)
        )
        for table, event in rows:
            found.setdefault(table, set()).add(event)
    else:
        rows = db.execute_sql("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%store_revision%'")
        for table, sql in rows:
            found.setdefault(table, set()).add(re.search(r"AFTER (INSERT|UPDATE|DELETE) ON", sql).group(1))
    return found


def test_the_database_has_revision_triggers_for_exactly_the_tables_the_requirements_are_read_from(db):
    expected = {model._meta.table_name: {"INSERT", "UPDATE", "DELETE"} for model in REQUIREMENT_SOURCES}
    assert _tables_with_revision_triggers() == expected


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
