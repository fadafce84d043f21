"""A school ready for the safety check: check types, two rating systems, an SIA group and a linked member.

`school` builds it on whichever database `db` is; `make_ready` gives a profile every check it needs.
"""
import datetime
from types import SimpleNamespace

import pytest

from compliance import tokens
from store.models import CheckRecord, CheckType, Link, RatingRequirement, RatingSystem
from tests import factories as f

TODAY = datetime.date.today()


def group_settings(safety_check="reject", rating_check="all", rating_systems=(), organisation_id=None):
    """SiaGroup.settings as the sync mirrors them from `GET /groups/{id}`."""
    return {
        "integrations": {
            "organisation_id": organisation_id,
            "rating_check": rating_check,
            "rating_systems": list(rating_systems),
        },
        "sign_in_options": {"safety_check": safety_check, "allow_ipad_self_add": False},
    }


def set_group(group, **settings):
    group.settings = group_settings(organisation_id=group.organisation_id, **settings)
    group.save()


def make_ready(world, profile=None):
    """Give `profile` (default: the linked one) every check both rating systems require, in date."""
    profile = profile or world.profile
    for check_type in (world.dbs, world.rtw):
        CheckRecord.create(profile=profile, check_type=check_type, completed_on=TODAY - datetime.timedelta(days=10))


def link(profile, member, org, **fields):
    return Link.create(profile=profile, sia_member=member, organisation=org, **fields)


def build_school(name="Hill School"):
    org = f.organisation(name)
    dbs = CheckType.create(organisation=org, code="enhanced_dbs", name="Enhanced DBS", validity_months=36)
    rtw = CheckType.create(organisation=org, code="right_to_work", name="Right to work")
    barred = CheckType.create(organisation=org, code="barred_list", name="Barred list", validity_months=12)
    school_ready = RatingSystem.create(organisation=org, name="School Ready", position=0)
    inspector_ready = RatingSystem.create(organisation=org, name="Inspector Ready", position=1)
    teaching = f.profile_type(org, "Teaching Staff")
    for system, check_type in ((school_ready, dbs), (school_ready, rtw), (inspector_ready, dbs)):
        RatingRequirement.create(rating_system=system, profile_type=teaching, check_type=check_type)
    connection = f.connection(org)
    group = f.group(connection, org, name="Staff")
    member = f.member(group, name="Ada Lovelace")
    profile = f.profile(org, "Ada", "Lovelace", source="sia")
    link(profile, member, org)
    world = SimpleNamespace(
        org=org, dbs=dbs, rtw=rtw, barred=barred, school_ready=school_ready, inspector_ready=inspector_ready,
        teaching=teaching, connection=connection, group=group, member=member, profile=profile,
    )
    set_group(group)
    return world


@pytest.fixture
def school(db):
    return build_school()


@pytest.fixture
def secret(school):
    """A live safety-check token for the school's connection."""
    return tokens.create(school.connection, actor="test")[1]
