"""Settings > Sign In App Upload in the console: "Preview" next to the red "Push All" (set-up help, Option 2),
and "Link to the existing member" for a profile held back because it looks like a member already there."""
from sandbox.models import SandboxMember
from store.models import Link
from tests import factories

from . import helpers



def _run_of(response):
    assert response.status_code == 303, response.status_code
    return helpers.wait_for_run(int(response.headers["Location"].rsplit("/", 1)[1]))


def test_upload_page_offers_preview_next_to_the_red_push_all_button(school, client, run_import):
    run_import(school)
    factories.profile(school.org, "Grace", "Hopper")
    helpers.sign_in_as_role(client, school, "admin")
    page = client.get(f"/organisations/{school.org.id}/sync/upload",
                      query_string={"type": "Teaching Staff", "group": school.staff.id}).get_data(as_text=True)
    assert '<button type="submit" class="secondary">Preview</button>' in page
    assert '<button type="submit" class="push-all">Push All</button>' in page
    assert page.index(">Preview<") < page.index(">Push All<")


def test_preview_shows_what_push_all_would_do_and_links_a_held_back_profile_to_the_existing_member(school, client, run_import):
    run_import(school)
    ada = school.member("Ada Lovelace", email="ada@school.test")
    profile = factories.profile(school.org, "Ada", "Lovelace", email="ada@school.test")
    factories.profile(school.org, "Alan", "Turing", email="alan@school.test")
    helpers.sign_in_as_role(client, school, "admin")
    url = f"/organisations/{school.org.id}/sync/upload"
    run = _run_of(client.post(f"{url}/preview", data={"type": "Teaching Staff", "group": str(school.staff.id)}))
    assert run.dry_run and run.status == "needs_attention" and run.trigger == "console"
    page = client.get(f"/organisations/{school.org.id}/sync/runs/{run.id}").get_data(as_text=True)
    assert "needs attention" in page and "(dry run: nothing was changed)" in page
    assert "What the push would do" in page and "no member of &#39;Staff&#39; looks like it" in page
    assert "Would be held back: link to the existing member instead" in page
    assert "Link to the existing member</button>" in page
    assert SandboxMember.select().count() == 1
    response = client.post(f"{url}/link", data={"profile": profile.id, "member": ada.id, "run": run.id})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/sync/runs/{run.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is linked to the existing Sign In App member Ada Lovelace" in page
    assert f'<span class="status status-succeeded">linked</span> to member {ada.id}' in page
    assert Link.active_for_profile(profile).sia_member.sia_id == ada.id
    pushed = _run_of(client.post(url, data={"type": "Teaching Staff", "group": str(school.staff.id)}))
    assert pushed.status == "succeeded" and pushed.counts == {"created": 1, "linked": 0, "held_back": 0, "failed": 0}
    assert sorted(m.name for m in SandboxMember.select()) == ["Ada Lovelace", "Alan Turing"]


def test_create_a_new_member_instead_pushes_the_held_back_profile_alone(school, client, run_import):
    run_import(school)
    school.member("Sam Office", email="office@school.test")
    sam = factories.profile(school.org, "Sam", "Jones", email="office@school.test")
    factories.profile(school.org, "Alan", "Turing", email="alan@school.test")
    helpers.sign_in_as_role(client, school, "admin")
    url = f"/organisations/{school.org.id}/sync/upload"
    held = _run_of(client.post(url, data={"type": "Teaching Staff", "group": str(school.staff.id)}))
    page = client.get(f"/organisations/{school.org.id}/sync/runs/{held.id}").get_data(as_text=True)
    assert "Held back: link to the existing member instead" in page and "Create a new member instead" in page
    again = _run_of(client.post(url, data={"type": "Teaching Staff", "group": str(school.staff.id),
                                           "profile": sam.id, "despite_look_alikes": "yes"}))
    assert again.status == "succeeded" and again.counts["created"] == 1 and again.details["profile_ids"] == [sam.id]
    assert sorted(m.name for m in SandboxMember.select()) == ["Alan Turing", "Sam Jones", "Sam Office"]


def test_viewer_reads_the_held_back_profiles_but_may_not_link_or_preview(school, client, run_import):
    run_import(school)
    ada = school.member("Ada Lovelace", email="ada@school.test")
    profile = factories.profile(school.org, "Ada", "Lovelace", email="ada@school.test")
    helpers.sign_in_as_role(client, school, "admin")
    url = f"/organisations/{school.org.id}/sync/upload"
    run = _run_of(client.post(url, data={"type": "Teaching Staff", "group": str(school.staff.id)}))
    client.post("/logout")
    helpers.sign_in_as_role(client, school, "viewer")
    page = client.get(f"/organisations/{school.org.id}/sync/runs/{run.id}").get_data(as_text=True)
    assert "Ada Lovelace" in page and "An admin can link it to the existing member." in page
    assert "Link to the existing member</button>" not in page and "Create a new member instead" not in page
    assert client.post(f"{url}/link", data={"profile": profile.id, "member": ada.id}).status_code == 403
    assert client.post(f"{url}/preview", data={"group": str(school.staff.id)}).status_code == 403
    assert Link.select().count() == 0
