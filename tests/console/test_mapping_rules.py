"""The mapping rules editor: live validation, preview from the mirror, explain, audit of every change."""
import re

import pytest
from peewee import fn

from store.models import AuditEvent, Link, MappingRule, Profile, SiaGroup, SiaMember
from sync import mapping
from tests import factories as f


@pytest.fixture
def school(db):
    org = f.organisation("School One")
    other = f.organisation("School Two")
    f.user("admin1@school.test", "admin", [org])
    f.user("viewer1@school.test", "viewer", [org])
    f.user("admin2@school.test", "admin", [other])
    conn = f.connection(org)
    staff = f.group(conn, org, name="Staff")
    contractors = f.group(conn, org, name="Contractors")
    f.member(staff, name="Ann Teacher", role="Teacher of Maths")
    f.member(staff, name="Bob Office", role="Office Manager")
    f.member(staff, name="Cat Assistant", role="Teaching Assistant")
    f.member(contractors, name="Dan Builder", role="Electrician")
    MappingRule.create(organisation=org, profile_type=f.profile_type(org, "Teaching Staff"), expression="group == Staff", position=0)
    return org


def _types(org):
    return {name: f.profile_type(org, name).id for name in ("Teaching Staff", "Support Staff", "Contractors")}


def test_typing_a_rule_with_a_typo_shows_the_error_and_the_caret(client, school):
    client.login("admin1@school.test")
    response = client.post(f"/organisations/{school.id}/rules/validate", data={"expression": "group == Staff and rol ~ teacher"})
    body = response.get_data(as_text=True)
    assert "unknown field &#39;rol&#39;" in body or "unknown field 'rol'" in body
    assert "did you mean" in body and "column 20" in body
    assert "^" in body


def test_a_valid_rule_shows_its_canonical_form_and_unknown_groups_as_warnings(client, school):
    client.login("admin1@school.test")
    body = client.post(f"/organisations/{school.id}/rules/validate", data={"expression": "GROUP == Contractor"}).get_data(as_text=True)
    assert "Valid:" in body and "group == Contractor" in body
    assert "did you mean" in body and "Contractors" in body


def test_preview_counts_members_per_profile_type_and_lists_the_unmapped(client, school):
    client.login("admin1@school.test")
    url = f"/organisations/{school.id}/rules/preview"
    before = client.post(url, data={"expression": "group == Volunteers", "profile_type": _types(school)["Contractors"]})
    body = before.get_data(as_text=True)
    assert "Members no rule takes (1)" in body and "Dan Builder" in body
    after = client.post(url, data={"expression": "group == Contractors", "profile_type": _types(school)["Contractors"]})
    body = after.get_data(as_text=True)
    assert "Members this rule takes (1)" in body and "Members no rule takes (0)" in body
    assert "<td>Teaching Staff</td><td class=\"num\">3</td>" in body


def test_preview_of_a_new_rule_before_its_type_is_chosen_asks_for_the_type(client, school):
    client.login("admin1@school.test")
    response = client.post(f"/organisations/{school.id}/rules/preview", data={"expression": "", "profile_type": ""})
    assert response.status_code == 200
    assert "Choose the profile type this rule maps to." in response.get_data(as_text=True)


def test_preview_of_a_new_rule_respects_the_order_first_match_wins(school):
    types = _types(school)
    candidate = MappingRule(organisation=school, profile_type=types["Support Staff"], expression="role !~ teacher", position=10**6)
    result = mapping.preview(school, [*MappingRule.ordered(school), candidate], edited=candidate)
    assert result.counts["Teaching Staff"] == 3  # every Staff member is taken by the first rule
    assert result.counts["Support Staff"] == 1  # only the contractor falls through to the new rule
    assert [row["name"] for row in result.taken] == ["Dan Builder"]


def test_saving_a_rule_writes_an_audit_event_with_before_and_after(client, school):
    client.login("admin1@school.test")
    rule = MappingRule.get(MappingRule.organisation == school)
    types = _types(school)
    response = client.post(
        f"/organisations/{school.id}/rules/{rule.id}/edit",
        data={"expression": "group == Staff and role ~ teacher", "profile_type": types["Teaching Staff"], "version": rule.version},
    )
    assert response.status_code == 303
    event = AuditEvent.get(AuditEvent.action == "mapping_rule.update")
    assert event.before["expression"] == "group == Staff"
    assert event.after["expression"] == "group == Staff and role ~ teacher"
    assert event.actor == "admin1@school.test"


