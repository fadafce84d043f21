"""The Sign In App client API over HTTP (DESIGN §3): `SiaClient` implements `SiaSource`.

Every request sends `Accept` and `Content-Type: application/json`: without them the real API answers
with a redirect (302). Timeouts on every call; retries with exponential backoff on 5xx answers and on
timeouts and connection failures, never on a 4xx answer (asking again would get the same answer).
Creating a member is not idempotent, so it is retried only when the request cannot have reached Sign
In App. A 429 (or a 503 with `Retry-After`) is Sign In App asking us to slow down: the request is
asked again after the time it gives, until `MAX_THROTTLED_SECONDS` have been waited in all.
Every failure is a `SiaError` whose message says what happened, to which connection and URL, and
what a support engineer can do next.

Member pages are read conditionally when the caller remembers them (`members(group_id, memory)`,
DESIGN §3): a remembered page is asked for with `If-None-Match: <its ETag>`, and a 304 answer costs
no body and no parsing; its members come from the memory. A 200 is read as usual, so a Sign In App
that ignores `If-None-Match` costs only the full read it always did.

`client_for(connection)` picks the transport: the network for a real connection, or the sandbox
mounted in this Tether, in-process through `httpx.WSGITransport`, for a `sandbox` connection. This
module knows no Flask: the app that mounts the sandbox hands itself over with `serve_sandbox_from(app)`.
"""
import datetime
import email.utils
import http.cookiejar
import time

import httpx
import orjson

from store.sealed import SecretUnreadable

from .protocol import Group, Member, PageRead, PersonalField, PortalUser

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
RETRY_DELAYS = (0.5, 1.0, 2.0)  # seconds before each retry; three retries after the first attempt
MAX_THROTTLED_SECONDS = 60  # the most one request waits in all when Sign In App asks us to slow down
SANDBOX_BASE_URL = "http://sandbox.internal/sandbox/client-api/v1"
CONNECTION_SETTINGS = "Settings → Sign In App → Connection"

_sandbox_app = None  # the WSGI app that mounts the sandbox in this process, if one does


class SiaError(Exception):
    """Sign In App could not do what was asked; `status` is the HTTP status when there was an answer."""

    def __init__(self, message, *, url=None, status=None):
        super().__init__(message)
        self.url = url
        self.status = status


class SiaAuthError(SiaError):
    """The API key and secret were refused (401)."""


class SiaNotFound(SiaError):
    """No such group or member in this account (404)."""


class SiaRejected(SiaError):
    """Sign In App refused the data sent (422); `errors` maps each field to what is wrong with it."""

    def __init__(self, message, *, errors=None, **kwargs):
        super().__init__(message, **kwargs)
        self.errors = errors or {}


class SiaThrottled(SiaError):
    """Sign In App kept asking us to slow down (429, or 503 with Retry-After) for longer than we wait."""


class SiaSecretUnreadable(SiaError):
    """The connection's secret cannot be read (SECRET_KEY changed since it was saved): re-enter it."""


class SiaUnreachable(SiaError):
    """No usable answer after every attempt: connection failures, timeouts or server errors."""

    def __init__(self, message, *, attempts, **kwargs):
        super().__init__(message, **kwargs)
        self.attempts = attempts


def _describe_failure(exc, timeout):
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timed out connecting after {timeout.connect:g} s"
    if isinstance(exc, httpx.ReadTimeout):
        return f"timed out after {timeout.read:g} s waiting for the answer"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect ({exc})"
    return f"the connection failed ({type(exc).__name__}: {exc})"


