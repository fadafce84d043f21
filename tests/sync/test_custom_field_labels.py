"""Custom fields by label, end to end: Sign In App keys them c3YQ5d9wQi, the school writes custom."Department".

The account's definitions are read with the groups (at every import and as the rules pages load), a
rule typed by label is saved by key, and renaming the label in Sign In App neither breaks the rule nor
leaves it showing the old name. A Sign In App without the definitions endpoint still imports.
"""
import html
import json

import httpx
import pytest

from connectors.sia import SiaClient
from connectors.sia.client import SANDBOX_BASE_URL
from sandbox.models import SandboxPersonalField
from store.models import FieldMapping, MappingRule, Profile, SiaConnection, SiaMember
from sync import custom_fields, fields, mapping
from tests import factories as f

DEPARTMENT, DBS = "c3YQ5d9wQi", "kP0sQ2vLxe"


@pytest.fixture
def science(school):
    """The school's Sign In App account with a Department text field and a DBS on file yes/no field, two
    teachers in Staff, and no mapping rules yet."""
    SandboxPersonalField.create(account=school.account, key=DEPARTMENT, label="Department", type="text")
    SandboxPersonalField.create(account=school.account, key=DBS, label="DBS on file", type="boolean")
    school.member("Ann Chemist", role="Teacher", **{DEPARTMENT: "Science", DBS: True})
    school.member("Bob Historian", role="Teacher", **{DEPARTMENT: "History", DBS: True})
    school.member("Cat Physicist", role="Teacher", **{DEPARTMENT: "Science", DBS: False})
    MappingRule.delete().where(MappingRule.organisation == school.org).execute()
    f.user("admin@oakfield.test", "admin", [school.org])
    return school


def _imported(school):
    return sorted(p.forename for p in Profile.select().where(Profile.organisation == school.org))


def _page(client, url):
    return html.unescape(client.get(url).get_data(as_text=True))


def test_a_rule_by_label_is_saved_by_key_imports_and_follows_a_renamed_label(client, science, run_import):
    client.login("admin@oakfield.test")
    rules = f"/organisations/{science.org.id}/rules/"
    assert 'custom."DBS on file"</code> (yes/no)' in _page(client, rules + "new")  # the definitions, read as the page loads
    response = client.post(rules + "new", data={
        "expression": 'custom."Department" ~ science and custom."DBS on file" == true',
        "profile_type": f.profile_type(science.org, "Teaching Staff").id,
    })
    assert response.status_code == 303
    (rule,) = MappingRule.select().where(MappingRule.organisation == science.org)
    assert rule.expression == f"custom.{DEPARTMENT} ~ science and custom.{DBS} == true"
    assert run_import(science).status == "succeeded"
    assert _imported(science) == ["Ann"]

    SandboxPersonalField.update(label="Faculty").where(SandboxPersonalField.key == DEPARTMENT).execute()
    science.member("Dan Biologist", role="Teacher", **{DEPARTMENT: "Life Science", DBS: True})
    assert run_import(science).status == "succeeded"
    assert _imported(science) == ["Ann", "Dan"]
    assert 'custom."Faculty" ~ science and custom."DBS on file" == true' in _page(client, rules)
    explained = _page(client, rules + f"explain?member={_shadow_id(science, 'Cat Physicist')}")
    assert '(custom."DBS on file" is "false")' in explained and '(custom."Faculty" is "Science")' in explained


def _shadow_id(school, name):
    return next(m.id for m in SiaMember.select().where(SiaMember.connection == school.connection) if m.display_name == name)


