"""Settings → Sign In App → Connection, and `tether connections`: a trust's Sign In App account, its sealed
secret, "Test connection" and the Wonde toggle."""
import datetime
import json

import pytest

from sandbox.models import SandboxAccount, SandboxGroup
from store import sealed
from store.models import AuditEvent, IntegrationRequest, SiaConnection, SiaGroup, SupportGrant, now
from sync import connections, organisations, sia_import
from sync.organisations import Invalid
from tests import factories as f
from tests.sandbox import helpers as sandbox

SECRET = "plain-secret-7f3a9c"


@pytest.fixture
def school(db):
    trust = organisations.create_trust("Northgate Learning Trust", actor="test")
    return organisations.create_organisation(trust, "Oakfield Academy", "137421", actor="test")


@pytest.fixture
def account(db):
    """The trust's Sign In App (the sandbox): a linked Repeat group, a Standard one, an unlinked Repeat one."""
    owner = sandbox.account(name="Northgate SIA", key="northgate-key", secret=SECRET)
    return owner


def _link_groups(owner, school):
    sandbox.group(owner, name="Staff", organisation_id=school.id)
    sandbox.group(owner, name="Visitors", type="non-returning", organisation_id=school.id)
    sandbox.group(owner, name="Contractors")


def _get_started(org, *, requested=True, opened=True, confirmed=True):
    if requested:
        IntegrationRequest.create(
            organisation=org, requested_by="admin@oakfield.test", primary_user="Dawn Whitfield" if confirmed else None,
            confirmed_at=now() if confirmed else None, confirmation_recorded_by="support@tether.test" if confirmed else None,
        )
    if opened:
        SupportGrant.create(organisation=org, opened_by="admin@oakfield.test", until=now() + datetime.timedelta(days=14))


def _page(org):
    return f"/organisations/{org.id}/settings/sign-in-app/connection"


def _sandbox_form(secret=SECRET, key="northgate-key"):
    return {"kind": "sandbox", "api_key": key, "secret": secret}


def _raw_secrets(db):
    """The secret column as the database holds it (a CharField: read back exactly as stored)."""
    return [secret for (secret,) in SiaConnection.select(SiaConnection.api_secret).tuples()]


def _support(client):
    f.user("support@tether.test", "support")
    client.login("support@tether.test")


def test_the_connection_is_refused_until_getting_started_is_complete_saying_what_is_missing(client, school):
    _support(client)
    # Without support access the page is not support's to see at all (404); with it, what is missing is said.
    IntegrationRequest.delete().execute()
    _get_started(school, opened=False)
    assert client.get(_page(school)).status_code == 404
    assert client.post(_page(school) + "/create", data=_sandbox_form()).status_code == 404
    steps = [
        ({"requested": False}, "Oakfield Academy has not requested the integration yet"),
        ({"confirmed": False}, "The Sign In App Primary User&#39;s confirmation is not recorded yet"),
    ]
    for done, missing in steps:
        IntegrationRequest.delete().execute()
        SupportGrant.delete().execute()
        _get_started(school, **done)
        assert missing in client.get(_page(school)).get_data(as_text=True)
        refused = client.post(_page(school) + "/create", data=_sandbox_form())
        assert refused.status_code == 422
        assert "The connection cannot be created yet: " + missing in refused.get_data(as_text=True)
    assert SiaConnection.select().count() == 0

    SupportGrant.create(organisation=school, opened_by="admin@oakfield.test", until=now() + datetime.timedelta(days=1))
    IntegrationRequest.update(confirmed_at=now(), primary_user="Dawn Whitfield").execute()
    assert client.post(_page(school) + "/create", data=_sandbox_form()).status_code == 303
    assert SiaConnection.get().trust_id == school.trust_id  # the trust's, for every school of it


