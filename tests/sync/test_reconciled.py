"""An unchanged member costs an import no comparison: each link remembers the state its two sides last
agreed in (Link.reconciled); a change on either side, or to the field mapping, compares it again."""
import pytest

import store

from connectors.sia import SiaRejected, client_for
from store.models import FieldMapping, Link, Profile, SiaMember
from sync import fields

from . import helpers


@pytest.fixture
def comparisons(monkeypatch):
    """How many members an import worked out profile fields for."""
    seen = []
    original = fields.member_to_profile

    def counting(member, mappings, *, creating):
        seen.append(member.id)
        return original(member, mappings, creating=creating)

    monkeypatch.setattr(fields, "member_to_profile", counting)
    return seen


def profile_of(member):
    return Profile.get_by_id(Link.active().join(SiaMember).where(SiaMember.sia_id == member.id).get().profile_id)


def test_an_unchanged_rerun_compares_no_member(school, run_import, comparisons):
    for n in range(3):
        school.member(f"Person Number{n}")
    assert run_import(school).counts["created"] == 3
    assert all(link.reconciled for link in Link.active())
    comparisons.clear()
    assert run_import(school).counts["unchanged"] == 3
    assert comparisons == []


def test_a_member_changed_in_sign_in_app_is_compared_and_updated(school, run_import, comparisons):
    ada, grace = school.member("Ada Lovelace"), school.member("Grace Hopper")
    run_import(school)
    helpers.rename(ada, "Ada King")
    comparisons.clear()
    counts = run_import(school).counts
    assert (counts["updated"], counts["unchanged"]) == (1, 1)
    assert comparisons == [ada.id]
    assert profile_of(ada).surname == "King" and profile_of(grace).surname == "Hopper"


def test_a_profile_changed_in_central_record_since_the_last_sync_is_compared_again(school, run_import):
    ada = school.member("Ada Lovelace", mobile="07700 900001")
    run_import(school)
    Profile.update(mobile="07700 999999").execute()  # however it changed: the stamp is of the values
    result = run_import(school)
    assert result.counts["updated"] == 1
    assert profile_of(ada).mobile == "07700 900001"
    assert run_import(school).counts["unchanged"] == 1


def test_a_field_mapping_change_makes_the_next_sync_compare_every_member_again(school, run_import, comparisons):
    ada = school.member("Ada Lovelace", role="Teacher", department="Maths")
    run_import(school)
    FieldMapping.create(organisation=school.org, source_field="name", target_field="name", direction="to_scr")
    FieldMapping.create(organisation=school.org, source_field="custom.department", target_field="role",
                        direction="to_scr")
    comparisons.clear()
    assert run_import(school).counts["updated"] == 1
    assert comparisons == [ada.id]
    assert profile_of(ada).role == "Maths"


def test_links_made_before_links_remembered_their_state_are_compared_then_remembered(school, run_import, comparisons):
    school.member("Ada Lovelace")
    run_import(school)
    Link.update(reconciled=None).execute()
    comparisons.clear()
    assert run_import(school).counts["unchanged"] == 1
    assert len(comparisons) == 1 and Link.active().get().reconciled
    comparisons.clear()
    run_import(school)
    assert comparisons == []


class RefusingUpdates:
    """A Sign In App that refuses every member update (422)."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def update_member(self, member_id, changes):
        raise SiaRejected("Sign In App refused the data sent (422): mobile: invalid", url="", status=422, errors={})


def test_a_member_sign_in_app_refused_to_update_is_tried_again_next_run(school, run_import, ctx):
    FieldMapping.create(organisation=school.org, source_field="name", target_field="name", direction="to_scr")
    FieldMapping.create(organisation=school.org, source_field="mobile", target_field="mobile", direction="to_sia")
    ada = school.member("Ada Lovelace")
    run_import(school)
    Profile.update(mobile="07700 900123").execute()
    refused = run_import(school, client=RefusingUpdates(client_for(school.connection, wsgi_app=ctx)))
    assert [problem.code for problem in refused.problems] == ["sia_update_failed"]
    assert run_import(school).counts["updated"] == 1
    assert helpers.SandboxMember.get_by_id(ada.id).personal_fields["mobile"] == "07700 900123"


def test_an_unchanged_rerun_writes_no_profile_link_or_shadow(school, run_import, monkeypatch):
    for n in range(3):
        school.member(f"Person Number{n}")
    run_import(school)
    writes = []
    execute_sql = type(store.database.obj).execute_sql

    def recording(self, sql, params=None, *args, **kwargs):
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(sql)
        return execute_sql(self, sql, params, *args, **kwargs)

    monkeypatch.setattr(type(store.database.obj), "execute_sql", recording)
    assert run_import(school).counts["unchanged"] == 3
    assert writes, "the run's own bookkeeping is written"
    assert not [sql for sql in writes if '"profile"' in sql or '"link"' in sql]
    shadow_writes = [sql for sql in writes if '"sia_member"' in sql]
    assert len(shadow_writes) == 1 and '"seen_at"' in shadow_writes[0] and '"digest"' not in shadow_writes[0]


def test_a_shadow_that_no_longer_matches_its_member_is_written_again_though_the_link_agrees(school, run_import):
    ada = school.member("Ada Lovelace")
    run_import(school)
    kept = SiaMember.get(SiaMember.sia_id == ada.id).digest
    SiaMember.update(digest="not what Sign In App has").execute()
    assert run_import(school).counts["unchanged"] == 1
    assert SiaMember.get(SiaMember.sia_id == ada.id).digest == kept
