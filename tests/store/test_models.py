"""The database enforces the rules the code relies on, on SQLite and PostgreSQL alike."""
import pytest
from peewee import IntegrityError

from store import database
from store.models import Exclusion, Link, Organisation, SiaConnection, now
from tests import factories as f


@pytest.fixture
def org(db):
    return f.organisation("School One")


def _link(profile, member, org, **fields):
    return Link.create(profile=profile, sia_member=member, organisation=org, **fields)


def test_second_active_link_for_the_same_profile_is_refused(org):
    conn = f.connection(org)
    grp = f.group(conn, org)
    profile = f.profile(org)
    _link(profile, f.member(grp), org)
    with pytest.raises(IntegrityError), database.atomic():
        _link(profile, f.member(grp, name="Someone Else"), org)


def test_second_active_link_for_the_same_member_is_refused(org):
    conn = f.connection(org)
    member = f.member(f.group(conn, org))
    _link(f.profile(org), member, org)
    with pytest.raises(IntegrityError), database.atomic():
        _link(f.profile(org, forename="Grace", surname="Hopper"), member, org)


def test_severed_links_are_kept_as_history_beside_the_active_one(org):
    conn = f.connection(org)
    member = f.member(f.group(conn, org))
    profile = f.profile(org)
    _link(profile, member, org, severed_at=now(), sever_reason="decoupled")
    _link(profile, member, org, severed_at=now(), sever_reason="leaver")
    _link(profile, member, org)
    assert Link.select().where(Link.profile == profile).count() == 3
    assert Link.active_for_profile(profile).severed_at is None


def test_one_active_exclusion_per_member(org):
    conn = f.connection(org)
    Exclusion.create(organisation=org, connection=conn, sia_member_id=42)
    with pytest.raises(IntegrityError), database.atomic():
        Exclusion.create(organisation=org, connection=conn, sia_member_id=42)
    Exclusion.update(restored_at=now()).execute()
    Exclusion.create(organisation=org, connection=conn, sia_member_id=42)


def test_profile_status_outside_the_domain_is_refused(org):
    with pytest.raises(IntegrityError), database.atomic():
        f.profile(org, status="archived")


def test_connection_belongs_to_an_organisation_or_a_trust_not_both(org):
    with pytest.raises(IntegrityError), database.atomic():
        SiaConnection.new(base_url="x", api_key="k", secret="s")


def test_deleting_an_organisation_removes_its_profiles(org):
    f.profile(org)
    Organisation.delete_by_id(org.id)
    assert not Organisation.select().exists()


def test_organisation_settings_fall_back_to_defaults(org):
    org.settings = {"disable_threshold": 25}
    org.save()
    org = Organisation.get_by_id(org.id)
    assert org.setting("disable_threshold") == 25
    assert org.setting("username_policy") == "email"
    assert org.setting("auto_link_exact_email") is False
