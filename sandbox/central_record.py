"""What the sandbox does at sign-in: ask Central Record (Tether) whether the member may enter.

Sign In App calls `POST /api/v1/safety-check` with the bearer token Central Record issued for the
account. The sandbox does the same over HTTP: to `central_record_url` when the account has one, else
to the Tether it is mounted in, in-process through a WSGI transport, so the demo needs no server.

The token answers the safety check for every school of the connection, so it only ever goes to this
Tether: `central_record_url` may only be this Tether's own address (the root it is served at, or its
safety-check URL), checked when it is saved and again before every sign-in. Anything else is refused
in words, and the token is not sent.
"""
import datetime
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from flask import current_app

from .models import SandboxMember

SAFETY_CHECK_PATH = "/api/v1/safety-check"
IN_PROCESS_URL = "http://tether.internal"
TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@dataclass
class SignInOutcome:
    """What the iPad shows: signed in or not, the shield, and Central Record's words."""

    signed_in: bool
    message: str
    status: str | None = None
    shield: bool = False
    decision: str | None = None
    notify: bool = False
    rating_systems: list = field(default_factory=list)
    problem: bool = False  # the check itself could not be made


MAX_URL_LENGTH = 255
_DEFAULT_PORTS = {"http": 80, "https": 443}


def this_tether(url_root):
    """This Tether's own address, as a Central Record URL: the root it is served at, without the last slash."""
    return url_root.rstrip("/")


def _origin_and_path(url):
    """(scheme, host, port, path) of an http(s) URL with nothing else in it, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username or parts.password:
        return None
    if parts.query or parts.fragment:
        return None
    return parts.scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[parts.scheme], parts.path.rstrip("/")


def refusal_of_address(url, url_root):
    """None when `url` is blank or this Tether's own address (`url_root`, or its safety-check URL); else why not,
    in words."""
    if not url:
        return None
    own = this_tether(url_root)
    shown = url if len(url) <= 80 else url[:80] + "…"
    if len(url) > MAX_URL_LENGTH:
        return f"The Central Record address is {len(url)} characters long; it can only be this Tether, {own}."
    given, mine = _origin_and_path(url), _origin_and_path(own)
    if given is not None and mine is not None and given[:3] == mine[:3]:
        if given[3] in (mine[3], mine[3] + SAFETY_CHECK_PATH):
            return None
    return (
        f"The Central Record address can only be this Tether, {own} (or blank, which reaches it too): {shown} is "
        "somewhere else. The sandbox sends its safety-check token to no other address, because the token "
        "answers for every school of the connection."
    )


def _client(account):
    if account.central_record_url:
        return httpx.Client(base_url=account.central_record_url.rstrip("/"), timeout=TIMEOUT)
    transport = httpx.WSGITransport(app=current_app._get_current_object())
    return httpx.Client(base_url=IN_PROCESS_URL, transport=transport, timeout=TIMEOUT)


def _not_checked(message):
    return SignInOutcome(signed_in=False, message=message, problem=True)


def _ask_central_record(account, member, url_root):
    target = (account.central_record_url or "this Tether").rstrip("/")
    refusal = refusal_of_address(account.central_record_url, url_root)
    if refusal is not None:
        return _not_checked(
            f"{refusal} Clear the address under Central Record connection on the sandbox home page, then sign in again."
        )
    if not account.central_record_token:
        return _not_checked(
            "This Sign In App account has no Central Record token yet, so the safety check cannot be made. "
            "Create a safety-check token for the connection in Tether, then paste it under "
            "Central Record on the sandbox home page."
        )
    try:
        with _client(account) as client:
            response = client.post(
                SAFETY_CHECK_PATH,
                json={"member_id": member.id, "group_id": member.group_id},
                headers={"Authorization": f"Bearer {account.central_record_token}", "Accept": "application/json"},
            )
    except httpx.HTTPError as exc:
        return _not_checked(f"Could not reach Central Record at {target}{SAFETY_CHECK_PATH}: {exc}.")
    if response.status_code == 404:
        try:
            detail = response.json().get("message")
        except (ValueError, AttributeError):
            detail = None
        return _not_checked(
            f"Central Record at {target} answered 404: {detail}"
            if detail
            else f"Central Record at {target} has no safety check ({SAFETY_CHECK_PATH} answered 404). "
            "The safety check may not be available in this version of Tether."
        )
    if response.status_code == 401:
        return _not_checked(
            "Central Record refused this account's token (401). Create a new safety-check token for the "
            "connection in Tether and paste it under Central Record on the sandbox home page."
        )
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code != 200 or not isinstance(answer, dict):
        detail = answer.get("message") if isinstance(answer, dict) else response.text[:200]
        return _not_checked(f"Central Record answered {response.status_code}: {detail or 'no details'}.")
    return SignInOutcome(
        signed_in=answer.get("decision") == "allow",
        message=answer.get("message") or "",
        status=answer.get("status"),
        shield=bool(answer.get("shield")),
        decision=answer.get("decision"),
        notify=bool(answer.get("notify")),
        rating_systems=answer.get("rating_systems") or [],
    )


def sign_in(member, url_root):
    """Run the safety check for `member` and sign them in when Central Record allows it; `url_root` is the
    address this Tether is being reached at (the only Central Record address the token may go to)."""
    outcome = _ask_central_record(member.group.account, member, url_root)
    if outcome.signed_in:
        # `last_in` as the documented Returning Visitor Resource gives it: ISO-8601 text.
        signed_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        SandboxMember.update(status="signed_in", last_in=signed_at).where(SandboxMember.id == member.id).execute()
    return outcome
