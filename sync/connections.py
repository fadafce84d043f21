"""Sign In App connections (DESIGN §12): the one place a connection is created, changed and tested, for
the Settings → Sign In App → Connection page and `tether connections`.

A connection is a Sign In App account: its base URL, API key and secret. It belongs to the trust, so
every school of the trust syncs through it (a school outside any trust holds its own). The secret is
sealed as it is saved (`SiaConnection.new`, `set_secret`) and never shown again: changing it means
typing it again. Support creates the connection once getting started is complete (the school asked,
opened its portal to support, and the Sign In App primary user agreed).

"Test connection" asks Sign In App for its groups with the saved credentials and keeps the answer on the
connection (`tested_at`, `test_ok`, `test_message`): what is wrong in words when it fails, how many
groups it sees when it works. Which Repeat groups are linked to the school that asked is said to that
school at once (`TestResult.detail`) and not kept: a trust's connection is shown to each of its schools,
and one school's page does not name another's groups.
"""
from contextlib import nullcontext
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from connectors.sia import SiaError, client_for
from connectors.sia.client import SANDBOX_BASE_URL
from store import database, is_postgres
from store.models import AuditEvent, Organisation, SiaConnection, SiaGroup, Trust, now
from store.sealed import SecretUnreadable
from store.setup import may_create_connection

from . import group_links, mirror
from .organisations import Invalid

KINDS = ("http", "sandbox")
KIND_LABELS = {"http": "Sign In App at a web address", "sandbox": "the Sign In App sandbox in this Tether"}
MAX_BASE_URL = 300
MAX_KEY = 200
MAX_SECRET = 500
MAX_TEST_MESSAGE = 2000
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# A person is waiting for "Test connection": one attempt, and not the sync's long timeouts.
TEST_TIMEOUT_SECONDS = 10
SECRET_SAVED = "secret saved"


class NotYet(Exception):
    """A connection cannot be created for this organisation now; the message says why and what to do."""


@dataclass
class TestResult:
    ok: bool
    message: str  # what is kept on the connection: the failure in words, or how many groups it sees
    detail: str = ""  # for the school that asked: its linked Repeat groups
    groups: int = 0
    repeat_linked: list = field(default_factory=list)  # names of the Repeat groups linked to the organisation

    @property
    def said(self):
        return f"{self.message} {self.detail}".strip()


def _base_url(raw, errors):
    url = (raw or "").strip()
    if not url:
        errors["base_url"] = "Enter the Sign In App base URL: the client API's address, ending in /client-api/v1."
        return url
    if len(url) > MAX_BASE_URL:
        errors["base_url"] = f"The base URL is {len(url)} characters long; a base URL is at most {MAX_BASE_URL}."
        return url[:MAX_BASE_URL]
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port  # a port beyond 65535 raises here
    except ValueError:
        parts, host, port = None, "", None
    if parts is None or not host or port == 0 or any(c.isspace() for c in url) or parts.username is not None:
        errors["base_url"] = ("The base URL is not a web address Tether can use; enter it as Sign In App gives it: "
                              "https://, the host, and the path ending in /client-api/v1.")
    elif parts.scheme != "https" and not (parts.scheme == "http" and host in LOCAL_HOSTS):
        errors["base_url"] = ("The base URL must start with https:// (the key and secret travel with every request); "
                              "http:// is allowed only for 127.0.0.1 or localhost.")
    elif parts.query or parts.fragment:
        errors["base_url"] = "The base URL ends at its path: remove the part from ? or # on."
    else:
        url = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    return url


def _word(raw, field_name, what, most, errors, required=True):
    value = (raw or "").strip()
    if not value:
        if required:
            errors[field_name] = f"Enter the {what} Sign In App issued for Central Record."
    elif len(value) > most:
        errors[field_name] = f"The {what} is {len(value)} characters long; Tether keeps at most {most}. Check what was pasted."
    elif any(c.isspace() or not c.isprintable() for c in value):
        errors[field_name] = f"The {what} has a space or an invisible character in it; paste it again as one word."
    return value


