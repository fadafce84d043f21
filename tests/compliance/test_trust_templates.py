"""Trust rating-system templates (issue 16, DESIGN §6): a trust defines rating systems, each school inherits
them, sees them read-only, may add its own, and sees a template change at once; the safety check treats
inherited and own systems alike."""
import pytest
from werkzeug.datastructures import MultiDict

from compliance import templates
from compliance.decision import check_sign_in
from compliance.records import Invalid
from store.models import AuditEvent, CheckType, ProfileType, RatingRequirement, RatingSystem, Trust
from tests import factories as f

from .conftest import build_school, set_group

KEY = templates.requirement_key


@pytest.fixture
def trust(db):
    """Hill Trust with two schools: Hill School (the safety-check world) and Dale School."""
    hill = build_school("Hill School")
    dale = build_school("Dale School")
    trust = Trust.create(name="Hill Trust")
    for school in (hill, dale):
        school.org.trust = trust
        school.org.save()
    return trust, hill, dale


def _form(name, *requirements, enabled=True):
    return MultiDict([("name", name), *([("enabled", "on")] if enabled else []), *(("requirements", r) for r in requirements)])


def _requirements(system):
    return sorted(
        (r.profile_type.name, r.check_type.code)
        for r in RatingRequirement.select().where(RatingRequirement.rating_system == system)
    )


def test_every_school_inherits_a_trust_template_and_sees_a_change_at_once(trust):
    trust, hill, dale = trust
    template = templates.create_template(trust, _form("Trust Ready", KEY("Teaching Staff", "barred_list")), actor="test")
    for school in (hill, dale):
        copy = RatingSystem.get(RatingSystem.organisation == school.org, RatingSystem.template == template)
        assert copy.inherited and _requirements(copy) == [("Teaching Staff", "barred_list")]

    templates.update_template(
        template, _form("Trust Ready 2025", KEY("Teaching Staff", "enhanced_dbs"), enabled=False), actor="test"
    )
    for school in (hill, dale):
        copy = RatingSystem.get(RatingSystem.organisation == school.org, RatingSystem.template == template)
        assert (copy.name, copy.enabled, _requirements(copy)) == ("Trust Ready 2025", False, [("Teaching Staff", "enhanced_dbs")])
    assert AuditEvent.get(AuditEvent.action == "rating_template.update").after["name"] == "Trust Ready 2025"

    templates.delete_template(template, actor="test")
    assert not RatingSystem.select().where(RatingSystem.template.is_null(False)).exists()
    assert RatingSystem.select().where(RatingSystem.organisation == hill.org).count() == 2  # its own stay


def test_the_safety_check_treats_an_inherited_system_like_the_schools_own(trust):
    trust, hill, _ = trust
    template = templates.create_template(trust, _form("Trust Ready", KEY("Teaching Staff", "barred_list")), actor="test")
    copy = RatingSystem.get(RatingSystem.organisation == hill.org, RatingSystem.template == template)
    set_group(hill.group, rating_check="selected", rating_systems=[copy.id])
    answer = check_sign_in(hill.connection, hill.member.sia_id, hill.group.sia_id)
    assert (answer["status"], answer["decision"]) == ("not_compliant", "reject")
    assert answer["rating_systems"][0]["name"] == "Trust Ready" and answer["rating_systems"][0]["missing"] == ["Barred list"]


def test_a_school_without_a_profile_type_or_check_the_template_names_is_given_it(trust):
    trust, hill, dale = trust
    CheckType.create(organisation=hill.org, code="section_128", name="Section 128 (management)", validity_months=None)
    templates.create_template(trust, _form("Governance Ready", KEY("Governors", "section_128")), actor="test")
    given = CheckType.get(CheckType.organisation == dale.org, CheckType.code == "section_128")
    assert given.name == "Section 128 (management)"
    assert ProfileType.get_or_none(ProfileType.organisation == dale.org, ProfileType.name == "Governors") is not None


def test_a_new_school_of_the_trust_inherits_its_templates(trust):
    trust, _, _ = trust
    templates.create_template(trust, _form("Trust Ready", KEY("Teaching Staff", "barred_list")), actor="test")
    newcomer = f.organisation("Moor School", trust=trust)
    CheckType.create(organisation=newcomer, code="barred_list", name="Barred list")
    templates.inherit(newcomer)
    copy = RatingSystem.get(RatingSystem.organisation == newcomer)
    assert (copy.name, _requirements(copy)) == ("Trust Ready", [("Teaching Staff", "barred_list")])


def test_a_template_may_not_take_the_name_of_a_schools_own_system(trust):
    trust, _, _ = trust
    with pytest.raises(Invalid) as refused:
        templates.create_template(trust, _form("School Ready"), actor="test")
    assert refused.value.errors["name"].startswith("Hill School already has a rating system called School Ready")


def test_a_school_sees_an_inherited_system_read_only_and_may_add_its_own(trust, client):
    trust, hill, _ = trust
    template = templates.create_template(trust, _form("Trust Ready", KEY("Teaching Staff", "barred_list")), actor="test")
    copy = RatingSystem.get(RatingSystem.organisation == hill.org, RatingSystem.template == template)
    f.user("admin@hill.test", "admin", [hill.org])
    client.login("admin@hill.test")
    page = client.get(f"/organisations/{hill.org.id}/rating-systems").get_data(as_text=True)
    assert "From Hill Trust" in page
    page = client.get(f"/organisations/{hill.org.id}/rating-systems/{copy.id}").get_data(as_text=True)
    assert "comes from Hill Trust's rating system template" in page and "<fieldset disabled>" in page
    refused = client.post(f"/organisations/{hill.org.id}/rating-systems/{copy.id}", data={"name": "Mine now", "enabled": "on"})
    assert refused.status_code == 422 and RatingSystem.get_by_id(copy.id).name == "Trust Ready"
    # Hill's admin is not an admin of Dale: the trust's templates are not theirs to change.
    assert client.get(f"/trusts/{trust.id}/rating-systems").status_code == 404
    created = client.post(f"/organisations/{hill.org.id}/rating-systems", data={"name": "Trip Ready", "enabled": "on"})
    assert created.status_code == 303 and not RatingSystem.get(RatingSystem.name == "Trip Ready").inherited


def test_an_admin_of_every_school_of_the_trust_changes_its_templates_in_the_console(trust, client):
    trust, hill, dale = trust
    f.user("trust-admin@hill.test", "admin", [hill.org, dale.org])
    client.login("trust-admin@hill.test")
    response = client.post(f"/trusts/{trust.id}/rating-systems", data={"name": "Trust Ready", "enabled": "on"})
    assert response.status_code == 303
    template = trust.rating_templates.get()
    response = client.post(
        f"/trusts/{trust.id}/rating-systems/{template.id}",
        data={"name": "Trust Ready", "enabled": "on", "requirements": [KEY("Teaching Staff", "right_to_work")]},
    )
    assert response.status_code == 303
    for school in (hill, dale):
        copy = RatingSystem.get(RatingSystem.organisation == school.org, RatingSystem.template == template)
        assert _requirements(copy) == [("Teaching Staff", "right_to_work")]
