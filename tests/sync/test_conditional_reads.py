"""Member pages are read with If-None-Match (DESIGN §3): a page unchanged since the last import is a 304,
is not parsed, and comes back from the shadows; the import ends as a full read would have."""
from connectors.sia.client import SiaClient, client_for
from sandbox.models import SandboxMember
from store.models import SiaPage
from sync import mirror

from . import helpers

PAGES = 3  # of the sandbox's 200 members a page


def _parsed_pages(monkeypatch):
    """The member-page URLs whose answer the client parses, as they are parsed."""
    parsed = []
    parse = SiaClient._json

    def counting(self, response, url, status):
        if "/members" in url:
            parsed.append(url.rsplit("/", 1)[1])
        return parse(self, response, url, status)

    monkeypatch.setattr(SiaClient, "_json", counting)
    return parsed


def test_only_the_changed_page_is_read_again_and_the_import_equals_a_full_read(school, run_import, monkeypatch):
    members = [school.member(f"Staff Member{n}") for n in range(PAGES * 200 - 150)]
    assert run_import(school).counts["created"] == len(members)
    helpers.rename(members[250], "Staff Renamed")  # on page 2
    parsed = _parsed_pages(monkeypatch)

    planned = run_import(school, dry_run=True)
    with monkeypatch.context() as forgetful:
        forgetful.setattr(mirror.PageMemory, "last_read", lambda self, path: None)
        planned_in_full = run_import(school, dry_run=True)
    assert planned_in_full.run.details["decisions"] == planned.run.details["decisions"]
    parsed.clear()
    result = run_import(school)
    assert parsed == ["members?page=2"], "pages 1 and 3 were 304s, never parsed"
    assert (result.counts["updated"], result.counts["unchanged"]) == (1, len(members) - 1)

    after = helpers.Snapshot().tables
    SiaPage.delete().execute()  # nothing remembered: every page read in full
    parsed.clear()
    assert run_import(school).counts["unchanged"] == len(members), "a full read finds nothing left to do"
    assert parsed == [f"members?page={n}" for n in range(1, PAGES + 1)]
    assert helpers.Snapshot().tables == after


def test_a_run_that_stops_half_way_leaves_its_groups_to_be_read_in_full(school, run_import, monkeypatch):
    members = [school.member(f"Staff Member{n}") for n in range(250)]
    run_import(school)
    helpers.rename(members[0], "Staff Renamed")

    def stop(done, total):
        if done:
            raise KeyboardInterrupt

    try:
        run_import(school, progress=stop, batch_size=100)
    except KeyboardInterrupt:
        pass
    assert SiaPage.select().count() == 0
    parsed = _parsed_pages(monkeypatch)
    assert run_import(school).status == "succeeded"
    assert parsed == ["members?page=1", "members?page=2"]
    assert SiaPage.select().count() == 2


def test_a_member_remembered_from_its_shadow_is_the_member_sign_in_app_listed(school, run_import, ctx):
    ada = school.member("Ada Lovelace")
    SandboxMember.update(
        site_id=3, last_in="2026-11-30T08:00:00+00:00", photo_url="https://photos.test/ada.jpg",
        permissions={"can_pre_reg": True}, qr_codes=[{"id": 1, "contents": "QR1"}],
    ).where(SandboxMember.id == ada.id).execute()
    run_import(school)
    with client_for(school.connection, wsgi_app=ctx) as sia:
        [listed] = list(sia.members(school.staff.id))
    remembered = mirror.PageMemory(school.connection).member(school.staff.id, ada.id)
    assert remembered == listed and remembered.site_id == 3 and remembered.qr_codes == [{"id": 1, "contents": "QR1"}]
