"""The sandbox's client API honours the contract of DESIGN §3, as Tether's connector relies on it."""
import datetime

from sandbox.models import SandboxMember

from . import helpers


def test_groups_without_accept_header_redirect(client, owner):
    response = client.get(helpers.API + "/groups", headers=helpers.headers(owner, accept=None))
    assert response.status_code == 302


def test_members_without_accept_header_redirect(client, owner):
    staff = helpers.group(owner)
    response = client.get(f"{helpers.API}/groups/{staff.id}/members", headers=helpers.headers(owner, accept=None))
    assert response.status_code == 302


def test_wildcard_accept_is_not_enough(client, owner):
    response = client.get(helpers.API + "/groups", headers=helpers.headers(owner, accept="*/*"))
    assert response.status_code == 302


def test_missing_credentials_are_refused_with_json_401(client, owner):
    response = client.get(helpers.API + "/groups", headers=helpers.headers())
    assert response.status_code == 401
    assert response.json == {"message": "Unauthenticated."}
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_wrong_secret_is_refused_with_401(client, owner):
    response = client.get(helpers.API + "/groups", headers=helpers.headers(owner, secret="wrong"))
    assert response.status_code == 401
    assert response.json["message"]


def test_unknown_key_is_refused_with_401(client, owner):
    response = client.get(helpers.API + "/groups", headers=helpers.headers(key="nobody", secret=owner.api_secret))
    assert response.status_code == 401


def test_groups_list_shows_only_the_accounts_own_groups(api, owner):
    staff = helpers.group(owner, "Staff")
    visitors = helpers.group(owner, "Visitors", "non-returning")
    helpers.group(helpers.account(name="Another Trust"), "Their Staff")
    response = api.get("/groups")
    assert response.status_code == 200
    assert response.json == [
        {"id": staff.id, "name": "Staff", "type": "returning"},
        {"id": visitors.id, "name": "Visitors", "type": "non-returning"},
    ]


def test_group_detail_has_integrations_and_sign_in_options(api, owner):
    staff = helpers.group(
        owner, organisation_id=7, rating_check="selected", rating_systems=[3, 4], safety_check="reject",
        allow_ipad_self_add=True,
    )
    response = api.get(f"/groups/{staff.id}")
    assert response.status_code == 200
    assert response.json == {
        "id": staff.id,
        "name": "Staff",
        "type": "returning",
        "integrations": {
            "organisation_id": 7, "rating_check": "selected", "rating_systems": [3, 4],
            "central_record_safety_check": False,
        },
        "sign_in_options": {"safety_check": "reject", "allow_ipad_self_add": True},
    }


def test_unlinked_group_has_no_organisation(api, owner):
    volunteers = helpers.group(owner, "Volunteers")
    integrations = api.get(f"/groups/{volunteers.id}").json["integrations"]
    assert integrations == {
        "organisation_id": None, "rating_check": "all", "rating_systems": [], "central_record_safety_check": False,
    }


def test_every_group_carries_the_accounts_sign_in_central_record_toggle(api, owner):
    staff, visitors = helpers.group(owner), helpers.group(owner, "Visitors", "non-returning")
    owner.central_record_safety_check = True
    owner.save()
    assert [api.get(f"/groups/{g.id}").json["integrations"]["central_record_safety_check"] for g in (staff, visitors)] == [
        True, True,
    ]


def test_members_are_paginated_200_per_page_with_links_and_meta(api, owner):
    staff = helpers.group(owner)
    helpers.members(staff, 450)
    path = f"http://localhost{helpers.API}/groups/{staff.id}/members"

    first = api.get(f"/groups/{staff.id}/members").json
    assert len(first["data"]) == 200
    assert first["data"][0]["personal_fields"]["name"] == "Person 1"
    assert first["links"] == {"first": f"{path}?page=1", "last": f"{path}?page=3", "prev": None,
                              "next": f"{path}?page=2"}
    # The documented meta keys, and only those.
    assert first["meta"] == {"current_page": 1, "from": 1, "path": path, "per_page": 200, "to": 200}
    assert list(first) == ["links", "meta", "data"]

    last = api.get(f"/groups/{staff.id}/members?page=3").json
    assert [m["personal_fields"]["name"] for m in last["data"]] == [f"Person {n}" for n in range(401, 451)]
    assert last["links"]["prev"] == f"{path}?page=2"
    assert last["links"]["next"] is None
    assert (last["meta"]["from"], last["meta"]["to"], last["meta"]["current_page"]) == (401, 450, 3)


def test_every_member_appears_exactly_once_across_pages(api, owner):
    staff = helpers.group(owner)
    helpers.members(staff, 401)
    seen = []
    for page in (1, 2, 3):
        seen += [m["id"] for m in api.get(f"/groups/{staff.id}/members?page={page}").json["data"]]
    assert len(seen) == len(set(seen)) == 401


def test_page_past_the_end_is_empty(api, owner):
    staff = helpers.group(owner)
    helpers.members(staff, 3)
    body = api.get(f"/groups/{staff.id}/members?page=5").json
    assert body["data"] == []
    assert body["meta"]["from"] is None and body["meta"]["to"] is None
    assert body["links"]["next"] is None


