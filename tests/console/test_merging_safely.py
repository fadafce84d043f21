"""Merging that cannot merge two people by default (issue 16), on the pages: the duplicates page's ticks,
differences and likely cause of new duplicates; the profile page's delete warning; messages that tell two
profiles of one name apart."""
import datetime
import re
from types import SimpleNamespace

import pytest

from store.models import Link, MergeRecord, Profile
from sync.linking import create_link
from tests import factories as f

DOB = datetime.date(1980, 12, 10)


@pytest.fixture
def hill(db):
    """Three pairs an import made: Sam (names and email agree), Jo (one email, different first names) and
    Lee (different dates of birth); and a Sign In App Staff group linked to the school."""
    org = f.organisation("Hill School")
    staff = f.group(f.connection(org), org, "Staff")

    def pair(own, imported, email, dob=DOB, imported_dob=DOB):
        kept = f.profile(org, *own.split(), email=email, dob=dob)
        removed = f.profile(org, *imported.split(), email=email, dob=imported_dob, mobile="07700 900123", source="sia")
        create_link(removed, f.member(staff, imported, email=email), "import")
        return SimpleNamespace(kept=kept, removed=removed)

    f.user("admin@hill.test", "admin", [org])
    f.user("viewer@hill.test", "viewer", [org])
    f.user("support@tether.test", "support")
    f.support_access(org)
    return SimpleNamespace(
        org=org, staff=staff,
        sam=pair("Sam Lee", "Sam Lee", "sam.lee@hill.test"),
        jo=pair("Jo Marsh", "Joanna Marsh", "marsh.family@home.test"),
        lee=pair("Lee Young", "Lee Young", "lee@hill.test", imported_dob=datetime.date(1991, 4, 1)),
    )


def duplicates_page(client, school):
    response = client.get(f"/organisations/{school.org.id}/duplicates")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def profile_page(client, profile):
    response = client.get(f"/organisations/{profile.organisation_id}/profiles/{profile.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def flash(client, profile):
    return " ".join(re.findall(r'class="flash flash-\w+"[^>]*>([^<]*)<', profile_page(client, profile)))


def checkbox(shown, pair):
    found = re.search(rf'<input type="checkbox" name="pair" value="{pair.kept.id}:{pair.removed.id}"[^>]*>', shown)
    return found.group(0) if found else None


def test_only_the_pair_whose_names_and_email_agree_is_ticked_and_a_conflict_cannot_be_ticked(client, hill):
    client.login("admin@hill.test")
    shown = duplicates_page(client, hill)
    assert " checked" in checkbox(shown, hill.sam)
    assert " checked" not in checkbox(shown, hill.jo)
    assert checkbox(shown, hill.lee) is None
    assert "one email shared by different first names (Jo, Joanna)" in shown
    assert "different dates of birth (10 Dec 1980, 01 Apr 1991)" in shown
    assert "Mobile: none (kept) / 07700 900123 (merged in); the merge fills it in" in shown
    assert "Important: Do not delete duplicate profiles." in shown
    assert "Likely cause of new duplicates" not in shown

    refused = client.post(f"/organisations/{hill.org.id}/duplicates/merge",
                          data={"pair": [f"{p.kept.id}:{p.removed.id}" for p in (hill.sam, hill.lee)]})
    text = refused.get_data(as_text=True)
    assert "1 of 2 pairs merged" in text and "are never merged in bulk: different dates of birth" in text
    assert Profile.get_by_id(hill.sam.removed.id).status == "merged"
    assert Profile.get_by_id(hill.lee.removed.id).status == "active"


def test_the_duplicates_page_names_the_ipad_app_setting_as_the_likely_cause_of_new_duplicates(client, hill):
    """Troubleshooting help, "After First Sync": check 'Allow new group members to be added via the iPad app'."""
    hill.staff.settings = {"sign_in_options": {"safety_check": "reject", "allow_ipad_self_add": True}}
    hill.staff.save()
    client.login("viewer@hill.test")
    shown = duplicates_page(client, hill)
    assert "Likely cause of new duplicates: New group members can be added via the iPad app" in shown
    assert "The Sign In App group Staff has “Allow new group members to be added via the iPad app” toggled on" in shown
    assert "Manage &gt; Groups &gt; Staff &gt; Details and under Permissions" in shown


def test_delete_warns_do_not_delete_the_duplicate_and_offers_merge_instead(client, hill):
    """Setup help: "Important: Do not delete the duplicate profiles! To maintain the integration link, these
    profiles will need to be merged." Delete is not the page's primary button."""
    client.login("admin@hill.test")
    shown = profile_page(client, hill.sam.removed)
    merge_url = f"/organisations/{hill.org.id}/profiles/{hill.sam.kept.id}/merge?removed={hill.sam.removed.id}"
    assert "Important: Do not delete the duplicate profiles!</strong> To maintain the integration link, these " \
           "profiles will need to be merged" in shown
    assert f"Sam Lee (#{hill.sam.kept.id}, sam.lee@hill.test) looks like the same person" in shown
    assert f'<a role="button" href="{merge_url}">Merge instead</a>' in shown
    assert 'data-confirm="Do not delete the duplicate profiles!' in shown
    assert '<button type="submit" class="secondary outline">Delete profile and exclude its member</button>' in shown
    assert "Merge instead" in profile_page(client, hill.sam.kept)  # from the school's side too

    lone = f.profile(hill.org, "Grace", "Hopper", email="grace@hill.test")
    assert "Do not delete" not in profile_page(client, lone)
    assert "Do not delete" not in profile_page(client, hill.lee.kept)  # different dates of birth: not a duplicate
    client.switch_to("viewer@hill.test")
    assert "Do not delete" not in profile_page(client, hill.sam.removed)


def test_messages_after_merge_undo_delete_and_restore_name_each_profile_with_its_id_and_email(client, hill):
    kept, removed = hill.sam.kept, hill.sam.removed
    told = {p.id: f"Sam Lee (#{p.id}, sam.lee@hill.test)" for p in (kept, removed)}
    client.login("admin@hill.test")
    client.post(f"/organisations/{hill.org.id}/profiles/{kept.id}/merge",
                data={"removed": removed.id, "version": kept.version, "removed_version": removed.version})
    assert f"Merged {told[removed.id]} into {told[kept.id]}. The merge can be undone for 30 days." in flash(client, kept)

    [record] = MergeRecord.select()
    client.post(f"/organisations/{hill.org.id}/merges/{record.id}/undo")
    assert f"The merge is undone: {told[removed.id]} and {told[kept.id]} are separate again." in flash(client, kept)

    removed = Profile.get_by_id(removed.id)
    client.post(f"/organisations/{hill.org.id}/profiles/{removed.id}/delete", data={"version": removed.version})
    assert f"{told[removed.id]} is deleted." in flash(client, removed)
    assert Link.active_for_profile(removed) is None

    client.switch_to("support@tether.test")
    client.post(f"/organisations/{hill.org.id}/profiles/{removed.id}/restore",
                data={"version": Profile.get_by_id(removed.id).version})
    assert f"{told[removed.id]} is active again." in flash(client, removed)
