"""The profiles, duplicates and exclusions pages: roles (DESIGN §8), 404 scoping, CSRF, confirmations."""
import re
from types import SimpleNamespace

import pytest

from store.models import CheckRecord, CheckType, Exclusion, Link, MergeRecord, Profile
from sync import links
from sync.linking import create_link
from tests import factories as f


@pytest.fixture
def hill(db):
    org = f.organisation("Hill School")
    conn = f.connection(org)
    staff = f.group(conn, org, "Staff")
    own = f.profile(org, "Ada", "Lovelace", email="ada@hill.test")
    imported = f.profile(org, "Ada", "Lovelace", email="ada@hill.test", mobile="07700 900123", source="sia")
    member = f.member(staff, "Ada Lovelace", email="ada@hill.test")
    create_link(imported, member, "import")
    dale = f.organisation("Dale School")
    f.user("admin@hill.test", "admin", [org])
    f.user("viewer@hill.test", "viewer", [org])
    f.user("admin@dale.test", "admin", [dale])
    f.user("support@tether.test", "support")
    f.support_access(org)
    return SimpleNamespace(
        org=org, conn=conn, staff=staff, own=own, imported=imported, member=member, dale=dale,
        dale_profile=f.profile(dale, "Dale", "Person"),
    )


def url(school, profile=None, tail=""):
    base = f"/organisations/{school.org.id}/profiles"
    return base + (f"/{profile.id}" if profile else "") + tail


def page(client, address):
    response = client.get(address)
    assert response.status_code == 200, (address, response.status_code)
    return response.get_data(as_text=True)


def flashes(client, address):
    return " ".join(re.findall(r'class="flash flash-\w+"[^>]*>([^<]*)<', page(client, address)))


def fresh(profile):
    return Profile.get_by_id(profile.id)


def test_the_profile_list_searches_filters_and_answers_htmx_with_the_rows_only(client, hill):
    f.profile(hill.org, "Grace", "Hopper", email="grace@hill.test")
    client.login("viewer@hill.test")
    listing = page(client, url(hill) + "?q=hop")
    assert "Hopper, Grace" in listing and "Lovelace, Ada" not in listing
    linked_only = page(client, url(hill) + "?linked=linked")
    assert linked_only.count("Lovelace, Ada") == 1 and "Hopper" not in linked_only
    rows = client.get(url(hill) + "?q=ada+love", headers={"HX-Request": "true", "HX-Target": "results"})
    rows = rows.get_data(as_text=True)
    assert "<html" not in rows and rows.count("Lovelace, Ada") == 2


def test_the_profile_list_is_paginated(client, hill):
    for n in range(55):
        f.profile(hill.org, f"Person{n:02d}", "Zed")
    client.login("viewer@hill.test")
    first = page(client, url(hill))
    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert "Zed, Person54" in page(client, url(hill) + "?page=2")


def test_the_profile_shows_what_sign_in_app_says_of_its_linked_member_in_words(client, hill):
    hill.member.site_id, hill.member.photo_url = 4, "https://photos.signinapp.test/ada.jpg"
    hill.member.last_in, hill.member.last_out = "2026-11-30T08:01:02Z", None
    hill.member.permissions = {"can_pre_reg": True, "can_access_firelist": False}
    hill.member.save()
    client.login("viewer@hill.test")
    response = client.get(url(hill, hill.imported))
    shown = response.get_data(as_text=True)
    assert "Last signed in</dt><dd>Monday 30 November 2026 at 08:01" in shown  # school time: GMT in November
    assert "No sign-out recorded" in shown and "Site 4" in shown
    assert "Pre-register visitors: Yes" in shown and "Access the fire list: No" in shown and "<form" not in shown.split(
        'id="sign-in-app-member"')[1].split("</section>")[0]
    assert re.search(r'<img src="https://photos.signinapp.test/ada.jpg" alt="Photo of Ada Lovelace from Sign In App" '
                     r'referrerpolicy="no-referrer"', shown)
    assert "img-src 'self' data: https://photos.signinapp.test" in response.headers["Content-Security-Policy"]
    # A photo that is not https is not shown, and the page's policy stays the console's own.
    hill.member.photo_url = "http://photos.signinapp.test/ada.jpg"
    hill.member.save()
    response = client.get(url(hill, hill.imported))
    assert "<img" not in response.get_data(as_text=True)
    assert "img-src 'self' data:;" in response.headers["Content-Security-Policy"]


