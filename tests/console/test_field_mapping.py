"""The field mapping editor: one direction per field, defaults kept on the first change, audited."""
import pytest

from store.models import AuditEvent, FieldMapping
from sync import fields
from tests import factories as f


@pytest.fixture
def school(db):
    org = f.organisation("School One")
    other = f.organisation("School Two")
    f.user("admin1@school.test", "admin", [org])
    f.user("viewer1@school.test", "viewer", [org])
    f.user("admin2@school.test", "admin", [other])
    return org


def test_an_organisation_without_mappings_shows_the_defaults(client, school):
    client.login("viewer1@school.test")
    body = client.get(f"/organisations/{school.id}/field-mapping/").get_data(as_text=True)
    assert "the defaults" in body and "<code>email</code>" in body
    assert "Add a mapping" not in body


def test_the_first_change_keeps_the_defaults_and_adds_to_them(client, school):
    client.login("admin1@school.test")
    response = client.post(
        f"/organisations/{school.id}/field-mapping/",
        data={"direction": "to_scr", "sia_field": "custom.", "custom_key": "department", "scr_field": "role", "apply": "always"},
    )
    assert response.status_code == 303
    # role already comes from SIA's role by default: the same target twice is refused, nothing written
    assert "already receives" in client.get(f"/organisations/{school.id}/field-mapping/").get_data(as_text=True)
    assert not FieldMapping.select().exists()
    client.post(
        f"/organisations/{school.id}/field-mapping/",
        data={"direction": "to_sia", "scr_field": "profile_type", "sia_field": "custom.", "custom_key": "staff type"},
    )
    rows = {(r.source_field, r.target_field, r.direction) for r in FieldMapping.select()}
    assert ("email", "email", "to_scr") in rows
    assert ("profile_type", "custom.staff type", "to_sia") in rows


def test_mapping_a_field_both_ways_is_refused_as_a_sync_loop(school):
    with pytest.raises(fields.FieldMappingRefused, match="one direction per field"):
        fields.add_mapping(school, "mobile", "mobile", "to_sia", "always", "admin@x")
    with pytest.raises(fields.FieldMappingRefused, match="one direction per field"):
        fields.add_mapping(school, "forename", "first_name", "to_sia", "always", "admin@x")  # name → forename/surname
    assert not FieldMapping.select().exists()


def test_an_unknown_field_is_refused_with_the_known_ones(school):
    with pytest.raises(fields.FieldMappingRefused, match="not a Sign In App field"):
        fields.add_mapping(school, "shoe_size", "role", "to_scr", "always", "admin@x")


def test_removing_a_mapping_is_audited_with_before_and_after(school):
    fields.remove_mapping(school, "to_scr", "mobile", "admin@x")
    assert ("mobile", "mobile", "to_scr") not in {(r.source_field, r.target_field, r.direction) for r in FieldMapping.select()}
    event = AuditEvent.get(AuditEvent.action == "field_mapping.remove")
    assert len(event.before) == len(event.after) + 1
    assert fields.field_map(school).to_scr == tuple(m for m in fields.DEFAULTS if m.target != "mobile")


def test_viewers_and_other_schools_cannot_change_mappings(client, school):
    client.login("viewer1@school.test")
    assert client.post(f"/organisations/{school.id}/field-mapping/remove", data={"direction": "to_scr", "target": "email"}).status_code == 403
    client.switch_to("admin2@school.test")
    assert client.get(f"/organisations/{school.id}/field-mapping/").status_code == 404


def test_with_use_sia_wonde_connection_on_the_field_mapping_tab_offers_the_mis_fields_to_map_across(client, school):
    """Set-up help, step 3: "toggle on 'Use SIA Wonde Connection (if available)', and then click 'Save'. Next,
    click the Field Mapping tab and set up the fields you'd like to map across.\""""
    connection = f.connection(school)
    client.login("admin1@school.test")
    page = f"/organisations/{school.id}/field-mapping/"
    body = client.get(page).get_data(as_text=True)
    assert "mis.date_of_birth" not in body and "toggle on ‘Use SIA Wonde Connection (if available)’" in body
    mis_dob = {"direction": "to_scr", "sia_field": "mis.date_of_birth", "scr_field": "dob", "apply": "always"}
    client.post(page, data=mis_dob)
    assert "Use SIA Wonde Connection (if available)&#39; is off" in client.get(page).get_data(as_text=True)
    assert not FieldMapping.select().exists()

    connection.wonde = True
    connection.save()
    body = client.get(page).get_data(as_text=True)
    for field, words in (("mis.date_of_birth", "date of birth"), ("mis.start_date", "start date"),
                         ("mis.leaving_date", "leaving date")):
        assert f'<option value="{field}">{field} ({words})</option>' in body
    assert client.post(page, data=mis_dob).status_code == 303
    assert client.post(page, data={**mis_dob, "sia_field": "mis.leaving_date", "scr_field": "leaving_date"}).status_code == 303
    rows = {(r.source_field, r.target_field) for r in FieldMapping.select().where(FieldMapping.direction == "to_scr")}
    assert {("mis.date_of_birth", "dob"), ("mis.leaving_date", "leaving_date")} <= rows
    assert AuditEvent.select().where(AuditEvent.action == "field_mapping.add").count() == 2


def test_the_mis_fields_fill_in_only_the_profiles_dates_and_only_towards_central_record(school):
    f.connection(school, wonde=True)
    with pytest.raises(fields.FieldMappingRefused, match="can only fill in a profile date"):
        fields.add_mapping(school, "mis.leaving_date", "role", "to_scr", "always", "admin@x")
    with pytest.raises(fields.FieldMappingRefused, match="can only come from the MIS"):
        fields.add_mapping(school, "custom.left", "leaving_date", "to_scr", "always", "admin@x")
    with pytest.raises(fields.FieldMappingRefused, match="Central Record cannot write them"):
        fields.add_mapping(school, "email", "mis.date_of_birth", "to_sia", "always", "admin@x")
    assert not FieldMapping.select().exists()