def test_a_connection_made_in_the_console_keeps_its_secret_sealed_and_never_shows_it(client, school, db):
    _support(client)
    _get_started(school)
    client.post(_page(school) + "/create", data=_sandbox_form())

    stored = _raw_secrets(db)
    assert len(stored) == 1 and SECRET not in stored[0] and sealed.is_sealed(stored[0])
    assert SiaConnection.get().secret == SECRET
    page = client.get(_page(school)).get_data(as_text=True)
    assert SECRET not in page and "secret saved" in page and "northgate-key" in page
    assert "the Sign In App sandbox in this Tether" in page
    created = AuditEvent.get(AuditEvent.action == "connection.create")
    assert SECRET not in json.dumps(created.after) and created.after["secret"] == "secret saved"

    # A change that leaves the secret blank keeps it; one that types it again seals the new one.
    client.post(_page(school) + "/credentials", data=_sandbox_form(secret="", key="new-key"))
    assert (SiaConnection.get().api_key, SiaConnection.get().secret) == ("new-key", SECRET)
    client.post(_page(school) + "/credentials", data=_sandbox_form(secret="another-plain-secret"))
    assert "another-plain-secret" not in _raw_secrets(db)[0] and SiaConnection.get().secret == "another-plain-secret"


def test_test_connection_says_how_many_groups_it_sees_and_which_repeat_groups_are_linked(client, school, account):
    _support(client)
    _get_started(school)
    _link_groups(account, school)
    client.post(_page(school) + "/create", data=_sandbox_form())

    fragment = client.post(_page(school) + "/test", headers={"HX-Request": "true", "HX-Target": "connection-test"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert "Working" in body and "Sign In App answered with these credentials: it sees 3 groups." in body
    assert "1 Repeat group linked to Oakfield Academy: Staff." in body
    connection = SiaConnection.get()
    assert connection.test_ok is True and connection.tested_at is not None
    assert AuditEvent.get(AuditEvent.action == "connection.test").after["ok"] is True

    # Without JavaScript the page comes back with the same words.
    page = client.post(_page(school) + "/test", follow_redirects=True).get_data(as_text=True)
    assert "it sees 3 groups." in page and "1 Repeat group linked to Oakfield Academy: Staff." in page

    # The trust's other school sees the last test on the shared connection, not Oakfield's groups.
    sibling = organisations.create_organisation(school.trust, "Riverside Primary", None, actor="test")
    f.user("admin@riverside.test", "admin", [sibling])
    client.switch_to("admin@riverside.test")
    shared = client.get(_page(sibling)).get_data(as_text=True)
    assert "it sees 3 groups." in shared and "Oakfield" not in shared and "Staff" not in shared


def test_test_connection_with_a_wrong_secret_says_the_key_and_secret_were_rejected(client, school, account):
    _support(client)
    _get_started(school)
    client.post(_page(school) + "/create", data=_sandbox_form(secret="not-the-secret"))

    response = client.post(_page(school) + "/test", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "Not working" in body
    assert "Sign In App rejected the API key and secret for connection" in body
    assert "Check the key and secret under Settings → Sign In App → Connection" in body
    assert SiaConnection.get().test_ok is False

    # Typing the right secret clears the failed test: it said nothing about the new credentials.
    client.post(_page(school) + "/credentials", data=_sandbox_form())
    assert "Not tested since these credentials were saved." in client.get(_page(school)).get_data(as_text=True)


def test_a_changed_secret_key_asks_to_re_enter_the_secret_on_the_page_the_test_and_a_sync_run(app, client, school, account):
    _support(client)
    _get_started(school)
    client.post(_page(school) + "/create", data=_sandbox_form())
    reenter = "Re-enter the secret at Settings → Sign In App → Connection."
    sealed.use_key("the SECRET_KEY after a redeploy")
    try:
        page = client.get(_page(school))
        assert page.status_code == 200 and reenter in page.get_data(as_text=True)
        tested = client.post(_page(school) + "/test", follow_redirects=True).get_data(as_text=True)
        assert "Not working" in tested and reenter in tested
        with app.app_context():
            run = sia_import.import_organisation(school, actor="test")
        assert run.status == "failed" and reenter in run.message and "Nothing was changed." in run.message

        client.post(_page(school) + "/credentials", data=_sandbox_form())
        assert "secret saved" in client.get(_page(school)).get_data(as_text=True)
        assert client.post(_page(school) + "/test", follow_redirects=True).get_data(as_text=True).count("Working") == 1
    finally:
        sealed.use_key("test-secret")


def test_a_school_admin_saves_use_sia_wonde_connection(client, school):
    f.connection(trust=school.trust, api_key="northgate-key")
    f.user("admin@oakfield.test", "admin", [school])
    client.login("admin@oakfield.test")
    page = client.get(_page(school)).get_data(as_text=True)
    assert "Use SIA Wonde Connection (if available)" in page and ">Save</button>" in page
    assert "Change the base URL" not in page  # credentials are support's

    response = client.post(_page(school) + "/wonde", data={"wonde": "on"}, follow_redirects=True)
    assert "Saved: Use SIA Wonde Connection (if available) is on." in response.get_data(as_text=True)
    assert SiaConnection.get().wonde is True
    client.post(_page(school) + "/wonde", data={})
    assert SiaConnection.get().wonde is False
    assert [e.after for e in AuditEvent.select().where(AuditEvent.action == "connection.wonde")] == [
        {"wonde": True}, {"wonde": False}
    ]


@pytest.mark.parametrize("url, refused", [
    ("https://sia.example.test/client-api/v1/", None),
    ("http://127.0.0.1:5000/sandbox/client-api/v1", None),
    ("http://localhost/client-api/v1", None),
    ("http://sia.example.test/client-api/v1", "must start with https://"),
    ("ftp://sia.example.test/", "must start with https://"),
    ("https://sia.example.test/v1?key=1", "remove the part from ? or #"),
    ("https://user:pw@sia.example.test/v1", "not a web address Tether can use"),
    ("https://sia.example.test:99999/v1", "not a web address Tether can use"),
    ("https:///client-api/v1", "not a web address Tether can use"),
    ("https://sia.example.test/" + "a" * 300, "a base URL is at most 300"),
    ("", "Enter the Sign In App base URL"),
])
def test_the_base_url_is_https_or_local_http_and_bounded(url, refused):
    values = {"kind": "http", "base_url": url, "api_key": "key", "secret": "secret"}
    if refused is None:
        assert connections.read_credentials(values, sandbox_mounted=False, creating=True)["base_url"] == url.rstrip("/")
    else:
        with pytest.raises(Invalid) as raised:
            connections.read_credentials(values, sandbox_mounted=False, creating=True)
        assert refused in raised.value.errors["base_url"]


def test_the_sandbox_is_no_choice_where_it_is_not_mounted():
    with pytest.raises(Invalid) as raised:
        connections.read_credentials({"kind": "sandbox", "api_key": "k", "secret": "s"}, sandbox_mounted=False, creating=True)
    assert "The Sign In App sandbox is not part of this Tether" in raised.value.errors["kind"]


def test_connections_cli_creates_lists_tests_and_shows_the_groups_ids(runner, school, account, db):
    _link_groups(account, school)
    created = runner.invoke(args=["connections", "create", "--trust", str(school.trust_id), "--kind", "sandbox",
                                  "--key", "northgate-key", "--secret", SECRET, "--json"])
    assert created.exit_code == 0, created.output
    connection_id = json.loads(created.stdout)["id"]
    assert SECRET not in _raw_secrets(db)[0]

    listed = json.loads(runner.invoke(args=["connections", "list", "--json"]).stdout)["connections"]
    assert [(c["id"], c["trust_id"], c["kind"], c["test_ok"]) for c in listed] == [(connection_id, school.trust_id,
                                                                                    "sandbox", None)]
    tested = runner.invoke(args=["connections", "test", str(connection_id)])
    assert tested.exit_code == 0 and "it sees 3 groups. 1 Repeat group linked to a school: Staff." in tested.stdout

    groups = runner.invoke(args=["sync", "groups", "--org", str(school.id), "--json"])
    assert groups.exit_code == 0, groups.output
    linked = json.loads(groups.stdout)["groups"]
    assert [(g["name"], g["repeat"]) for g in linked] == [("Staff", True)]  # Repeat groups only sync
    assert linked[0]["id"] == SandboxGroup.get(SandboxGroup.name == "Staff").id  # Sign In App's own id
    assert runner.invoke(args=["tokens", "create", "--connection", str(connection_id)]).exit_code == 0

    SandboxAccount.update(api_secret="rotated-in-sign-in-app").execute()
    failed = runner.invoke(args=["connections", "test", str(connection_id)])
    assert failed.exit_code == 1 and "rejected the API key and secret" in failed.stderr

    again = runner.invoke(args=["connections", "create", "--trust", str(school.trust_id), "--base-url",
                                "http://sia.example.test/v1", "--key", "k", "--secret", "s"])
    assert again.exit_code == 2 and "must start with https://" in again.stderr


def test_support_links_a_repeat_group_on_the_connection_page_and_admins_see_the_links(client, school, account):
    _support(client)
    _get_started(school)
    staff = sandbox.group(account, name="Staff")  # not linked in Sign In App
    sandbox.group(account, name="Visitors", type="non-returning")
    client.post(_page(school) + "/create", data=_sandbox_form())

    page = client.get(_page(school)).get_data(as_text=True)
    assert "Linked groups" in page and f"(group {staff.id})" in page and "Visitors" not in page  # Repeat only
    saved = client.post(_page(school) + "/groups", data={"group": staff.id, "shown": staff.id}, follow_redirects=True)
    assert "Saved: linked Staff. Run the import to sync them." in saved.get_data(as_text=True)
    assert [g.name for g in SiaGroup.synced_for(school)] == ["Staff"]
    linked = AuditEvent.get(AuditEvent.action == "sia_group.link")
    assert linked.actor == "support@tether.test" and linked.after["sia_group_id"] == staff.id and linked.grant_id

    refused = client.post(_page(school) + "/groups", data={"group": "1e3", "shown": staff.id})
    assert refused.status_code == 422
    assert "Nothing was changed: The Sign In App group id must be a whole number" in refused.get_data(as_text=True)

    f.user("admin@oakfield.test", "admin", [school])
    client.switch_to("admin@oakfield.test")
    seen = client.get(_page(school)).get_data(as_text=True)
    assert "linked by support@tether.test" in seen and "Save linked groups" not in seen
    assert client.post(_page(school) + "/groups", data={"shown": staff.id}).status_code == 403

    client.switch_to("support@tether.test")
    client.post(_page(school) + "/groups", data={"shown": staff.id})  # nothing ticked: Staff is unlinked
    assert list(SiaGroup.synced_for(school)) == [] and AuditEvent.get(AuditEvent.action == "sia_group.unlink")


def test_connections_groups_cli_lists_links_and_unlinks_a_schools_groups(runner, school, account):
    _link_groups(account, school)
    contractors = SandboxGroup.get(SandboxGroup.name == "Contractors")
    f.connection(trust=school.trust, api_key="northgate-key", api_secret=SECRET)

    listed = runner.invoke(args=["connections", "groups", "--org", str(school.id), "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {row["name"]: row for row in json.loads(listed.stdout)["groups"]}
    assert set(rows) == {"Staff", "Contractors"} and rows["Staff"]["linked"] and not rows["Contractors"]["linked"]
    assert rows["Staff"]["sign_in_app_says"] == "linked to Oakfield Academy"

    changed = runner.invoke(args=["connections", "groups", "--org", str(school.id), "--link", str(contractors.id),
                                  "--unlink", str(rows["Staff"]["id"]), "--json"])
    answer = json.loads(changed.stdout)
    assert (answer["linked_now"], answer["unlinked_now"]) == (["Contractors"], ["Staff"])
    assert [g.name for g in SiaGroup.synced_for(school)] == ["Contractors"]

    refused = runner.invoke(args=["connections", "groups", "--org", str(school.id), "--link", "424242"])
    assert refused.exit_code == 2 and "nothing was changed: Sign In App group 424242 is not one of the groups" in refused.stderr