def test_a_viewer_reads_the_profile_with_its_links_and_checks_but_no_actions(client, hill):
    dbs = CheckType.create(organisation=hill.org, code="enhanced_dbs", name="Enhanced DBS")
    CheckRecord.create(profile=hill.imported, check_type=dbs, evidence="certificate 001")
    client.login("viewer@hill.test")
    shown = page(client, url(hill, hill.imported))
    assert "Sign In App links" in shown and "Ada Lovelace" in shown and "active" in shown
    assert "Readiness" in shown and "certificate 001" in shown
    assert "Decouple" not in shown and "Delete profile" not in shown and "Re-link" not in shown


def test_archiving_a_profile_in_sign_in_app_does_not_archive_it_here_and_the_profile_page_says_so(client, hill):
    import datetime
    from store.models import SiaGroup, SiaMember

    client.login("admin@hill.test")
    assert "member-absent" not in page(client, url(hill, hill.imported))

    seen = datetime.datetime(2026, 11, 2, 6, 0)
    SiaMember.update(archived=True, gone_at=seen).where(SiaMember.id == hill.member.id).execute()
    shown = " ".join(page(client, url(hill, hill.imported)).split())
    assert "member-absent" in shown
    assert "is archived in Sign In App (seen at the import of 02 Nov 2026)" in shown
    assert "does not archive or delete it in the other" in shown
    assert "unarchive them in Sign In App under Manage > Groups > Staff" in shown
    assert "edit the profile" in shown

    SiaMember.update(archived=False).where(SiaMember.id == hill.member.id).execute()
    shown = " ".join(page(client, url(hill, hill.imported)).split())
    assert "is no longer in Sign In App (not there at the import of 02 Nov 2026)" in shown
    assert "add them back to a Repeat group linked to Hill School" in shown

    SiaMember.update(gone_at=None).where(SiaMember.id == hill.member.id).execute()
    SiaGroup.update(gone_at=seen).where(SiaGroup.id == hill.staff.id).execute()
    client.switch_to("viewer@hill.test")
    shown = " ".join(page(client, url(hill, hill.imported)).split())
    assert "is no longer in Sign In App" in shown and "edit the profile" not in shown


def test_an_admin_is_offered_decouple_delete_and_merge_but_not_relink(client, hill):
    client.login("admin@hill.test")
    shown = page(client, url(hill, hill.imported))
    assert "Decouple SIA" in shown and "Delete profile and exclude its member" in shown
    assert "Merge another profile into" in shown
    assert "Re-link" not in page(client, url(hill, hill.own))


def test_every_action_form_asks_for_confirmation_without_inline_script(client, hill):
    client.login("admin@hill.test")
    shown = page(client, url(hill, hill.imported))
    forms = re.findall(r"<form method=\"post\"[^>]*>", shown)
    actions = [form for form in forms if "/logout" not in form and "/checks" not in form]
    assert actions and all("data-confirm=" in form for form in actions)
    assert "goes on the exclusion list" in shown
    assert " style=" not in shown and " onclick=" not in shown and "<script>" not in shown


def test_an_admin_decouples_a_profile_and_is_told_what_happens(client, hill):
    client.login("admin@hill.test")
    response = client.post(
        url(hill, hill.imported, "/decouple"), data={"version": hill.imported.version, "reason": "wrong"}
    )
    assert response.status_code == 303
    assert Link.active_for_profile(hill.imported) is None
    assert "shows on the upload page" in flashes(client, url(hill, hill.imported))


def test_a_viewer_cannot_decouple_or_delete(client, hill):
    client.login("viewer@hill.test")
    assert client.post(url(hill, hill.imported, "/decouple")).status_code == 403
    assert client.post(url(hill, hill.imported, "/delete")).status_code == 403
    assert Link.active_for_profile(hill.imported) is not None and fresh(hill.imported).status == "active"


