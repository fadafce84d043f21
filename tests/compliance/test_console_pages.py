"""The compliance pages: profile readiness and checks, the summary, rating systems, tokens; scoped and audited."""
import datetime
import re

import pytest

from compliance import tokens
from store.models import AuditEvent, CheckRecord, RatingRequirement, RatingSystem, SafetyCheckToken, Trust
from tests import factories as f

from .conftest import TODAY, build_school, make_ready


@pytest.fixture
def schools(school):
    other = build_school("Dale School")
    f.user("admin@hill.test", "admin", [school.org])
    f.user("viewer@hill.test", "viewer", [school.org])
    f.user("admin@dale.test", "admin", [other.org])
    f.user("support@tether.test", "support")
    f.support_access(school.org)
    return school, other


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_profile_page_shows_readiness_with_what_is_missing(client, schools):
    school, _ = schools
    client.login("viewer@hill.test")
    page = _page(client, f"/organisations/{school.org.id}/profiles/{school.profile.id}")
    assert "Ada Lovelace" in page and "Not ready" in page
    assert "Enhanced DBS, Right to work" in page
    assert "Record a check" not in page  # viewers read only


def test_an_admin_of_another_school_gets_404_for_its_pages(client, schools):
    school, _ = schools
    client.login("admin@dale.test")
    org = school.org.id
    for url in (
        f"/organisations/{org}/profiles/{school.profile.id}",
        f"/organisations/{org}/compliance",
        f"/organisations/{org}/rating-systems",
        f"/organisations/{org}/sia-tokens",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/organisations/{org}/profiles/{school.profile.id}/checks", data={"check_type": school.dbs.id, "completed_on": TODAY.isoformat()})
    assert response.status_code == 404
    assert CheckRecord.select().count() == 0


def test_a_profile_of_another_school_is_404_under_your_own_school(client, schools):
    school, other = schools
    client.login("admin@hill.test")
    assert client.get(f"/organisations/{school.org.id}/profiles/{other.profile.id}").status_code == 404


def test_recording_a_check_updates_readiness_and_is_audited(client, schools):
    school, _ = schools
    client.login("admin@hill.test")
    url = f"/organisations/{school.org.id}/profiles/{school.profile.id}"
    for check_type in (school.dbs, school.rtw):
        response = client.post(url + "/checks", data={"check_type": check_type.id, "completed_on": TODAY.isoformat(), "evidence": "seen"})
        assert response.status_code == 303
    page = _page(client, url)
    assert "Not ready" not in page and page.count(">Ready<") == 2
    events = list(AuditEvent.select().where(AuditEvent.action == "check.add"))
    assert [e.actor for e in events] == ["admin@hill.test"] * 2
    assert events[0].after["completed_on"] == TODAY.isoformat()


def test_a_check_without_a_date_is_refused_with_what_to_enter(client, schools):
    school, _ = schools
    client.login("admin@hill.test")
    response = client.post(
        f"/organisations/{school.org.id}/profiles/{school.profile.id}/checks",
        data={"check_type": school.dbs.id, "completed_on": "31/02/2024"},
    )
    assert response.status_code == 422
    assert "Enter the completion date as a date" in response.get_data(as_text=True)
    assert CheckRecord.select().count() == 0


def test_a_check_type_of_another_school_cannot_be_recorded(client, schools):
    school, other = schools
    client.login("admin@hill.test")
    response = client.post(
        f"/organisations/{school.org.id}/profiles/{school.profile.id}/checks",
        data={"check_type": other.dbs.id, "completed_on": TODAY.isoformat()},
    )
    assert response.status_code == 422


def test_editing_a_check_changes_its_dates_and_audits_before_and_after(client, schools):
    school, _ = schools
    make_ready(school)
    record = CheckRecord.get(CheckRecord.check_type == school.dbs)
    client.login("admin@hill.test")
    url = f"/organisations/{school.org.id}/profiles/{school.profile.id}/checks/{record.id}"
    assert "Edit Enhanced DBS" in _page(client, url)
    response = client.post(url, data={"check_type": school.dbs.id, "completed_on": "2020-01-01", "expires_on": "2021-01-01"})
    assert response.status_code == 303
    assert CheckRecord.get_by_id(record.id).expires_on.isoformat() == "2021-01-01"
    event = AuditEvent.get(AuditEvent.action == "check.update")
    assert event.before["expires_on"] is None and event.after["expires_on"] == "2021-01-01"


def test_a_viewer_cannot_record_a_check(client, schools):
    school, _ = schools
    client.login("viewer@hill.test")
    response = client.post(f"/organisations/{school.org.id}/profiles/{school.profile.id}/checks", data={"check_type": school.dbs.id, "completed_on": TODAY.isoformat()})
    assert response.status_code == 403


def test_the_summary_counts_ready_profiles_and_lists_checks_expiring_soon(client, schools):
    school, _ = schools
    make_ready(school)
    f.profile(school.org, "Grace", "Hopper")
    CheckRecord.update(expires_on=TODAY + datetime.timedelta(days=5)).where(CheckRecord.check_type == school.rtw).execute()
    client.login("viewer@hill.test")
    page = _page(client, f"/organisations/{school.org.id}/compliance")
    assert re.search(r"Teaching Staff</th>\s*<td class=\"num\">1 / 2</td>", page)
    assert "Right to work" in page and "Ada Lovelace" in page


def test_an_admin_creates_a_rating_system_and_sets_its_requirements(client, schools):
    school, _ = schools
    client.login("admin@hill.test")
    base = f"/organisations/{school.org.id}/rating-systems"
    response = client.post(base, data={"name": "Trip Ready", "ready_colour": "#00AA00", "not_ready_colour": "#aa0000", "enabled": "on"})
    assert response.status_code == 303
    system = RatingSystem.get(RatingSystem.name == "Trip Ready")
    assert (system.ready_colour, system.enabled) == ("#00aa00", True)
    pair = f"{school.teaching.id}:{school.barred.id}"
    response = client.post(f"{base}/{system.id}", data={"name": "Trip Ready", "ready_colour": "#00aa00", "not_ready_colour": "#aa0000", "requirements": [pair]})
    assert response.status_code == 303
    system = RatingSystem.get_by_id(system.id)
    assert not system.enabled
    assert [(r.profile_type_id, r.check_type_id) for r in system.requirements] == [(school.teaching.id, school.barred.id)]
    event = AuditEvent.get(AuditEvent.action == "rating_system.update")
    assert event.before["requirements"] == [] and event.after["requirements"] == ["Teaching Staff: barred_list"]
    assert "Trip Ready" in _page(client, base)


def test_a_rating_system_name_already_used_is_refused(client, schools):
    school, _ = schools
    client.login("admin@hill.test")
    response = client.post(f"/organisations/{school.org.id}/rating-systems", data={"name": "School Ready", "ready_colour": "#00aa00", "not_ready_colour": "#aa0000"})
    assert response.status_code == 422
    assert "already has a rating system called School Ready" in response.get_data(as_text=True)


def test_requirements_of_another_school_are_ignored(client, schools):
    school, other = schools
    client.login("admin@hill.test")
    system = school.school_ready
    client.post(f"/organisations/{school.org.id}/rating-systems/{system.id}", data={"name": system.name, "enabled": "on", "requirements": [f"{other.teaching.id}:{other.dbs.id}"]})
    assert RatingRequirement.select().where(RatingRequirement.rating_system == system).count() == 0


def test_a_viewer_cannot_open_the_rating_system_editor(client, schools):
    school, _ = schools
    client.login("viewer@hill.test")
    assert client.get(f"/organisations/{school.org.id}/rating-systems").status_code == 403


def test_a_new_token_is_shown_once_and_can_be_revoked(client, schools):
    school, _ = schools
    client.login("admin@hill.test")
    url = f"/organisations/{school.org.id}/sia-tokens"
    response = client.post(url, data={"name": "Reception iPad"})
    page = response.get_data(as_text=True)
    secret = re.search(r'value="(tsc_[^"]+)"', page).group(1)
    assert response.headers["Cache-Control"] == "no-store"
    assert secret not in _page(client, url)
    token = SafetyCheckToken.get()
    assert token.name == "Reception iPad"
    assert client.post(f"{url}/{token.id}/revoke").status_code == 303
    assert SafetyCheckToken.get().revoked_at is not None
    assert AuditEvent.select().where(AuditEvent.action.in_(["safety_token.create", "safety_token.revoke"])).count() == 2


def test_another_schools_token_cannot_be_revoked_from_this_school(client, schools):
    school, other = schools
    token, _ = tokens.create(other.connection, actor="test")
    client.login("admin@hill.test")
    assert client.post(f"/organisations/{school.org.id}/sia-tokens/{token.id}/revoke").status_code == 404
    assert SafetyCheckToken.get_by_id(token.id).revoked_at is None


def test_only_support_manages_the_tokens_of_a_trust_connection(client, db):
    trust = Trust.create(name="Valley Trust")
    org = f.organisation("Valley Primary", trust=trust)
    f.connection(trust=trust)
    f.user("admin@valley.test", "admin", [org])
    f.user("support@tether.test", "support")
    f.support_access(org)
    client.login("admin@valley.test")
    assert "only support can create or revoke" in _page(client, f"/organisations/{org.id}/sia-tokens")
    assert client.post(f"/organisations/{org.id}/sia-tokens", data={"name": "x"}).status_code == 403
    client.switch_to("support@tether.test")
    assert client.post(f"/organisations/{org.id}/sia-tokens", data={"name": "x"}).status_code == 201


def test_the_navigation_lists_the_compliance_pages_by_role(client, schools):
    school, _ = schools
    client.login("viewer@hill.test")
    page = _page(client, f"/organisations/{school.org.id}/compliance")
    assert ">Compliance<" in page and "Rating systems" not in page
    client.switch_to("admin@hill.test")
    page = _page(client, f"/organisations/{school.org.id}/compliance")
    assert ">Rating systems<" in page and ">Sign In App tokens<" in page


def test_compliance_pages_carry_no_inline_script_or_style(client, schools):
    school, _ = schools
    make_ready(school)
    client.login("support@tether.test")
    org = school.org.id
    for url in (
        f"/organisations/{org}/profiles/{school.profile.id}",
        f"/organisations/{org}/compliance",
        f"/organisations/{org}/rating-systems",
        f"/organisations/{org}/rating-systems/{school.school_ready.id}",
        f"/organisations/{org}/sia-tokens",
    ):
        page = _page(client, url)
        assert " style=" not in page and "<style" not in page, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url


def test_the_record_a_check_page_offers_the_organisations_check_types(client, schools):
    school, other = schools
    client.login("admin@hill.test")
    page = _page(client, f"/organisations/{school.org.id}/profiles/{school.profile.id}/checks")
    assert "Record a check for Ada Lovelace" in page
    assert f'value="{school.dbs.id}"' in page and f'value="{other.dbs.id}"' not in page


def test_an_id_beyond_64_bits_in_a_console_url_is_404(client, schools):
    school, _ = schools
    client.login("admin@hill.test")
    assert client.get(f"/organisations/{school.org.id}/profiles/{school.profile.id}").status_code == 200
    beyond = 2**64 + school.profile.id
    for url in (
        f"/organisations/{school.org.id}/profiles/{beyond}",
        f"/organisations/{2**64 + school.org.id}/profiles/{school.profile.id}",
        f"/organisations/{school.org.id}/profiles/{2**63}",
        f"/organisations/{school.org.id}/profiles/0",
        f"/organisations/{school.org.id}/profiles/%D9%A1",  # '١', an Arabic-Indic one
    ):
        assert client.get(url).status_code == 404, url


def test_an_upload_over_the_size_limit_is_refused_in_words(app, client, schools):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = client.post("/login", data={"email": "x" * (2 * 1024 * 1024)}, csrf=False)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than the 1 MB allowed here" in page and "Upload a smaller file" in page


def test_the_upload_limit_is_64_mb_unless_tether_max_upload_mb_says_otherwise(app, monkeypatch):
    from app import create_app

    config = {"TESTING": True, "DATABASE": app.config["DATABASE"], "AUTO_MIGRATE": False, "SECRET_KEY": "test-secret", "TETHER_SCHEDULER": False}
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024 * 1024
    monkeypatch.setenv("TETHER_MAX_UPLOAD_MB", "200")
    assert create_app(config).config["MAX_CONTENT_LENGTH"] == 200 * 1024 * 1024
    monkeypatch.setenv("TETHER_MAX_UPLOAD_MB", "lots")
    with pytest.raises(SystemExit, match="TETHER_MAX_UPLOAD_MB must be a whole number of megabytes"):
        create_app(config)