def test_an_invalid_rule_is_not_saved(client, school):
    client.login("admin1@school.test")
    response = client.post(f"/organisations/{school.id}/rules/new", data={"expression": "group ==", "profile_type": _types(school)["Contractors"]})
    assert response.status_code == 422
    assert "expected a value after" in response.get_data(as_text=True)
    assert MappingRule.select().where(MappingRule.organisation == school).count() == 1


def test_a_stale_edit_is_refused_instead_of_overwriting(client, school):
    client.login("admin1@school.test")
    rule = MappingRule.get(MappingRule.organisation == school)
    mapping.set_enabled(rule, False, "someone@else.test", rule.version)
    response = client.post(
        f"/organisations/{school.id}/rules/{rule.id}/edit",
        data={"expression": "group == Staff", "profile_type": _types(school)["Teaching Staff"], "version": rule.version},
    )
    assert response.status_code == 409
    assert "Someone else changed this rule" in response.get_data(as_text=True)


def test_rules_reorder_and_the_first_enabled_match_wins(school):
    types = _types(school)
    support = mapping.create_rule(school, types["Support Staff"], "role !~ teacher", "admin@x")
    mapping.move_rule(support, -1, "admin@x")
    result = mapping.preview(school, None)
    assert result.counts["Support Staff"] == 3  # Bob, Cat ("Teaching Assistant" has no "teacher") and Dan
    assert [r.expression for r in MappingRule.ordered(school)] == ["role !~ teacher", "group == Staff"]


def test_type_changes_of_linked_profiles_are_listed_and_applied_only_when_asked(school):
    from store.models import SiaMember

    ann = SiaMember.mentioning("Ann Teacher").get()
    profile = f.profile(school, "Ann", "Teacher", type_name="Support Staff")
    Link.create(profile=profile, sia_member=ann, organisation=school)
    assert [p.id for p, _, _ in mapping.preview(school, None).type_changes] == [profile.id]
    assert Profile.get_by_id(profile.id).profile_type.name == "Support Staff"
    assert mapping.apply_type_changes(school, "admin@x") == 1
    assert Profile.get_by_id(profile.id).profile_type.name == "Teaching Staff"
    assert AuditEvent.get(AuditEvent.action == "profile.retype").after == {"profile_type": "Teaching Staff"}


def test_explain_shows_every_rule_and_which_decides(client, school):
    from store.models import SiaMember

    mapping.create_rule(school, _types(school)["Contractors"], "group == Contractors", "admin@x")
    dan = SiaMember.mentioning("Dan Builder").get()
    client.login("viewer1@school.test")
    body = client.get(f"/organisations/{school.id}/rules/explain?member={dan.id}").get_data(as_text=True)
    assert "does not match" in body and "decides" in body
    assert "Maps to <strong>Contractors</strong>" in body


def test_viewers_read_rules_but_cannot_change_them(client, school):
    client.login("viewer1@school.test")
    assert client.get(f"/organisations/{school.id}/rules/").status_code == 200
    assert client.post(f"/organisations/{school.id}/rules/validate", data={"expression": "x"}).status_code == 403


def test_admin_of_another_school_gets_404(client, school):
    client.login("admin2@school.test")
    assert client.get(f"/organisations/{school.id}/rules/").status_code == 404
    rule = MappingRule.get(MappingRule.organisation == school)
    assert client.post(f"/organisations/{school.id}/rules/{rule.id}/delete").status_code == 404


def test_preview_of_a_rule_with_an_error_asks_to_fix_it(client, school):
    client.login("admin1@school.test")
    body = client.post(
        f"/organisations/{school.id}/rules/preview", data={"expression": "group = Staff", "profile_type": _types(school)["Contractors"]}
    ).get_data(as_text=True)
    assert "Fix the rule to see its preview." in body


def test_the_linked_groups_show_the_sites_their_members_are_restricted_to(client, school):
    staff = SiaGroup.get((SiaGroup.organisation == school) & (SiaGroup.name == "Staff"))
    SiaMember.update(site_id=4).where(SiaMember.group == staff).execute()
    SiaMember.update(site_id=2).where((SiaMember.group == staff) & (SiaMember.sia_id == SiaMember.select(
        fn.MIN(SiaMember.sia_id)).where(SiaMember.group == staff))).execute()
    client.login("viewer1@school.test")
    body = client.get(f"/organisations/{school.id}/rules/").get_data(as_text=True)
    assert re.search(r"<td>Staff</td><td>\d+</td><td>Sites 2 and 4</td>", body)
    assert re.search(r"<td>Contractors</td><td>\d+</td><td>All sites</td>", body)