def test_deleting_an_integrated_profile_excludes_its_member_and_only_support_restores_it(client, hill):
    client.login("admin@hill.test")
    client.post(url(hill, hill.imported, "/delete"), data={"version": hill.imported.version, "reason": "duplicate"})
    assert fresh(hill.imported).status == "deleted"
    [exclusion] = Exclusion.active(hill.org)
    listing = page(client, f"/organisations/{hill.org.id}/exclusions")
    assert "Ada Lovelace" in listing and "contact support" in listing and ">Restore<" not in listing
    assert client.post(url(hill, hill.imported, "/restore")).status_code == 403
    assert client.post(f"/organisations/{hill.org.id}/exclusions/{exclusion.id}/restore").status_code == 403

    client.switch_to("support@tether.test")
    client.post(url(hill, hill.imported, "/restore"), data={"version": fresh(hill.imported).version})
    assert fresh(hill.imported).status == "active"
    assert "stays on the exclusion list" in flashes(client, url(hill, hill.imported))
    response = client.post(f"/organisations/{hill.org.id}/exclusions/{exclusion.id}/restore")
    assert response.status_code == 303 and Exclusion.active(hill.org).count() == 0
    assert "imports again on the next run" in flashes(client, f"/organisations/{hill.org.id}/exclusions")


def test_support_relinks_a_restored_profile_to_its_previous_member_restoring_the_exclusion(client, hill):
    links.delete_profile(hill.imported, "admin@hill.test")
    links.restore_profile(fresh(hill.imported), "support@tether.test")
    client.login("support@tether.test")
    shown = page(client, url(hill, hill.imported))
    assert "previously linked — excluded" in shown
    refused = client.post(
        url(hill, hill.imported, "/relink"), data={"member": hill.member.id, "version": fresh(hill.imported).version}
    )
    assert refused.status_code == 303 and "is on the exclusion list" in flashes(client, url(hill, hill.imported))
    client.post(url(hill, hill.imported, "/relink"), data={"member": hill.member.id, "restore_exclusion": "yes",
                                                          "version": fresh(hill.imported).version})
    assert Link.active_for_profile(hill.imported).sia_member_id == hill.member.id
    assert Exclusion.active(hill.org).count() == 0


def test_the_relink_member_search_answers_htmx_with_the_relink_section(client, hill):
    f.member(hill.staff, "Grace Hopper", email="grace@hill.test")
    client.login("support@tether.test")
    section = client.get(url(hill, hill.own) + "?member_q=grace", headers={"HX-Request": "true", "HX-Target": "relink-members"})
    section = section.get_data(as_text=True)
    # The inside of #relink-members, which htmx fills: the member list, not the page.
    assert "<h1" not in section and 'id="relink-members"' not in section and "Grace Hopper" in section


def test_admins_cannot_relink(client, hill):
    client.login("admin@hill.test")
    assert client.post(url(hill, hill.own, "/relink"), data={"member": hill.member.id}).status_code == 403


def test_a_form_drawn_before_someone_else_changed_the_profile_is_refused(client, hill):
    client.login("admin@hill.test")
    stale = hill.imported.version
    Profile.update(version=Profile.version + 1).where(Profile.id == hill.imported.id).execute()
    client.post(url(hill, hill.imported, "/delete"), data={"version": stale})
    assert fresh(hill.imported).status == "active"
    assert "changed by someone else" in flashes(client, url(hill, hill.imported))


def test_an_admin_merges_with_a_chosen_value_and_undoes_it(client, hill):
    client.login("admin@hill.test")
    picker = page(client, url(hill, hill.own, "/merge") + "?q=lovelace")
    assert f"removed={hill.imported.id}" in picker
    form = page(client, url(hill, hill.own, "/merge") + f"?removed={hill.imported.id}")
    assert "07700 900123" in form and "fills the empty value" in form and "data-confirm=" in form
    response = client.post(url(hill, hill.own, "/merge"), data={
        "removed": hill.imported.id, "version": hill.own.version, "removed_version": hill.imported.version,
        "choice_forename": "removed",
    })
    assert response.status_code == 303
    assert fresh(hill.imported).status == "merged" and Link.active_for_profile(hill.own) is not None
    shown = page(client, url(hill, hill.own))
    assert "undone for 30 days" in shown and "Undo the merge of" in shown
    [record] = MergeRecord.select()
    client.post(f"/organisations/{hill.org.id}/merges/{record.id}/undo")
    assert fresh(hill.imported).status == "active" and Link.active_for_profile(hill.imported) is not None
    assert "separate again" in flashes(client, url(hill, hill.own))


