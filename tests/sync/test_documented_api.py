"""Sign In App's documented client API, fed as the docs publish it: the example group list and members pages
(tests/fixtures/sia_client_api_docs.json) through the client, then through a whole import, over a transport
that refuses what the real API refuses (a request without both JSON headers gets a 302)."""
import copy

from connectors.sia import SiaClient
from store.models import MappingRule, Profile, SiaMember
from sync import sia_import
from tests import factories
from tests.connectors import fake_sia

LINKED_TO = {"sign_in_options": {"safety_check": "reject", "allow_ipad_self_add": False}}


def account_for(org, examples, *, pages=None):
    """The docs' account as a transport: its Employees group (2) linked to `org` by the partner integration."""
    details = {
        1: {"integrations": {"organisation_id": None}},
        2: {"integrations": {"organisation_id": org.id, "rating_check": "all", "rating_systems": []}, **LINKED_TO},
        3: {"integrations": {"organisation_id": None}},
    }
    pages = pages or [examples["members_page_1"], examples["members_page_2"]]
    return fake_sia.documented_account(examples["groups"], {2: pages}, details)


def client(transport):
    return SiaClient(fake_sia.BASE_URL, "key", "secret", name="Docs SIA", transport=transport, sleep=lambda s: None)


def test_the_docs_example_pages_read_through_the_client_keep_every_documented_field(db):
    examples = fake_sia.docs_examples()
    transport = account_for(factories.organisation("Docs Academy"), examples)
    with client(transport) as sia:
        groups = sia.list_groups()
        joe, ann = list(sia.members(2))
    assert [(g.id, g.name, g.type, g.is_returning) for g in groups] == [
        (1, "Visitors", "non-returning", False), (2, "Employees", "returning", True), (3, "Deliveries", "delivery", False),
    ]
    assert (joe.id, joe.group_id, joe.site_id, joe.status) == (456, 2, 7, "signed_out")
    assert (joe.name, joe.role, joe.email, joe.mobile) == ("Joe Bloggs", "Manager", "user@example.com", "+16789123456")
    assert joe.custom == {"field1": "value1", "field2": 789, "field3": True}  # values keep their JSON types
    assert (joe.last_in, joe.last_out) == ("2024-05-01T08:30:00+01:00", "2024-05-01T17:05:00+01:00")
    assert joe.photo_url == "https://example.signinapp.com/photos/456.jpg"
    assert joe.qr_codes == [{"id": 345, "contents": "ABC123DEF456"}]
    assert joe.permissions["can_access_firelist"] is True and joe.permissions["can_auto_sign_in"] is False
    # The optional keys absent, and no `archived`/`updated_at` anywhere: nothing is made up.
    assert (ann.id, ann.site_id, ann.last_in, ann.last_out, ann.photo_url, ann.qr_codes) == (457, None, None, None, None, [])
    assert (ann.status, ann.archived, ann.updated_at) == ("unknown", False, None)
    assert [r.url.params.get("page") for r in transport.seen if r.url.path.endswith("/members")] == ["1", "2"]


def test_a_whole_import_of_the_docs_example_creates_both_members_and_keeps_their_documented_fields(ctx):
    examples = fake_sia.docs_examples()
    org = factories.organisation("Docs Academy")
    connection = factories.connection(org)
    MappingRule.create(organisation=org, profile_type=factories.profile_type(org), expression="group == Employees")

    first = sia_import.import_organisation(org, actor="test", client=client(account_for(org, examples)))
    assert first.status == "succeeded", first
    assert first.counts["created"] == 2
    joe = SiaMember.get((SiaMember.connection == connection) & (SiaMember.sia_id == 456))
    assert (joe.site_id, joe.last_in, joe.last_out) == (7, "2024-05-01T08:30:00+01:00", "2024-05-01T17:05:00+01:00")
    assert joe.photo_url.endswith("/456.jpg") and joe.qr_codes == [{"id": 345, "contents": "ABC123DEF456"}]
    assert joe.permissions["can_pre_reg"] is True
    assert Profile.select().where(Profile.organisation == org).count() == 2

    # Joe signs in again; Ann is no longer in the group's listing: Joe's shadow follows, Ann is gone.
    later = copy.deepcopy(examples["members_page_1"])
    later["data"][0]["last_in"] = "2024-05-02T08:10:00+01:00"
    later["links"]["next"] = None
    second = sia_import.import_organisation(org, actor="test", client=client(account_for(org, examples, pages=[later])))
    assert second.status == "succeeded", second
    assert (second.counts["gone"], second.counts["unchanged"]) == (1, 1)
    assert SiaMember.get(SiaMember.sia_id == 456).last_in == "2024-05-02T08:10:00+01:00"
    assert SiaMember.get(SiaMember.sia_id == 457).gone_at is not None
    assert Profile.select().where((Profile.organisation == org) & (Profile.status == "active")).count() == 2