def read_credentials(values, *, sandbox_mounted, creating):
    """{kind, base_url, api_key, secret} from a form or the command line; raises Invalid.

    `secret` is None when left blank on a change (the saved one is kept)."""
    errors = {}
    kind = values.get("kind") or "http"
    if kind not in KINDS:
        errors["kind"] = f"Choose where Sign In App is: {' or '.join(KIND_LABELS.values())}."
    elif kind == "sandbox" and not sandbox_mounted:
        errors["kind"] = ("The Sign In App sandbox is not part of this Tether (it is switched off here); "
                          "enter the real Sign In App's base URL instead.")
    base_url = SANDBOX_BASE_URL if kind == "sandbox" else _base_url(values.get("base_url"), errors)
    api_key = _word(values.get("api_key"), "api_key", "API key", MAX_KEY, errors)
    secret = _word(values.get("secret"), "secret", "secret", MAX_SECRET, errors, required=creating) or None
    if errors:
        raise Invalid(errors)
    return {"kind": kind, "base_url": base_url, "api_key": api_key, "secret": secret}


def owner_of(connection):
    """What the connection belongs to: its trust, or its school."""
    return connection.trust if connection.trust_id is not None else connection.organisation


def _view(connection):
    """A connection for the audit log: never its secret."""
    return {
        "trust_id": connection.trust_id,
        "organisation_id": connection.organisation_id,
        "kind": connection.kind,
        "base_url": connection.base_url,
        "api_key": connection.api_key,
        "wonde": connection.wonde,
    }


def _take_turns(owner):
    """Two people creating the same owner's connection at once take turns, so the second finds the first's:
    on PostgreSQL by locking the owner's row; SQLite's transactions (BEGIN IMMEDIATE) already take turns."""
    if is_postgres():
        model, owner_id = (Trust, owner["trust"]) if "trust" in owner else (Organisation, owner["organisation"])
        model.select(model.id).where(model.id == owner_id).for_update().execute()


def _create(credentials, *, actor, organisation=None, **owner):
    _take_turns(owner)
    existing = SiaConnection.get_or_none(**owner)
    if existing is not None:
        raise NotYet(f"{owner_of(existing).name} already has a Sign In App connection (connection {existing.id}); "
                     "change its base URL, key or secret instead.")
    connection = SiaConnection.new(
        kind=credentials["kind"], base_url=credentials["base_url"], api_key=credentials["api_key"],
        secret=credentials["secret"], **owner,
    )
    AuditEvent.record(
        "connection.create", actor=actor, organisation=organisation, subject=f"sia_connection:{connection.id}",
        after={**_view(connection), "secret": SECRET_SAVED},
    )
    return connection


def create_for_organisation(organisation, values, *, actor, sandbox_mounted):
    """Support creates the connection `organisation` syncs through: its trust's (its own outside a trust).

    Raises NotYet until getting started is complete, or when there is a connection already; Invalid for
    the credentials."""
    allowed, reason = may_create_connection(organisation)
    if not allowed:
        raise NotYet(f"The connection cannot be created yet: {reason}")
    credentials = read_credentials(values, sandbox_mounted=sandbox_mounted, creating=True)
    owner = {"trust": organisation.trust_id} if organisation.trust_id is not None else {"organisation": organisation.id}
    with database.atomic():
        return _create(credentials, actor=actor, organisation=organisation, **owner)


def create_for_trust(trust, values, *, actor, sandbox_mounted):
    """The trust's connection, from the command line (the server's operator, who does not wait for getting
    started); raises Invalid, or NotYet when the trust has one already."""
    credentials = read_credentials(values, sandbox_mounted=sandbox_mounted, creating=True)
    with database.atomic():
        return _create(credentials, actor=actor, trust=trust.id)


def update_credentials(connection, values, *, actor, organisation=None, sandbox_mounted):
    """Change the base URL, key and kind, and the secret when one is typed (blank keeps it); the last test
    no longer says anything about the new credentials, so it is cleared. Raises Invalid."""
    credentials = read_credentials(values, sandbox_mounted=sandbox_mounted, creating=False)
    with database.atomic():
        before = _view(connection)
        connection.kind, connection.base_url, connection.api_key = (
            credentials["kind"], credentials["base_url"], credentials["api_key"]
        )
        if credentials["secret"] is not None:
            connection.set_secret(credentials["secret"])
        changed = before != _view(connection) or credentials["secret"] is not None
        if changed:
            connection.tested_at, connection.test_ok, connection.test_message = None, None, ""
        connection.save()
        after = {**_view(connection), "secret": "re-entered" if credentials["secret"] is not None else "kept"}
        AuditEvent.record(
            "connection.update", actor=actor, organisation=organisation, subject=f"sia_connection:{connection.id}",
            before=before, after=after,
        )
    return connection