def test_typing_an_unknown_custom_field_warns_and_the_rule_can_still_be_saved(client, science, run_import):
    run_import(science)  # reads the definitions
    client.login("admin@oakfield.test")
    body = html.unescape(client.post(f"/organisations/{science.org.id}/rules/validate", data={
        "expression": 'custom."Departmnet" ~ science or custom."DBS on file" == yes',
    }).get_data(as_text=True))
    assert "Valid:" in body
    assert 'no custom field called custom."Departmnet"; the rule reads it as empty; did you mean custom."Department"?' in body
    assert "custom.\"DBS on file\" is a yes/no field: compare it with true or false, not 'yes'" in body
    rule = mapping.create_rule(science.org, f.profile_type(science.org).id, 'custom."Departmnet" ~ science', "admin")
    assert rule.expression == 'custom."Departmnet" ~ science'
    assert run_import(science).status == "succeeded" and _imported(science) == []


class WithoutPersonalFields(httpx.WSGITransport):
    """The sandbox as a Sign In App that has no custom field definitions endpoint."""

    def handle_request(self, request):
        if request.url.path.endswith("/personal-fields"):
            return httpx.Response(404, json={"message": "Not found."})
        return super().handle_request(request)


def test_without_the_definitions_endpoint_rules_by_key_import_and_rules_by_label_warn(ctx, science, run_import):
    connection = science.connection
    client = SiaClient(SANDBOX_BASE_URL, connection.api_key, connection.secret, transport=WithoutPersonalFields(app=ctx))
    mapping.create_rule(science.org, f.profile_type(science.org).id, f"custom.{DEPARTMENT} == history", "admin")
    assert run_import(science, client=client).status == "succeeded"
    assert _imported(science) == ["Bob"]
    assert SiaConnection.get_by_id(connection.id).custom_fields is None
    assert not custom_fields.for_organisation(science.org).known
    _, warnings = mapping.check_expression(science.org, 'custom."Department" == history')
    assert [w.message.split(",")[0] for w in warnings] == ["Sign In App has not said which custom fields it has"]


def test_field_mapping_keeps_a_custom_field_by_key_and_shows_its_current_label(client, science, run_import):
    mapping.create_rule(science.org, f.profile_type(science.org).id, "group == Staff", "admin")
    run_import(science)
    fields.remove_mapping(science.org, "to_scr", "role", "admin")
    client.login("admin@oakfield.test")
    page = f"/organisations/{science.org.id}/field-mapping/"
    response = client.post(page, data={
        "direction": "to_scr", "sia_field": "custom.", "custom_key": "department", "scr_field": "role", "apply": "always",
    })
    assert response.status_code == 303
    assert FieldMapping.get(FieldMapping.target_field == "role").source_field == f"custom.{DEPARTMENT}"
    SandboxPersonalField.update(label="Faculty").where(SandboxPersonalField.key == DEPARTMENT).execute()
    assert run_import(science).status == "succeeded"
    assert Profile.get(Profile.forename == "Ann").role == "Science"
    shown = _page(client, page)
    assert "<code>Faculty (custom field)</code>" in shown and f'<option value="custom.{DBS}">DBS on file (custom field)' in shown


def test_the_rules_command_names_custom_fields_by_label_for_an_organisation(science, runner):
    custom_fields.store(science.connection, [
        custom_fields.CustomField(DEPARTMENT, "Department", "text"), custom_fields.CustomField(DBS, "DBS on file", "boolean"),
    ])
    org = str(science.org.id)
    checked = runner.invoke(args=["rules", "check", 'custom."Department" ~ science and group == Staf', "--org", org])
    assert checked.exit_code == 0, checked.output
    assert 'custom."Department"' in checked.stdout and "Staf" in checked.stderr  # an unknown group is warned about
    unknown = runner.invoke(args=["rules", "check", 'custom."Faculty" ~ science', "--org", org])
    assert unknown.exit_code == 0 and "Faculty" in unknown.stderr
    member = json.dumps({"group": "Staff", "custom": {DEPARTMENT: "Science", DBS: True}})
    explained = runner.invoke(args=["rules", "explain", 'custom."DBS on file" == true', "--member", member, "--org", org])
    assert explained.exit_code == 0, explained.output
    missing = runner.invoke(args=["rules", "check", "group == Staff", "--org", "99999"])
    assert missing.exit_code == 2 and "no organisation with id 99999" in missing.stderr