def test_empty_group_has_one_empty_page(api, owner):
    staff = helpers.group(owner)
    body = api.get(f"/groups/{staff.id}/members").json
    assert body["data"] == []
    assert (body["meta"]["current_page"], body["meta"]["from"], body["meta"]["to"]) == (1, None, None)
    assert body["links"]["last"] == body["links"]["first"] and body["links"]["next"] is None


def test_page_that_is_not_a_number_is_rejected_with_422(api, owner):
    staff = helpers.group(owner)
    response = api.get(f"/groups/{staff.id}/members?page=zero")
    assert response.status_code == 422
    assert "page" in response.json["errors"]


def test_a_member_is_the_documented_returning_visitor_resource_and_an_archived_one_is_not_listed(api, owner):
    staff = helpers.group(owner)
    kept = helpers.member(staff, "Grace Hopper", role="Teacher of Computing", email="g.hopper@school.test",
                          department="Computing")
    SandboxMember.update(
        site_id=4, qr_codes=[{"id": 345, "contents": "ABC123DEF456"}], photo_url="https://photos.test/grace.jpg",
        last_in="2026-11-30T08:01:02+00:00", last_out="2026-11-30T16:40:00+00:00", status="signed_out",
        permissions={"can_pre_reg": True, "can_access_firelist": False},
    ).where(SandboxMember.id == kept.id).execute()
    bare = helpers.member(staff, "Ada Lovelace")
    helpers.member(staff, "Alan Turing", archived=True)
    data = api.get(f"/groups/{staff.id}/members").json["data"]
    assert data == [
        {"id": kept.id, "group_id": staff.id, "site_id": 4, "qr_codes": [{"id": 345, "contents": "ABC123DEF456"}],
         "personal_fields": {"name": "Grace Hopper", "role": "Teacher of Computing", "email": "g.hopper@school.test",
                             "department": "Computing"},
         "photo_url": "https://photos.test/grace.jpg", "last_in": "2026-11-30T08:01:02+00:00",
         "last_out": "2026-11-30T16:40:00+00:00", "status": "signed_out",
         "permissions": {"can_access_firelist": False, "can_pre_reg": True}},
        {"id": bare.id, "group_id": staff.id, "site_id": None, "qr_codes": [], "personal_fields": {"name": "Ada Lovelace"},
         "photo_url": None, "last_in": None, "last_out": None, "status": "signed_out", "permissions": {}},
    ]


def test_a_page_lists_each_member_exactly_as_the_member_endpoint_shows_it(api, owner):
    staff = helpers.group(owner)
    helpers.member(staff, 'Siobhán "Shiv" O\'Neill', role="Head of Year 7 \\ Pastoral", email="s.oneill@school.test",
                   note="línea\ncon salto", badge=7)
    helpers.member(staff, "Alan Turing", archived=True)
    SandboxMember.update(status="signed_in").where(SandboxMember.group == staff).execute()
    page = api.get(f"/groups/{staff.id}/members").json["data"]
    assert page == [api.get(f"/members/{member['id']}").json for member in page]
    assert page[0]["personal_fields"]["note"] == "línea\ncon salto" and page[0]["personal_fields"]["badge"] == 7


def test_unknown_group_is_404_json(api):
    response = api.get("/groups/999999")
    assert response.status_code == 404
    assert "999999" in response.json["message"]


def test_another_accounts_group_and_member_are_404(api):
    theirs = helpers.group(helpers.account(name="Another Trust"))
    their_member = helpers.member(theirs)
    assert api.get(f"/groups/{theirs.id}").status_code == 404
    assert api.get(f"/groups/{theirs.id}/members").status_code == 404
    assert api.get(f"/members/{their_member.id}").status_code == 404
    assert api.patch(f"/members/{their_member.id}", json={"personal_fields": {"role": "x"}}).status_code == 404
    assert api.post(f"/groups/{theirs.id}/members", json={"personal_fields": {"name": "X"}}).status_code == 404


def test_unknown_member_is_404_json(api):
    response = api.get("/members/424242")
    assert response.status_code == 404
    assert response.is_json


def test_unknown_api_path_is_404_json(api):
    response = api.get("/no-such-thing")
    assert response.status_code == 404
    assert response.is_json and response.json["message"]


def test_wrong_method_is_405_json(api):
    response = api.request("DELETE", "/groups")
    assert response.status_code == 405
    assert response.is_json


def test_push_creates_a_member_in_a_returning_group(api, owner):
    staff = helpers.group(owner)
    fields = {"name": " Mary Seacole ", "email": "m.seacole@school.test", "role": "School Nurse",
              "tether_profile_id": "42"}
    response = api.post(f"/groups/{staff.id}/members", json={"personal_fields": fields})
    assert response.status_code == 201
    created = response.json
    assert created["group_id"] == staff.id
    assert created["personal_fields"]["name"] == "Mary Seacole"
    assert created["personal_fields"]["tether_profile_id"] == "42"
    assert api.get(f"/members/{created['id']}").json == created


