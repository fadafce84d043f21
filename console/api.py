"""Tether's JSON API for Sign In App: `POST /api/v1/safety-check`, and `GET /api/v1/ping`.

Sign In App calls the safety check at sign-in with a bearer token Tether issued for its connection
(`Authorization: Bearer tsc_…`). No session, no CSRF token: the blueprint is exempt from CSRF and
every answer is JSON — 401 without a valid token, 422 for a body that is not `{member_id, group_id}`,
404 for a group the token's connection does not have, else the §6 answer.
"""
import orjson
from flask import Blueprint, current_app, jsonify, request

from compliance import decision, tokens

from .extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

UNAUTHENTICATED = (
    "Send a safety-check token as 'Authorization: Bearer <token>'. Tokens are created, and revoked, on the "
    "Sign In App tokens page of the organisation in Tether."
)


def _error(status, message, **extra):
    return jsonify(message=message, **extra), status


# A sign-in's body is a few dozen bytes; one this small is read straight from the server's input.
SMALL_BODY = 4096


def _json_body():
    """The request's JSON body, or None when it is not JSON (what `request.get_json(silent=True)` gives)."""
    if not request.is_json:
        return None
    length, limit = request.content_length, current_app.config.get("MAX_CONTENT_LENGTH")
    if length is not None and length <= SMALL_BODY and (limit is None or length <= limit):
        data = request.environ["wsgi.input"].read(length)
    else:  # werkzeug's stream: chunked bodies, the app's MAX_CONTENT_LENGTH
        data = request.get_data(cache=False)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


def _json(answer):
    """`answer` as a JSON response (orjson: the answer is on the hot path of every sign-in)."""
    return current_app.response_class(orjson.dumps(answer), mimetype="application/json")


def _bearer_secret():
    scheme, _, secret = (request.headers.get("Authorization") or "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None


def _sia_id(body, name, errors):
    value = body.get(name)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        errors[name] = [f"The {name} must be the Sign In App id, a whole number, e.g. 1234."]
        return None
    return value


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
    member_id, group_id, problem = _sign_in_of(_json_body())
    if problem is not None:
        # The token still comes first: without a live one the answer is 401, whatever the body.
        return problem if tokens.authenticate(secret) is not None else _unauthenticated()
    try:
        token, answer = decision.check_sign_in_with_token(secret, member_id, group_id)
    except decision.UnknownGroup as exc:
        return _error(404, str(exc))
    if token is None:
        return _unauthenticated()
    return _json(answer)


@bp.get("/ping")
def ping():
    """A trivial JSON answer: is the app up (the benchmark's baseline)."""
    return jsonify(ok=True)
