"""What the sandbox does at sign-in: ask Central Record (Tether) whether the member may enter.

Sign In App calls `POST /api/v1/safety-check` with the bearer token Central Record issued for the
account. The sandbox does the same over HTTP: to `central_record_url` when the account has one, else
to the Tether it is mounted in, in-process through a WSGI transport, so the demo needs no server.
"""
from dataclasses import dataclass, field

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


def _client(account):
    if account.central_record_url:
        return httpx.Client(base_url=account.central_record_url.rstrip("/"), timeout=TIMEOUT)
    transport = httpx.WSGITransport(app=current_app._get_current_object())
    return httpx.Client(base_url=IN_PROCESS_URL, transport=transport, timeout=TIMEOUT)


def _not_checked(message):
    return SignInOutcome(signed_in=False, message=message, problem=True)


def _ask_central_record(account, member):
    target = (account.central_record_url or "this Tether").rstrip("/")
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


def sign_in(member):
    """Run the safety check for `member` and sign them in when Central Record allows it."""
    outcome = _ask_central_record(member.group.account, member)
    if outcome.signed_in:
        SandboxMember.update(status="signed_in").where(SandboxMember.id == member.id).execute()
    return outcome