def set_wonde(connection, on, *, actor, organisation=None):
    """The set-up help's "Use SIA Wonde Connection (if available)", switched on or off."""
    with database.atomic():
        before = connection.wonde
        connection.wonde = bool(on)
        connection.save()
        AuditEvent.record(
            "connection.wonde", actor=actor, organisation=organisation, subject=f"sia_connection:{connection.id}",
            before={"wonde": before}, after={"wonde": connection.wonde},
        )
    return connection


def secret_problem(connection):
    """What is wrong with the saved secret ("re-enter the secret" when SECRET_KEY changed), or None."""
    try:
        connection.secret  # reading it is the test
    except SecretUnreadable as error:
        return str(error)
    return None


def _plural(count, word):
    return f"{count} {word}{'' if count == 1 else 's'}"


def _linked_detail(linked, organisation):
    where = organisation.name if organisation is not None else "a school"
    if linked:
        return f"{_plural(len(linked), 'Repeat group')} linked to {where}: {', '.join(linked)}."
    return (f"No Repeat group is linked to {where} yet: support links one under Linked groups on this page "
            "(or link it in Sign In App: Manage > Groups > select the group > Integrations), then test again.")


def ask_sign_in_app(connection, organisation=None, client=None):
    """Ask Sign In App for its groups with the saved credentials; a TestResult naming the Repeat groups
    Tether keeps linked. The groups read are kept in the mirror (with the links Sign In App's integration
    settings give where no one decided otherwise, sync.group_links), as a page that lists them would."""
    try:
        with nullcontext(client) if client is not None else client_for(
            connection, timeout=TEST_TIMEOUT_SECONDS, retry_delays=()
        ) as sia:
            snapshot = mirror.read_groups(sia)
    except SiaError as error:
        return TestResult(False, str(error))
    with database.atomic():
        mirror.store_groups(connection, snapshot)
    kept = SiaGroup.select(SiaGroup.sia_id).where(
        (SiaGroup.connection == connection)
        & (SiaGroup.organisation == organisation if organisation is not None else SiaGroup.organisation.is_null(False))
    )
    kept_ids = {sia_id for (sia_id,) in kept.tuples()}
    groups = snapshot.groups
    linked = [group.name for group in groups if group.is_returning and group.id in kept_ids]
    message = f"Sign In App answered with these credentials: it sees {_plural(len(groups), 'group')}."
    return TestResult(True, message, _linked_detail(linked, organisation), len(groups), linked)


def test_connection(connection, *, actor, organisation=None, client=None):
    """"Test connection": ask Sign In App, keep the answer on the connection, audit it; a TestResult."""
    result = ask_sign_in_app(connection, organisation, client)
    with database.atomic():
        connection.tested_at, connection.test_ok = now(), result.ok
        connection.test_message = result.message[:MAX_TEST_MESSAGE]
        connection.save(only=[SiaConnection.tested_at, SiaConnection.test_ok, SiaConnection.test_message])
        AuditEvent.record(
            "connection.test", actor=actor, organisation=organisation, subject=f"sia_connection:{connection.id}",
            after={"ok": result.ok, "message": connection.test_message},
        )
    return result


def linked_groups(organisation, client=None):
    """(connection, the Sign In App groups linked to `organisation`), read live from Sign In App: the
    groups Sign In App lists now that Tether keeps linked (or would take as linked from Sign In App's
    integration settings, sync.group_links); nothing written.

    Raises NotYet when the organisation has no connection, the connector's SiaError when Sign In App
    cannot answer."""
    connection = SiaConnection.for_organisation(organisation)
    if connection is None:
        raise NotYet(f"{organisation.name} (organisation {organisation.id}) has no Sign In App connection; "
                     "add one under Settings → Sign In App → Connection.")
    with nullcontext(client) if client is not None else client_for(connection) as sia:
        snapshot = mirror.read_groups(sia)
    linked = group_links.confirm(connection, snapshot.groups, organisation).linked
    return connection, [group for group in snapshot.groups if group.id in linked]