def test_merging_two_linked_profiles_is_refused_on_the_page(client, hill):
    create_link(hill.own, f.member(hill.staff, "Ada L"), "import")
    client.login("admin@hill.test")
    form = page(client, url(hill, hill.own, "/merge") + f"?removed={hill.imported.id}")
    assert "are linked to Sign In App members" in form and " disabled" in form
    client.post(url(hill, hill.own, "/merge"), data={"removed": hill.imported.id})
    assert fresh(hill.imported).status == "active"
    assert "both linked" in flashes(client, url(hill, hill.own, "/merge") + f"?removed={hill.imported.id}")


def test_the_duplicates_page_shows_score_and_reason_and_bulk_merges_the_ticked_pairs(client, hill):
    client.login("viewer@hill.test")
    listing = page(client, f"/organisations/{hill.org.id}/duplicates")
    assert "certain" in listing and "same email (ada@hill.test)" in listing and 'name="pair"' not in listing
    assert client.post(f"/organisations/{hill.org.id}/duplicates/merge", data={"pair": "1:2"}).status_code == 403
    client.switch_to("admin@hill.test")
    assert 'name="pair"' in page(client, f"/organisations/{hill.org.id}/duplicates")
    result = client.post(f"/organisations/{hill.org.id}/duplicates/merge",
                         data={"pair": [f"{hill.own.id}:{hill.imported.id}", f"{hill.own.id}:{hill.imported.id}"]})
    text = result.get_data(as_text=True)
    assert result.status_code == 200 and "1 of 2 pairs merged" in text and "already merged into profile" in text
    assert fresh(hill.imported).status == "merged"


def test_another_schools_records_answer_404(client, hill):
    client.login("admin@dale.test")
    org = hill.org.id
    for address in (url(hill), url(hill, hill.own), url(hill, hill.own, "/merge"),
                    f"/organisations/{org}/duplicates", f"/organisations/{org}/exclusions"):
        assert client.get(address).status_code == 404, address
    for address in (url(hill, hill.imported, "/decouple"), url(hill, hill.imported, "/delete"),
                    f"/organisations/{org}/duplicates/merge"):
        assert client.post(address, data={"pair": f"{hill.own.id}:{hill.imported.id}"}).status_code == 404, address
    assert Link.active_for_profile(hill.imported) is not None and fresh(hill.imported).status == "active"


def test_a_profile_of_another_school_is_404_under_your_own_school(client, hill):
    client.login("admin@hill.test")
    assert client.get(url(hill, hill.dale_profile)).status_code == 404
    assert client.post(url(hill, hill.dale_profile, "/delete")).status_code == 404
    assert client.get(url(hill, hill.own, "/merge") + f"?removed={hill.dale_profile.id}").status_code == 404
    response = client.post(
        f"/organisations/{hill.org.id}/duplicates/merge", data={"pair": f"{hill.own.id}:{hill.dale_profile.id}"}
    )
    assert response.status_code == 404 and fresh(hill.dale_profile).status == "active"


def test_actions_without_the_csrf_token_are_refused(client, hill):
    client.login("admin@hill.test")
    response = client.post(url(hill, hill.imported, "/delete"), data={"version": hill.imported.version}, csrf=False)
    assert response.status_code == 400 and "Form expired" in response.get_data(as_text=True)
    assert fresh(hill.imported).status == "active"


def test_the_navigation_lists_profiles_duplicates_and_exclusions(client, hill):
    client.login("viewer@hill.test")
    shown = page(client, f"/organisations/{hill.org.id}")
    for label, path in (("Profiles", "profiles"), ("Duplicates", "duplicates"), ("Exclusions", "exclusions")):
        assert f'href="/organisations/{hill.org.id}/{path}">{label}</a>' in shown


def test_a_deleted_profile_says_until_when_support_can_restore_it(client, hill):
    links.delete_profile(hill.imported, "admin@hill.test")
    client.login("admin@hill.test")
    shown = page(client, url(hill, hill.imported))
    assert "It can be restored until" in shown and "Restore profile" not in shown and "Profile deleted" in shown
    client.switch_to("support@tether.test")
    assert "Restore profile" in page(client, url(hill, hill.imported))


def test_a_merged_profile_points_to_the_kept_one_and_offers_the_undo(client, hill):
    from sync import merge

    merge.merge(hill.own, hill.imported, "admin@hill.test")
    client.login("admin@hill.test")
    shown = page(client, url(hill, hill.imported))
    assert f'href="/organisations/{hill.org.id}/profiles/{hill.own.id}">profile {hill.own.id}</a>' in shown
    assert "Undo the merge of Ada Lovelace into Ada Lovelace" in shown and "Merged into another profile" in shown
