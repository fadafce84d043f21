"""Tether's JSON API for Sign In App: `POST /api/v1/safety-check`, and `GET /api/v1/ping`.

Sign In App calls the safety check at sign-in with a bearer token Tether issued for its connection
(`Authorization: Bearer tsc_…`). No session, no CSRF token: the blueprint is exempt from CSRF and
every answer is JSON — 401 without a valid token, 413 for a body over `SIGN_IN_MAX_BODY`, 422 for a
body that is not `{member_id, group_id}` with ids in 1..2^63-1, 404 for a group the token's connection
does not have, else the §6 answer. A group the mirror has not read for five minutes (or never) is read
from Sign In App first (sync.live); when Sign In App cannot be reached the answer comes from the mirror
and its message says so.
"""
import json

import orjson
from flask import Blueprint, current_app, jsonify, request

from compliance import decision, tokens
from store.ids import InvalidId, parse_id
from sync.live import read_group_for_sign_in

from .extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

UNAUTHENTICATED = (
    "Send a safety-check token as 'Authorization: Bearer <token>'. Tokens are created, and revoked, on the "
    "Sign In App tokens page of the organisation in Tether."
)


def _error(status, message, **extra):
    return jsonify(message=message, **extra), status


# A sign-in's body is a few dozen bytes: a larger one is refused (413) before it is read.
SIGN_IN_MAX_BODY = 8 * 1024


def _json_integer(digits):
    """A JSON integer, but left as its digits when longer than any id: `int()` refuses more than 4,300
    digits, and `parse_id` refuses the digits with a message naming the field."""
    return int(digits) if len(digits) <= 20 else digits


def _json_body():
    """The request's JSON body, or None when it is not JSON."""
    if not request.is_json:
        return None
    try:
        return json.loads(request.get_data(cache=False), parse_int=_json_integer)
    except ValueError:
        return None


def _json(answer):
    """`answer` as a JSON response (orjson: the answer is on the hot path of every sign-in)."""
    return current_app.response_class(orjson.dumps(answer), mimetype="application/json")


def _bearer_secret():
    scheme, _, secret = (request.headers.get("Authorization") or "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None


def _sia_id(body, name, errors):
    if name not in body:
        errors[name] = [f"Send the {name}: the Sign In App id, a whole number, e.g. 1234."]
        return None
    try:
        return parse_id(body[name], name)
    except InvalidId as exc:
        errors[name] = [str(exc)]
        return None


def _unauthenticated():
    response, status = _error(401, UNAUTHENTICATED)
    response.headers["WWW-Authenticate"] = 'Bearer realm="Tether safety check"'
    return response, status


def _sign_in_of(body):
    """(member_id, group_id, None), or (None, None, the 422 answer) for a body that is not a sign-in."""
    if not isinstance(body, dict):
        example = 'Send a JSON object, e.g. {"member_id": 1234, "group_id": 56}.'
        return None, None, _error(422, example, errors={"body": ["Not a JSON object."]})
    errors = {}
    member_id, group_id = _sia_id(body, "member_id", errors), _sia_id(body, "group_id", errors)
    if errors:
        return None, None, _error(422, "The given data was invalid.", errors=errors)
    return member_id, group_id, None


@bp.post("/safety-check")
def safety_check():
    secret = _bearer_secret()
    if not tokens.could_be_secret(secret):
        return _unauthenticated()
    request.max_content_length = SIGN_IN_MAX_BODY
    member_id, group_id, problem = _sign_in_of(_json_body())
    if problem is not None:
        # The token still comes first: without a live one the answer is 401, whatever the body.
        return problem if tokens.authenticate(secret) is not None else _unauthenticated()
    try:
        token, answer = decision.check_sign_in_with_token(secret, member_id, group_id, read_group=read_group_for_sign_in)
    except decision.UnknownGroup as exc:
        return _error(404, str(exc))
    if token is None:
        return _unauthenticated()
    return _json(answer)


@bp.get("/ping")
def ping():
    """A trivial JSON answer: is the app up (the benchmark's baseline)."""
    return jsonify(ok=True)
