"""Trusts and organisations (support's site page, `tether orgs`): a new school from nothing."""
import json

from store.models import DEFAULT_PROFILE_TYPES, AuditEvent, Organisation, ProfileType, Trust
from sync import organisations
from tests import factories as f


def _support(client):
    f.user("support@tether.test", "support")
    client.login("support@tether.test")


def test_support_creates_a_trust_and_a_school_that_starts_setting_up_with_the_default_profile_types(client):
    _support(client)
    response = client.post("/trusts", data={"name": "  Northgate   Learning Trust "})
    trust = Trust.get(Trust.name == "Northgate Learning Trust")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/trusts/{trust.id}")

    response = client.post(f"/trusts/{trust.id}/organisations", data={"name": "Oakfield Academy", "urn": "137421"})
    assert response.status_code == 303
    school = Organisation.get(Organisation.name == "Oakfield Academy")
    assert (school.trust_id, school.urn, school.state) == (trust.id, "137421", "setting_up")
    types = ProfileType.select().where(ProfileType.organisation == school).order_by(ProfileType.position)
    assert [t.name for t in types] == list(DEFAULT_PROFILE_TYPES)

    page = client.get(f"/trusts/{trust.id}").get_data(as_text=True)
    assert "Oakfield Academy" in page and "137421" in page and "setting up" in page
    assert "Trusts and organisations" in client.get("/").get_data(as_text=True)  # the site menu
    actions = [(e.action, e.actor, e.organisation_id) for e in AuditEvent.select().where(AuditEvent.action != "login")
               .order_by(AuditEvent.id)]
    assert actions == [("trust.create", "support@tether.test", None),
                       ("organisation.create", "support@tether.test", school.id)]


def test_duplicate_missing_and_overlong_names_are_refused_saying_what_to_do(client):
    _support(client)
    trust = organisations.create_trust("Northgate Learning Trust", actor="test")
    other = organisations.create_trust("Southgate Trust", actor="test")
    school = organisations.create_organisation(trust, "Oakfield Academy", "137421", actor="test")

    refused = client.post("/trusts", data={"name": "northgate learning  TRUST"})
    assert refused.status_code == 422
    assert f"There is already a trust called Northgate Learning Trust (trust {trust.id}); choose another name." in (
        refused.get_data(as_text=True)
    )
    refused = client.post(f"/trusts/{trust.id}/organisations", data={"name": "OAKFIELD academy", "urn": "137421"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert (f"There is already an organisation called Oakfield Academy in the trust Northgate Learning Trust "
            f"(organisation {school.id})") in body
    assert f"Oakfield Academy (organisation {school.id}) already has URN 137421; check the number." in body
    assert 'value="OAKFIELD academy"' in body  # what was typed stays in the form

    refused = client.post(f"/trusts/{trust.id}/organisations", data={"name": "x" * 121, "urn": "12-34"})
    body = refused.get_data(as_text=True)
    assert "is 121 characters long; shorten it to 120 at most." in body
    assert "The URN is the school&#39;s Unique Reference Number, 6 digits" in body
    assert client.post("/trusts", data={"name": "   "}).status_code == 422
    assert Organisation.select().count() == 1 and Trust.select().count() == 2

    # The same school name in another trust is another school.
    assert client.post(f"/trusts/{other.id}/organisations", data={"name": "Oakfield Academy"}).status_code == 303


def test_renaming_a_trust_and_a_school_is_audited_with_before_and_after(client):
    _support(client)
    trust = organisations.create_trust("Northgate Trust", actor="test")
    school = organisations.create_organisation(trust, "Oakfield", None, actor="test")

    assert client.post(f"/trusts/{trust.id}", data={"name": "Northgate Learning Trust"}).status_code == 303
    response = client.post(f"/trusts/organisations/{school.id}", data={"name": "Oakfield Academy", "urn": "137421"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/trusts/{trust.id}")

    assert Trust.get_by_id(trust.id).name == "Northgate Learning Trust"
    assert (Organisation.get_by_id(school.id).name, Organisation.get_by_id(school.id).urn) == ("Oakfield Academy", "137421")
    renamed = AuditEvent.get(AuditEvent.action == "organisation.rename")
    assert renamed.before["name"] == "Oakfield" and renamed.after == {"name": "Oakfield Academy", "urn": "137421",
                                                                      "trust_id": trust.id}
    assert AuditEvent.get(AuditEvent.action == "trust.rename").before == {"name": "Northgate Trust"}

    refused = client.post(f"/trusts/organisations/{school.id}", data={"name": ""})
    assert refused.status_code == 422 and "Enter the organisation&#39;s name" in refused.get_data(as_text=True)


def test_orgs_cli_makes_the_trust_when_new_reuses_it_after_and_lists_every_school(db, runner):
    first = runner.invoke(args=["orgs", "create", "--trust", "Northgate Learning Trust", "--name", "Oakfield Academy",
                                "--json"])
    assert first.exit_code == 0, first.output
    made = json.loads(first.stdout)
    assert set(made) == {"id", "trust_id", "name"} and made["name"] == "Oakfield Academy"

    second = runner.invoke(args=["orgs", "create", "--trust", "northgate learning trust", "--name", "Riverside Primary",
                                 "--json"])
    assert json.loads(second.stdout)["trust_id"] == made["trust_id"]
    assert Organisation.get_by_id(made["id"]).state == "setting_up"

    again = runner.invoke(args=["orgs", "create", "--trust", "Northgate Learning Trust", "--name", "Oakfield Academy"])
    assert again.exit_code == 2 and "already an organisation called Oakfield Academy" in again.stderr

    listed = json.loads(runner.invoke(args=["orgs", "list", "--json"]).stdout)["organisations"]
    assert [(o["name"], o["trust"], o["state"]) for o in listed] == [
        ("Oakfield Academy", "Northgate Learning Trust", "setting_up"),
        ("Riverside Primary", "Northgate Learning Trust", "setting_up"),
    ]
    assert "Riverside Primary\tNorthgate Learning Trust" in runner.invoke(args=["orgs", "list"]).stdout
