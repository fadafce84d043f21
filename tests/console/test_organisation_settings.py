"""The Organisation settings page: the SIMS username policy, the disable threshold, the drop folder's path and
the CommandReporter captions, checked against a sample export before they are saved."""
import datetime
import io
import os
from types import SimpleNamespace

import pytest

from connectors.sims import DEFAULT_CAPTIONS
from jobs.sims_drop import import_new_drops
from store.models import AuditEvent, Organisation, Student, SupportGrant, now
from sync import students
from tests import factories as f
from tests.sims import exports as x

OWN_CAPTIONS = {"surname": "Legal Surname", "email_address": "Primary Email"}


@pytest.fixture
def hill(db, app, tmp_path):
    org = f.organisation("Hill School")
    dale = f.organisation("Dale School")
    f.user("admin@hill.test", "admin", [org])
    f.user("viewer@hill.test", "viewer", [org])
    f.user("support@tether.test", "support")
    SupportGrant.create(organisation=org, opened_by="admin@hill.test", until=now() + datetime.timedelta(days=14))
    app.config["TETHER_SIMS_DROP"] = str(tmp_path / "drop")
    return SimpleNamespace(org=org, dale=dale, url=f"/organisations/{org.id}/settings", tmp=tmp_path)


def form(**changes):
    values = {"username_policy": "email", "disable_threshold": "10"}
    values.update({f"caption_{name}": caption for name, caption in DEFAULT_CAPTIONS.items()})
    values.update(changes)
    return values


def sample(captions=None, name="students.xml"):
    export = x.commandreporter_xml([x.pupil("1001", surname="Lovelace")], captions=captions)
    return (io.BytesIO(export.encode()), name)


def settings_of(org):
    return Organisation.get_by_id(org.id)


def text(response):
    return response.get_data(as_text=True)


def test_the_settings_round_trip_with_captions_found_in_a_sample_export(client, hill):
    client.login("admin@hill.test")
    page = text(client.get(hill.url))
    assert ">Organisation settings</a>" in page and "If your school have selected admissions number" in page
    assert "accurately represents your current student roster at all times" in page
    response = client.post(hill.url, data=form(
        username_policy="admission_number", disable_threshold="7.5",
        caption_surname="Legal Surname", caption_email_address="  primary   email ", sample=sample(OWN_CAPTIONS),
    ), content_type="multipart/form-data")
    assert response.status_code == 303
    org = settings_of(hill.org)
    assert org.setting("username_policy") == "admission_number" and org.setting("disable_threshold") == 7.5
    assert org.setting("sims_captions") == {"surname": "Legal Surname", "email_address": "primary email"}
    event = AuditEvent.get(AuditEvent.action == "organisation.settings")
    assert event.before["username_policy"] == "email" and event.after["disable_threshold"] == 7.5
    page = text(client.get(hill.url))
    assert 'value="Legal Surname"' in page and 'id="disable_threshold" name="disable_threshold" min="0" max="100" step="any" value="7.5"' in page
    # The sample's missing optional columns are a note, not a refusal.
    assert ("students.xml has no column SEN Provision, Address ID, House Name, County, Telephone ID, Email ID: those "
            "values stay empty for every student") in page
    # The import reads the school's report with its own captions.
    path = hill.tmp / "own.xml"
    path.write_text(x.commandreporter_xml([x.pupil("1001", surname="Byron")], captions=OWN_CAPTIONS))
    students.import_file(org, path, actor="test")
    assert Student.get(Student.person_id == "1001").surname == "Byron"


def test_captions_are_refused_against_a_sample_export_that_lacks_them(client, hill):
    client.login("admin@hill.test")
    response = client.post(hill.url, data=form(
        caption_surname="Legal Surname", caption_forename="Legal Forename", sample=sample(),
    ), content_type="multipart/form-data")
    page = text(response)
    assert response.status_code == 422 and "Nothing was saved" in page
    assert "“Legal Surname” is not a column of students.xml" in page
    assert "“Legal Forename” is not a column of students.xml" in page
    assert "students.xml has these columns: Person ID, Adno, Forename, Surname" in page
    assert 'value="Legal Surname"' in page  # what was typed stays in the form
    assert settings_of(hill.org).setting("sims_captions") == {}
    # Without a sample, changed captions are not saved either.
    response = client.post(hill.url, data=form(caption_surname="Legal Surname"), content_type="multipart/form-data")
    assert response.status_code == 422 and "Upload a sample export of the CommandReporter report" in text(response)
    json_sample = (io.BytesIO(b'{"students": []}'), "students.json")
    response = client.post(hill.url, data=form(caption_surname="Legal Surname", sample=json_sample),
                           content_type="multipart/form-data")
    assert "students.json cannot be read: it is a Tether JSON file" in text(response)
    assert not AuditEvent.select().where(AuditEvent.action == "organisation.settings").exists()


