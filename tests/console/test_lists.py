"""Every console list pages and searches on the server, in a fixed number of queries.

A list that reads one more row per line it shows (an N+1) is fast with the demo and slow with 50,000
profiles. Each page here is requested twice, with a few rows of every kind and then with many more
(still one page of them), and must run the same number of queries both times. The lists that used to
show every row (exclusions, duplicates) show one page of them, and the exclusion list is searched.
"""
import pytest

import store
from store.models import AuditEvent, Notification, RunProblem, Student, SyncRun
from sync import links
from sync.linking import create_link
from tests import factories as f

PAGES = {
    "profiles": "/organisations/{org}/profiles",
    "profile search": "/organisations/{org}/profiles?q=person",
    "duplicates": "/organisations/{org}/duplicates",
    "exclusions": "/organisations/{org}/exclusions",
    "students": "/organisations/{org}/students?q=pupil",
    "student runs": "/organisations/{org}/students/runs",
    "sync runs": "/organisations/{org}/sync/runs",
    "one sync run": "/organisations/{org}/sync/runs/{run}",
    "audit log": "/audit",
    "organisation audit log": "/organisations/{org}/audit",
    "notifications": "/organisations/{org}/notifications/?show=all",
    "users": "/users/",
    "upload": "/organisations/{org}/sync/upload",
    "mapping rules and preview": "/organisations/{org}/rules/",
    "organisations": "/",
    "overview": "/organisations/{org}",
}


@pytest.fixture
def school(db):
    org = f.organisation("Hill School")
    conn = f.connection(org)
    staff = f.group(conn, org, "Staff")
    run = SyncRun.create(organisation=org, kind="sia_import", status="failed")
    f.user("support@tether.test", "support")
    f.support_access(org)
    return org, conn, staff, run


def _add_rows(school, count, start):
    """`count` more rows of every kind a list shows, numbered from `start`."""
    org, conn, staff, run = school
    for n in range(start, start + count):
        linked = f.profile(org, f"Person{n}", "Linked", email=f"p{n}@hill.test", source="sia")
        create_link(linked, f.member(staff, f"Person{n} Linked", email=f"p{n}@hill.test"), "test")
        f.profile(org, f"Person{n}", "Linked", email=f"p{n}@hill.test")
        excluded = f.profile(org, f"Gone{n}", "Leaver", source="sia")
        create_link(excluded, f.member(staff, f"Gone{n} Leaver"), "test")
        links.delete_profile(excluded, "test", "left")
        Student.create(organisation=org, person_id=str(n), username=f"pupil{n}@hill.test", forename=f"Pupil{n}", surname="S")
        SyncRun.create(organisation=org, kind="sims_students", status="succeeded")
        SyncRun.create(organisation=org, kind="sia_import", status="succeeded", counts={"created": n})
        RunProblem.create(run=run, external_id=str(n), name=f"Person{n}", code="held", message="held")
        AuditEvent.record("profile.update", actor=f"clerk{n}@hill.test", organisation=org, subject=f"profile:{n}")
        Notification.create(organisation=org, kind="safety_reject", subject=f"Person{n}", message="Rejected")
        f.user(f"admin{n}@hill.test", "admin", [org])


def _queries(client, address):
    """How many SQL statements one request of `address` runs."""
    database = store.database.obj
    counted = []
    execute_sql = database.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        counted.append(sql)
        return execute_sql(sql, params, *args, **kwargs)

    database.execute_sql = counting
    try:
        response = client.get(address)
    finally:
        del database.execute_sql
    assert response.status_code == 200, (address, response.status_code)
    return len(counted)


def _counts(client, school):
    org, _, _, run = school
    return {name: _queries(client, page.format(org=org.id, run=run.id)) for name, page in PAGES.items()}


def test_every_list_page_runs_as_many_queries_for_many_rows_as_for_a_few(client, school):
    client.login("support@tether.test")
    # Each measure follows a first load: that one reads the live groups from Sign In App (the next minute's
    # do not) and the rule preview's copy of the mirror (kept until the mirror changes), so both measures
    # count the same steady page.
    _add_rows(school, 2, 0)
    _counts(client, school)
    few = _counts(client, school)
    _add_rows(school, 20, 2)
    _counts(client, school)
    many = _counts(client, school)
    grew = {name: (few[name], many[name]) for name in PAGES if many[name] != few[name]}
    assert not grew, f"queries grow with the rows shown (a few rows, many rows): {grew}"


def _excluded(school, name):
    org, _, staff, _ = school
    profile = f.profile(org, name, "Leaver", source="sia")
    create_link(profile, f.member(staff, f"{name} Leaver"), "test")
    return links.delete_profile(profile, "test", "left")


def test_the_exclusion_list_is_paginated_and_searched_by_member_name_or_id(client, school):
    org = school[0]
    for n in range(55):
        _excluded(school, f"Person{n:02d}")
    wanted = _excluded(school, "Grace")
    client.login("support@tether.test")
    first = client.get(f"/organisations/{org.id}/exclusions").get_data(as_text=True)
    assert "Page 1 of 2" in first and first.count('aria-label="Restore Person') == 49
    found = client.get(f"/organisations/{org.id}/exclusions?q=grace").get_data(as_text=True)
    assert "Grace Leaver" in found and "Person" not in found
    by_id = client.get(f"/organisations/{org.id}/exclusions?q={wanted.sia_member_id}").get_data(as_text=True)
    assert "Grace Leaver" in by_id and "Person" not in by_id


def test_the_duplicates_page_shows_one_page_of_suggestions_at_a_time(client, school):
    org, _, staff, _ = school
    for n in range(55):
        imported = f.profile(org, f"Person{n:02d}", "Twin", email=f"p{n}@hill.test", source="sia")
        create_link(imported, f.member(staff, f"Person{n:02d} Twin"), "test")
        f.profile(org, f"Person{n:02d}", "Twin", email=f"p{n}@hill.test")
    client.login("support@tether.test")
    first = client.get(f"/organisations/{org.id}/duplicates").get_data(as_text=True)
    assert "Page 1 of 2 (55 in all)" in first and first.count('name="pair"') == 50
    second = client.get(f"/organisations/{org.id}/duplicates?page=2").get_data(as_text=True)
    assert second.count('name="pair"') == 5 and "Person54 Twin" in second