def test_push_without_a_name_is_rejected_with_field_errors(api, owner):
    staff = helpers.group(owner)
    response = api.post(f"/groups/{staff.id}/members", json={"personal_fields": {"email": "not-an-email"}})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"personal_fields.name", "personal_fields.email"}
    assert SandboxMember.select().count() == 0


def test_push_to_a_standard_group_is_rejected(api, owner):
    visitors = helpers.group(owner, "Visitors", "non-returning")
    response = api.post(f"/groups/{visitors.id}/members", json={"personal_fields": {"name": "Ann Lee"}})
    assert response.status_code == 422
    assert "group" in response.json["errors"]


def test_push_with_a_body_that_is_not_json_is_rejected(api, owner):
    staff = helpers.group(owner)
    response = api.post(f"/groups/{staff.id}/members", data="name=Ann")
    assert response.status_code == 422
    assert "body" in response.json["errors"]


def test_push_with_nested_values_is_rejected(api, owner):
    staff = helpers.group(owner)
    response = api.post(f"/groups/{staff.id}/members", json={"personal_fields": {"name": "A B", "tags": ["x"]}})
    assert response.status_code == 422
    assert "personal_fields.tags" in response.json["errors"]


def test_update_changes_only_the_fields_sent(api, owner):
    staff = helpers.group(owner)
    ada = helpers.member(staff, role="Teacher of Maths", email="ada@school.test", department="Maths")
    response = api.patch(f"/members/{ada.id}", json={"personal_fields": {"role": "Head of Maths", "department": None}})
    assert response.status_code == 200
    assert response.json["personal_fields"] == {"name": "Ada Lovelace", "role": "Head of Maths",
                                                "email": "ada@school.test"}
    assert api.get(f"/members/{ada.id}").json == response.json


def test_a_member_archived_through_the_partner_api_leaves_its_groups_listing(api, owner):
    staff = helpers.group(owner)
    ada = helpers.member(staff)
    assert api.patch(f"/members/{ada.id}", json={"archived": True}).status_code == 200
    assert api.get(f"/groups/{staff.id}/members").json["data"] == []


def test_update_cannot_clear_the_name(api, owner):
    ada = helpers.member(helpers.group(owner))
    response = api.patch(f"/members/{ada.id}", json={"personal_fields": {"name": ""}})
    assert response.status_code == 422
    assert "personal_fields.name" in response.json["errors"]


def test_update_with_nothing_to_change_is_rejected(api, owner):
    ada = helpers.member(helpers.group(owner))
    response = api.patch(f"/members/{ada.id}", json={"colour": "blue"})
    assert response.status_code == 422


def test_portal_users_are_listed_for_the_account_only(api, owner):
    pat = helpers.portal_user(owner)
    helpers.portal_user(helpers.account(name="Another Trust"), email="other@trust.test")
    assert api.get("/portal-users").json == [{"id": pat.id, "name": "Pat Primary", "email": "pat@trust.test",
                                              "role": "primary"}]


def test_a_members_page_carries_an_etag_and_is_304_while_it_is_unchanged(api, owner):
    staff = helpers.group(owner)
    grace = helpers.member(staff, "Grace Hopper")
    first = api.get(f"/groups/{staff.id}/members")
    etag = first.headers["ETag"]
    conditional = {**helpers.headers(owner), "If-None-Match": etag}
    unchanged = api.get(f"/groups/{staff.id}/members", headers=conditional)
    assert (unchanged.status_code, unchanged.data, unchanged.headers["ETag"]) == (304, b"", etag)
    SandboxMember.update(status="signed_in").where(SandboxMember.id == grace.id).execute()
    changed = api.get(f"/groups/{staff.id}/members", headers=conditional)
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.json["data"][0]["status"] == "signed_in"


def test_members_of_a_group_with_mis_sync_carry_their_mis_dates_and_others_none(api, owner):
    """Partner data (docs/design.md §3): `mis` only for a group with "MIS sync (Wonde)"."""
    staff, volunteers = helpers.group(owner, mis_sync=True), helpers.group(owner, "Volunteers")
    ada = helpers.member(staff, "Ada Lovelace")
    SandboxMember.update(mis_date_of_birth=datetime.date(1984, 3, 9), mis_leaving_date=datetime.date(2026, 8, 31)).where(
        SandboxMember.id == ada.id).execute()
    helpers.member(volunteers, "Val Volunteer")
    page = api.get(f"/groups/{staff.id}/members")
    assert page.json["data"][0]["mis"] == {"date_of_birth": "1984-03-09", "start_date": None, "leaving_date": "2026-08-31"}
    assert page.json["data"] == [api.get(f"/members/{ada.id}").json]
    assert "mis" not in api.get(f"/groups/{volunteers.id}/members").json["data"][0]
    # A change in MIS data alone is a changed page, so a conditional read sees it.
    conditional = {**helpers.headers(owner), "If-None-Match": page.headers["ETag"]}
    SandboxMember.update(mis_start_date=datetime.date(2019, 9, 1)).where(SandboxMember.id == ada.id).execute()
    assert api.get(f"/groups/{staff.id}/members", headers=conditional).status_code == 200