def test_each_bad_setting_is_refused_with_its_own_message(client, hill):
    client.login("admin@hill.test")
    response = client.post(hill.url, data=form(
        username_policy="nickname", disable_threshold="150", caption_forename="Surname", caption_town="T" * 101,
    ), content_type="multipart/form-data")
    page = text(response)
    assert response.status_code == 422
    assert "Choose one of: Email address, Admissions number, Active Directory username." in page
    assert "Enter the disable threshold as a percentage from 0 to 100, e.g. 10." in page
    assert "“Surname” is also the caption of the Forename column; each column of the report needs its own caption." in page
    assert "Keep the caption to 100 characters (it has 101)." in page
    assert settings_of(hill.org).settings == {}


def test_the_active_directory_policy_warns_that_the_report_needs_its_column(client, hill):
    client.login("admin@hill.test")
    response = client.post(hill.url, data=form(username_policy="ad_username"), content_type="multipart/form-data",
                           follow_redirects=True)
    assert "The report must now have the Active Directory username column, captioned “AD Username”" in text(response)
    assert settings_of(hill.org).setting("username_policy") == "ad_username"


def test_support_sets_a_drop_folder_tether_can_read_and_the_drop_job_reads_it(client, hill):
    folder = hill.tmp / "sims-server" / "hill"
    folder.mkdir(parents=True)
    (hill.tmp / "drop" / str(hill.dale.id)).mkdir(parents=True)
    client.login("support@tether.test")
    for path, refusal in (
        ("sims/hill", "“sims/hill” is not an absolute path"),
        (str(hill.tmp / "nowhere"), "Tether cannot find a folder at"),
        (str(hill.tmp / "drop" / str(hill.dale.id)), "is inside the drop folders&#39; root"),
    ):
        response = client.post(hill.url, data=form(sims_drop_folder=path), content_type="multipart/form-data")
        assert response.status_code == 422 and refusal in text(response), path
    assert client.post(hill.url, data=form(sims_drop_folder=str(folder)),
                       content_type="multipart/form-data").status_code == 303
    assert settings_of(hill.org).setting("sims_drop_folder") == str(folder)
    assert students.drop_folder(settings_of(hill.org), "/unused") == str(folder)

    x.write_xml(folder, [x.pupil("1001")])
    (outcome,) = import_new_drops(None, str(hill.tmp / "drop"), settle_seconds=0)
    assert (outcome.organisation_id, outcome.status) == (hill.org.id, "succeeded")


def test_a_folder_another_organisation_drops_into_is_refused(client, hill):
    theirs = hill.tmp / "dale-sims"
    theirs.mkdir()
    dale = settings_of(hill.dale)
    dale.settings = {"sims_drop_folder": str(theirs)}
    dale.save()
    client.login("support@tether.test")
    response = client.post(hill.url, data=form(sims_drop_folder=str(theirs)), content_type="multipart/form-data")
    assert "is, or holds, the SIMS drop folder of another organisation" in text(response)


def test_a_folder_tether_cannot_read_is_refused(client, hill, monkeypatch):
    locked = hill.tmp / "locked"
    locked.mkdir()
    # The operating system's answer for a folder the user Tether runs as may not open (root opens every
    # folder, so the test asks the question's answer rather than relying on permission bits).
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if str(path) == str(locked) else real_access(path, mode))
    client.login("support@tether.test")
    response = client.post(hill.url, data=form(sims_drop_folder=str(locked)), content_type="multipart/form-data")
    assert "Tether cannot read the folder" in text(response)


def test_an_admin_reads_the_drop_folder_but_only_support_changes_it(client, hill):
    client.login("admin@hill.test")
    page = text(client.get(hill.url))
    assert f'id="sims_drop_folder" value="{hill.tmp / "drop" / str(hill.org.id)}" readonly' in page
    assert "Ask Tether support to change it." in page
    client.post(hill.url, data=form(sims_drop_folder=str(hill.tmp)), content_type="multipart/form-data")
    assert settings_of(hill.org).setting("sims_drop_folder") == ""
    client.switch_to("viewer@hill.test")
    assert client.get(hill.url).status_code == 403
