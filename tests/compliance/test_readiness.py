"""Readiness: every required check counts on the date — completed or not required, and not expired."""
import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.readiness import (
    EXPIRED,
    MISSING,
    VALID,
    RecordFacts,
    add_months,
    check_records_of,
    check_standing,
    expiring_checks,
    organisation_readiness,
    readiness_of,
)
from store.models import CheckRecord, RatingRequirement
from tests import factories as f

from .conftest import TODAY, make_ready

D = datetime.date
ONE_DAY = datetime.timedelta(days=1)


def standing(on, *records, validity=None):
    return check_standing(1, "Enhanced DBS", validity, list(records), on)


def completed(on, expires=None, not_required=False):
    return RecordFacts(1, on, expires, not_required)


@pytest.mark.parametrize(
    "start, months, expected",
    [
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 8, 31), 1, D(2024, 9, 30)),
        (D(2023, 11, 30), 3, D(2024, 2, 29)),
        (D(2024, 12, 15), 1, D(2025, 1, 15)),
        (D(2024, 3, 31), 36, D(2027, 3, 31)),
        (D(2024, 5, 31), 0, D(2024, 5, 31)),
    ],
)
def test_adding_months_clamps_to_the_end_of_a_shorter_month(start, months, expected):
    assert add_months(start, months) == expected


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31)), st.integers(min_value=0, max_value=240))
def test_adding_months_lands_in_the_right_month_on_the_same_day_or_the_month_end(start, months):
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day == start.day or (result.day < start.day and (result + ONE_DAY).day == 1)


def test_a_check_expiring_tomorrow_still_counts_today():
    assert standing(TODAY, completed(TODAY - 400 * ONE_DAY, TODAY + ONE_DAY)).state == VALID


def test_a_check_expiring_today_no_longer_counts_today():
    assert standing(TODAY, completed(TODAY - 400 * ONE_DAY, TODAY)).state == EXPIRED


def test_a_check_that_expired_yesterday_is_expired():
    assert standing(TODAY, completed(TODAY - 400 * ONE_DAY, TODAY - ONE_DAY)).state == EXPIRED


def test_validity_months_from_31_january_run_to_the_end_of_february():
    record = completed(D(2023, 1, 31))
    assert standing(D(2023, 2, 27), record, validity=1).state == VALID
    assert standing(D(2023, 2, 28), record, validity=1).state == EXPIRED
    assert standing(D(2023, 2, 28), record, validity=1).expires_on == D(2023, 2, 28)


def test_validity_months_in_a_leap_year_end_on_29_february():
    record = completed(D(2024, 1, 31))
    assert standing(D(2024, 2, 28), record, validity=1).state == VALID
    assert standing(D(2024, 2, 29), record, validity=1).state == EXPIRED


def test_an_explicit_expiry_date_wins_over_the_check_types_validity():
    record = completed(D(2024, 1, 1), expires=D(2030, 1, 1))
    assert standing(D(2026, 6, 1), record, validity=12).state == VALID


def test_a_check_without_validity_or_expiry_never_expires():
    assert standing(D(2099, 1, 1), completed(D(2000, 1, 1))).state == VALID


def test_a_check_completed_after_the_date_asked_about_does_not_count_yet():
    assert standing(D(2024, 1, 1), completed(D(2024, 1, 2))).state == MISSING


def test_a_record_marked_not_required_counts_without_a_completion_date():
    assert standing(TODAY, RecordFacts(1, None, None, True)).state == VALID


def test_a_record_with_neither_completion_nor_not_required_is_missing():
    assert standing(TODAY, RecordFacts(1, None, None, False)).state == MISSING


def test_a_renewal_supersedes_the_expired_record_it_renews():
    old = completed(D(2020, 1, 1), expires=D(2023, 1, 1))
    renewal = completed(D(2022, 12, 1), expires=D(2025, 12, 1))
    result = standing(D(2024, 6, 1), old, renewal)
    assert (result.state, result.expires_on) == (VALID, D(2025, 12, 1))


def test_readiness_names_missing_and_expired_checks_per_rating_system(school):
    CheckRecord.create(profile=school.profile, check_type=school.dbs, completed_on=TODAY - 40 * ONE_DAY, expires_on=TODAY)
    by_name = {r.rating_system.name: r for r in readiness_of(school.profile, TODAY)}
    assert not by_name["School Ready"].ready
    assert by_name["School Ready"].missing == ["Right to work"]
    assert by_name["School Ready"].expired == ["Enhanced DBS"]
    assert by_name["Inspector Ready"].expired == ["Enhanced DBS"]


def test_a_profile_with_every_required_check_in_date_is_ready_everywhere(school):
    make_ready(school)
    assert all(r.ready for r in readiness_of(school.profile, TODAY))


def test_readiness_lists_checks_expiring_within_30_days(school):
    make_ready(school)
    CheckRecord.update(expires_on=TODAY + 30 * ONE_DAY).where(CheckRecord.check_type == school.rtw).execute()
    school_ready = readiness_of(school.profile, TODAY)[0]
    assert school_ready.ready
    assert [(c.name, c.expires_on) for c in school_ready.expiring] == [("Right to work", TODAY + 30 * ONE_DAY)]


def test_a_type_with_no_requirements_is_ready(school):
    governor = f.profile(school.org, "Gia", "Governor", type_name="Governors")
    assert all(r.ready and not r.checks for r in readiness_of(governor, TODAY))


def test_organisation_readiness_counts_current_profiles_per_type_and_system(school):
    make_ready(school)
    f.profile(school.org, "Not", "Ready")
    f.profile(school.org, "Left", "Already", leaving_date=TODAY - ONE_DAY)
    RatingRequirement.create(rating_system=school.school_ready, profile_type=f.profile_type(school.org, "Governors"), check_type=school.barred)
    systems, tallies = organisation_readiness(school.org, TODAY)
    teaching = school.teaching.id
    assert [s.name for s in systems] == ["School Ready", "Inspector Ready"]
    assert (tallies[(teaching, school.school_ready.id)].ready, tallies[(teaching, school.school_ready.id)].total) == (1, 2)


def test_expiring_checks_skip_those_already_renewed(school):
    make_ready(school)
    other = f.profile(school.org, "Grace", "Hopper")
    CheckRecord.create(profile=other, check_type=school.barred, completed_on=TODAY - 350 * ONE_DAY)  # 12 months
    CheckRecord.create(profile=school.profile, check_type=school.barred, completed_on=TODAY - 350 * ONE_DAY)
    CheckRecord.create(profile=school.profile, check_type=school.barred, completed_on=TODAY - ONE_DAY)
    expiring = expiring_checks(school.org, TODAY)
    assert [(e.profile.name, e.check_type.name) for e in expiring] == [("Grace Hopper", "Barred list")]


def test_a_check_completed_after_the_day_counts_neither_for_readiness_nor_in_the_list_of_checks(school):
    """One rule of whether a record counts: the profile's list of checks and its readiness agree."""
    make_ready(school)
    CheckRecord.update(completed_on=TODAY + ONE_DAY).where(CheckRecord.check_type == school.rtw).execute()
    states = {row["record"].check_type.name: row["state"] for row in check_records_of(school.profile, TODAY)}
    assert states == {"Enhanced DBS": "valid", "Right to work": "not completed"}
    school_ready = readiness_of(school.profile, TODAY)[0]
    assert (school_ready.rating_system.name, school_ready.missing) == ("School Ready", ["Right to work"])