def _retry_after(response):
    """Seconds Sign In App asks us to wait before asking again (at least 1), or None when it does not ask:
    a 429, or a 503 with a `Retry-After` of seconds or an HTTP date."""
    if response.status_code not in (429, 503):
        return None
    value = response.headers.get("Retry-After", "").strip()
    if value.isascii() and value.isdigit():
        seconds = float(value[:6])
    elif value:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            moment = None
        seconds = (moment - datetime.datetime.now(datetime.timezone.utc)).total_seconds() if moment and moment.tzinfo else 1.0
    elif response.status_code == 429:
        seconds = 1.0
    else:
        return None  # a 503 that does not say when: an ordinary server error, retried with backoff
    return max(1.0, seconds)


def _json_object(response):
    """The answer's JSON object, or {} when it has none."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _server_message(response):
    return str(_json_object(response).get("message") or "")


class _NoCookies(http.cookiejar.CookieJar):
    """The client API is stateless (Basic auth on every request): cookies are neither kept nor sent. Keeping
    them cost every answer a parse of its headers into an email message, a sync reads dozens of pages."""

    def extract_cookies(self, response, request):
        pass


class SiaClient:
    """One Sign In App account reached over HTTP. Use as a context manager, or call `close()`."""

    def __init__(
        self,
        base_url,
        key,
        secret,
        *,
        name="Sign In App",
        timeout=DEFAULT_TIMEOUT,
        retry_delays=RETRY_DELAYS,
        sleep=time.sleep,
        transport=None,
        max_throttled=MAX_THROTTLED_SECONDS,
    ):
        self.name = name
        # Seconds one request may wait in all when Sign In App asks us to slow down (0: not at all, for a
        # person or a sign-in waiting on the answer).
        self.max_throttled = max_throttled
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry_delays = tuple(retry_delays)
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=(key, secret),
            headers={"Accept": "application/json", "Content-Type": "application/json", "User-Agent": "Tether SIA connector"},
            timeout=self.timeout,
            transport=transport,
            follow_redirects=False,
            cookies=_NoCookies(),
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        self._http.close()

    # -- SiaSource -------------------------------------------------------------------------------

    def list_groups(self):
        return [Group.from_json(item) for item in self._expect(self._request("GET", "/groups"), list, "groups")]

    def group(self, group_id):
        return Group.from_json(self._expect(self._request("GET", f"/groups/{group_id}"), dict, "group"))

    def members(self, group_id, memory=None):
        page = 1
        while True:
            path = f"/groups/{group_id}/members?page={page}"
            members, read = self._unchanged_page(path, memory)
            if members is None:
                members, read = self._read_page(group_id, path)
            if memory is not None and read.etag:
                memory.read(read)
            yield from members
            if not members or not read.has_next:
                return
            page += 1

    def _read_page(self, group_id, path):
        """(members, PageRead) of the page at `path`, read in full; its etag is None when it has none."""
        response = self._send("GET", path)
        body = self._expect(self._decode(response), dict, "members page")
        data = self._expect(body.get("data"), list, "members page data")
        members = [Member.from_json(item) for item in data]
        has_next = bool((body.get("links") or {}).get("next"))
        etag = response.headers.get("ETag")
        return members, PageRead(group_id, path, etag, tuple(member.id for member in members), has_next)

    def _unchanged_page(self, path, memory):
        """(members, PageRead) of the remembered page at `path` when Sign In App says it is unchanged
        (304) and the memory can give its members; (None, None) when it must be read in full."""
        known = memory.last_read(path) if memory is not None else None
        if known is None:
            return None, None
        response = self._send("GET", path, headers={"If-None-Match": known.etag})
        if response.status_code != 304:
            return None, None
        members = memory.members_of(known)
        return (members, known) if members is not None else (None, None)

    def member(self, member_id):
        return Member.from_json(self._expect(self._request("GET", f"/members/{member_id}"), dict, "member"))

    def create_member(self, group_id, personal_fields):
        body = self._request(
            "POST", f"/groups/{group_id}/members", json={"personal_fields": personal_fields}, idempotent=False
        )
        return Member.from_json(self._expect(body, dict, "new member"))

    def update_member(self, member_id, fields):
        body = self._request("PATCH", f"/members/{member_id}", json={"personal_fields": fields})
        return Member.from_json(self._expect(body, dict, "member"))

    def portal_users(self):
        body = self._expect(self._request("GET", "/portal-users"), list, "portal users")
        return [PortalUser.from_json(item) for item in body]

    def personal_fields(self):
        """The custom personal field definitions (partner assumption, DESIGN §3), or None when this Sign In
        App has no such endpoint (404): labels are then unknown and rules name custom fields by key."""
        try:
            body = self._request("GET", "/personal-fields")
        except SiaNotFound:
            return None
        items = self._expect(body, list, "personal fields list")
        return [PersonalField.from_json(item) for item in items if isinstance(item, dict) and item.get("key")]

    # -- transport -------------------------------------------------------------------------------

    def _request(self, method, path, *, params=None, json=None, idempotent=True):
        """The decoded JSON answer, after retrying what is worth retrying."""
        return self._decode(self._send(method, path, params=params, json=json, idempotent=idempotent))

    def _send(self, method, path, *, params=None, json=None, idempotent=True, headers=None):
        """The answer (below 500), after retrying what is worth retrying; SiaUnreachable or SiaThrottled."""
        url = f"{self.base_url}{path}"
        started = time.monotonic()
        failures = []
        delays = iter(self.retry_delays)
        throttled = 0.0  # seconds waited because Sign In App asked us to
        while True:
            try:
                response = self._http.request(method, path, params=params, json=json, headers=headers)
            except httpx.TransportError as exc:
                failures.append(_describe_failure(exc, self.timeout))
                # A request that never connected cannot have created anything, so even a push may retry it.
                retryable = idempotent or isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
            else:
                wait = _retry_after(response)
                if wait is not None:  # not done, so safe to ask again, a push included
                    if throttled + wait > self.max_throttled:
                        raise self._throttled(method, url, response.status_code, throttled, wait)
                    throttled += wait
                    self._sleep(wait)
                    continue
                if response.status_code < 500:
                    return response
                message = _server_message(response)
                failures.append(f"answered {response.status_code}" + (f" ({message})" if message else ""))
                retryable = idempotent
            delay = next(delays, None)
            if delay is None or not retryable:
                break
            self._sleep(delay)
        raise self._unreachable(method, url, failures, time.monotonic() - started)

    def _throttled(self, method, url, status, waited, asked):
        return SiaThrottled(
            f"Sign In App asked us to slow down ({status}) at {url} for connection '{self.name}' ({method}): "
            f"we waited {waited:.0f} s in all and it then asked for {asked:.0f} s more, beyond the "
            f"{self.max_throttled} s a request waits. The next sync will try again; if this repeats, ask "
            "Sign In App about the account's API limits.",
            url=url,
            status=status,
        )

    def _unreachable(self, method, url, failures, elapsed):
        attempts = len(failures)
        tried = f"{attempts} attempt{'s' if attempts != 1 else ''} over {elapsed:.1f} s"
        return SiaUnreachable(
            f"Could not get an answer from Sign In App at {url} for connection '{self.name}' "
            f"({method}, {tried}; last: {failures[-1]}). Check the base URL under {CONNECTION_SETTINGS} "
            "and that Sign In App is up; the next sync will try again.",
            url=url,
            attempts=attempts,
        )

    def _decode(self, response):
        url = str(response.request.url)
        status = response.status_code
        if status == 401:
            raise SiaAuthError(
                f"Sign In App rejected the API key and secret for connection '{self.name}' (401). "
                f"Check the key and secret under {CONNECTION_SETTINGS}, or ask the school to issue new ones.",
                url=url,
                status=status,
            )
        if status < 300:
            return self._json(response, url, status)
        message = _server_message(response)
        if status == 404:
            raise SiaNotFound(
                f"Sign In App has no such record at {url} for connection '{self.name}' (404)"
                + (f": {message}" if message else ".")
                + " It may have been deleted in Sign In App, or belong to another account.",
                url=url,
                status=status,
            )
        if status == 422:
            errors = _json_object(response).get("errors") or {}
            details = "; ".join(
                f"{field}: {problems if isinstance(problems, str) else ' '.join(map(str, problems))}"
                for field, problems in errors.items()
            )
            raise SiaRejected(
                f"Sign In App refused the data sent to {url} for connection '{self.name}' (422)"
                + (f": {details}" if details else f": {message}"),
                url=url,
                status=status,
                errors=errors,
            )
        if 300 <= status < 400:
            location = response.headers.get("Location", "somewhere else")
            raise SiaError(
                f"Sign In App answered with a redirect ({status}, to {location}) at {url} for connection "
                f"'{self.name}': check the base URL under {CONNECTION_SETTINGS} (the client API, ending in "
                "/client-api/v1) and that the API client is enabled in Sign In App.",
                url=url,
                status=status,
            )
        if status >= 400:
            raise SiaError(
                f"Sign In App refused {response.request.method} {url} for connection '{self.name}' ({status})"
                + (f": {message}" if message else "."),
                url=url,
                status=status,
            )
        return self._json(response, url, status)

    def _json(self, response, url, status):
        try:
            return orjson.loads(response.content)  # a sync decodes every member page: orjson, not json
        except ValueError:
            raise SiaError(
                f"Sign In App at {url} answered with something that is not JSON, for connection '{self.name}'. "
                f"The base URL under {CONNECTION_SETTINGS} should be the client API, ending in /client-api/v1.",
                url=url,
                status=status,
            ) from None

    def _expect(self, value, kind, what):
        if not isinstance(value, kind):
            raise SiaError(
                f"Sign In App answered for connection '{self.name}' with a {what} this version of Tether "
                f"does not understand (expected a JSON {'list' if kind is list else 'object'})."
            )
        return value


def connection_label(connection):
    """How messages name a connection: its own name, with its school or trust when it has the default."""
    if connection.name and connection.name != "Sign In App":
        return connection.name
    owner = connection.trust if connection.trust_id is not None else connection.organisation
    return f"Sign In App ({owner.name})" if owner is not None else "Sign In App"


def serve_sandbox_from(wsgi_app):
    """Reach `sandbox` connections in-process through `wsgi_app`, the app that mounts the sandbox."""
    global _sandbox_app
    _sandbox_app = wsgi_app


def sandbox_served_from():
    """The app `serve_sandbox_from` last named (None in a process that built none)."""
    return _sandbox_app


def client_for(connection, wsgi_app=None, **options):
    """A `SiaClient` for a SiaConnection: over the network, or in-process for the sandbox (through
    `wsgi_app`, else the app that `serve_sandbox_from` named).

    A secret sealed under another SECRET_KEY is a `SiaSecretUnreadable`, a `SiaError` like every other
    reason Sign In App cannot be asked, so each caller (import, push, test) says it in words and goes on."""
    label = connection_label(connection)
    try:
        secret = connection.secret
    except SecretUnreadable as exc:
        raise SiaSecretUnreadable(str(exc)) from None
    if connection.kind == "sandbox":
        wsgi_app = wsgi_app or _sandbox_app
        if wsgi_app is None:
            raise SiaError(
                f"Connection '{label}' is the Sign In App sandbox, which runs inside Tether, and this Tether does "
                "not mount it (TETHER_SANDBOX=off, or no Tether app in this process). Turn the sandbox on for a "
                f"demo, or give the connection a real Sign In App's base URL, key and secret under {CONNECTION_SETTINGS}."
            )
        transport = httpx.WSGITransport(app=wsgi_app)
        return SiaClient(
            SANDBOX_BASE_URL, connection.api_key, secret, name=label, transport=transport, **options
        )
    return SiaClient(connection.base_url, connection.api_key, secret, name=label, **options)
