"""Builders for diagnostics tests: a school where Ada Lovelace syncs normally and has her green shield.

Hill School's Sign In App Staff group is a Repeat group linked to it, set to reject sign-ins that are not
ready and to check every rating system; the rule `group == Staff` maps to Teaching Staff; Ada's profile
is linked to her member and has the Enhanced DBS that School Ready asks of teaching staff; an import
has succeeded.
"""
import datetime
from types import SimpleNamespace

from connectors.sia import PortalUser
from store.models import CheckRecord, CheckType, MappingRule, RatingRequirement, RatingSystem, SyncRun, now
from sync import diagnostics
from sync.linking import create_link
from tests import factories as f

TODAY = datetime.date.today()


class PortalUsers:
    """Stands in for the Sign In App client: answers `portal_users()` with a list."""

    def __init__(self, *users):
        self.users = list(users)

    def portal_users(self):
        return self.users


def portal_user(name="Pat Primary", email="pat@hill.test", role="primary", id=1):
    return PortalUser(id=id, name=name, email=email, role=role)


def group_settings(safety_check="reject", rating_check="all", rating_systems=(), organisation_id=None):
    return {
        "integrations": {
            "organisation_id": organisation_id, "rating_check": rating_check, "rating_systems": list(rating_systems),
        },
        "sign_in_options": {"safety_check": safety_check, "allow_ipad_self_add": False},
    }


def set_group(group, **settings):
    group.settings = group_settings(organisation_id=group.organisation_id, **settings)
    group.save()


def build_school(name="Hill School"):
    org = f.organisation(name)
    conn = f.connection(org, name="Hill Sign In App")
    staff = f.group(conn, org, "Staff")
    set_group(staff)
    dbs = CheckType.create(organisation=org, code="enhanced_dbs", name="Enhanced DBS", validity_months=36)
    school_ready = RatingSystem.create(organisation=org, name="School Ready")
    RatingRequirement.create(rating_system=school_ready, profile_type=f.profile_type(org), check_type=dbs)
    MappingRule.create(organisation=org, profile_type=f.profile_type(org), expression="group == Staff")
    ada = f.profile(org, "Ada", "Lovelace", email="ada@hill.test", source="sia")
    member = f.member(staff, "Ada Lovelace", email="ada@hill.test")
    link = create_link(ada, member, "import")
    record = CheckRecord.create(profile=ada, check_type=dbs, completed_on=TODAY - datetime.timedelta(days=30))
    run = SyncRun.create(organisation=org, kind="sia_import", status="succeeded", finished_at=now())
    return SimpleNamespace(
        org=org, conn=conn, staff=staff, dbs=dbs, school_ready=school_ready, ada=ada, member=member, link=link,
        record=record, run=run,
    )


def diagnose(org, query, *portal_users, on=None, other_schools=True):
    """Diagnose as support does (every school of the trust); `other_schools=False` as a school admin."""
    return diagnostics.diagnose(org, query, on=on, client=PortalUsers(*portal_users), other_schools=other_schools)


def person(org, query, *portal_users, on=None):
    """The one person the search finds."""
    [found] = diagnose(org, query, *portal_users, on=on).people
    return found


def cause(found, code):
    """The one cause of `found` with `code`."""
    matching = [c for c in found.causes if c.code == code]
    assert len(matching) == 1, (code, [(c.code, c.detail) for c in found.causes])
    return matching[0]


def codes(found):
    return {c.code for c in found.causes}
