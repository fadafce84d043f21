"""The sandbox's client API: docs/design.md §3, modelled on Sign In App's public `/client-api/v1`.

Two parts, kept apart below:

- **Documented** (§3.1): `GET /groups` (`[{id, name, type}]`) and `GET /groups/{id}/members` (the
  `{links, meta, data}` envelope, 200 a page, each member a Returning Visitor Resource with exactly the
  documented keys). Every request needs both `Content-Type: application/json` and `Accept:
  application/json` (without them the real API answers 302, so this one redirects too) and HTTP Basic
  auth with the account's API key and secret (401 otherwise). An id that is not the account's is 404.
  The docs promise no error body; ours is `{"message": …}`.
- **Partner integration** (§3.2, Tether's assumption, not in the public docs): `GET /groups/{id}` with
  `integrations` and `sign_in_options`, member reads and writes (`GET`/`PATCH /members/{id}`, `POST
  /groups/{id}/members`, with `errors` by field on 422), `GET /portal-users` and `GET /personal-fields`
  (the account's custom field definitions). A members page's
  `ETag` and the 304 to `If-None-Match` are our assumption too (§3.2).

An account sees only its own groups, members and portal users. An archived member is left out of its
group's listing (the documented resource has no `archived`): to Tether it is gone.
"""
import hashlib
import json
import math
import re

from flask import Blueprint, current_app, g, jsonify, redirect, request, url_for
from werkzeug.exceptions import HTTPException

from store.db import database

from .models import SandboxAccount, SandboxGroup, SandboxMember, SandboxPersonalField, SandboxPortalUser, mis_iso, now

API_PATH = "/client-api/v1"
PER_PAGE = 200
FIELD_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_FIELD_LENGTH = 255

api_bp = Blueprint("sandbox_api", __name__)


class Invalid(Exception):
    """Input the API refuses with 422; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors):
        super().__init__("The given data was invalid.")
        self.errors = errors


def error(status, message, **extra):
    return jsonify(message=message, **extra), status


@api_bp.errorhandler(Invalid)
def invalid(exc):
    return error(422, str(exc), errors=exc.errors)


@api_bp.errorhandler(HTTPException)
def http_error(exc):
    return error(exc.code, exc.description)


@api_bp.errorhandler(Exception)
def server_error(exc):
    current_app.logger.exception("Sandbox API error on %s %s", request.method, request.path)
    return error(500, "Server error.")


def _accepts_json():
    """Only an explicit `application/json`: a wildcard `*/*` is what a browser sends, not an API client."""
    return any(mimetype == "application/json" and quality > 0 for mimetype, quality in request.accept_mimetypes)


def _says_json():
    """`Content-Type: application/json`, which the docs require on every request, a GET included."""
    return request.mimetype == "application/json"


@api_bp.before_request
def authenticate():
    if not (_accepts_json() and _says_json()):
        return redirect(url_for("sandbox_ui.index"))
    auth = request.authorization
    account = None
    if auth is not None and auth.type == "basic":
        account = SandboxAccount.authenticate(auth.username, auth.password)
    if account is None:
        response, status = error(401, "Unauthenticated.")
        response.headers["WWW-Authenticate"] = 'Basic realm="Sign In App client API"'
        return response, status
    g.sandbox_account = account


def _group_or_404(group_id):
    group = SandboxGroup.get_or_none((SandboxGroup.id == group_id) & (SandboxGroup.account == g.sandbox_account))
    if group is None:
        return None, error(404, f"No group with id {group_id} in this account.")
    return group, None


def _member_or_404(member_id):
    member = SandboxMember.of_account(g.sandbox_account).where(SandboxMember.id == member_id).first()
    if member is None:
        return None, error(404, f"No member with id {member_id} in this account.")
    return member, None


# -- documented: the shapes of docs/design.md §3.1 -------------------------------------------------


def group_summary(group):
    return {"id": group.id, "name": group.name, "type": group.type}


def member_json(member):
    """A Returning Visitor Resource, with the documented keys in the documented order (optional ones null)."""
    return {
        "id": member.id,
        "group_id": member.group_id,
        "site_id": member.site_id,
        "qr_codes": member.qr_codes or [],
        "personal_fields": member.personal_fields or {},
        "photo_url": member.photo_url,
        "last_in": member.last_in,
        "last_out": member.last_out,
        "status": member.status,
        "permissions": member.permissions or {},
        # Partner data (docs/design.md §3.2): MIS data through Wonde, only for a group with "MIS sync (Wonde)".
        **({"mis": member.mis()} if member.group.mis_sync else {}),
    }


# A page of members is read as rows, the JSON fields as the text they are stored as, and the page is
# written out around that text: building a model per member and decoding and re-encoding its fields
# cost more than the rest of the request, and the sync reads every page on each run.
PAGE_COLUMNS = (
    SandboxMember.id, SandboxMember.group, SandboxMember.site_id, SandboxMember.qr_codes.cast("TEXT"),
    SandboxMember.personal_fields.cast("TEXT"), SandboxMember.photo_url, SandboxMember.last_in,
    SandboxMember.last_out, SandboxMember.status, SandboxMember.permissions.cast("TEXT"),
    SandboxMember.mis_date_of_birth, SandboxMember.mis_start_date, SandboxMember.mis_leaving_date,
)
_STATUS_JSON = {status: json.dumps(status) for status in ("signed_out", "signed_in", "unknown")}


def _text(value):
    return "null" if value is None else json.dumps(value)


def _member_text(member_id, group_id, site_id, qr_codes, personal_fields, photo_url, last_in, last_out, status,
                 permissions, date_of_birth=None, start_date=None, leaving_date=None, *, mis=False):
    """One member of a page as JSON text, equal to `json.dumps(member_json(member))` decoded; `mis`: the
    group has "MIS sync (Wonde)", so the member carries its MIS data (partner data, §3.2)."""
    mis_text = ""
    if mis:
        dates = {"date_of_birth": mis_iso(date_of_birth), "start_date": mis_iso(start_date),
                 "leaving_date": mis_iso(leaving_date)}
        mis_text = f',"mis":{json.dumps(dates)}'
    return (
        f'{{"id":{int(member_id)},"group_id":{int(group_id)},'
        f'"site_id":{"null" if site_id is None else int(site_id)},"qr_codes":{qr_codes or "[]"},'
        f'"personal_fields":{personal_fields or "{}"},"photo_url":{_text(photo_url)},'
        f'"last_in":{_text(last_in)},"last_out":{_text(last_out)},'
        f'"status":{_STATUS_JSON.get(status) or json.dumps(status)},"permissions":{permissions or "{}"}{mis_text}}}'
    )


def _listed(group_id):
    """The members a group's listing shows: not archived, in id order."""
    return (SandboxMember.group == group_id) & (SandboxMember.archived == False)  # noqa: E712


def _page_etag(group_id, page, total, path, mis=False):
    """A strong validator of a members page: a hash of everything the page says, read without building
    it (its members' stored columns as text, the total, where it is, and whether it carries MIS data),
    so a 304 costs one small query. The rows are hashed as the database driver gives them: no value needs
    converting to be compared."""
    query = (
        SandboxMember.select(*PAGE_COLUMNS)
        .where(_listed(group_id))
        .order_by(SandboxMember.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    rows = database.execute(query).fetchall()
    return hashlib.blake2b(repr((path, page, total, mis, rows)).encode(), digest_size=16).hexdigest()


# What the partner integration's writes send (§3.2) is checked by these three.


def _json_body():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid({"body": ["Send a JSON object, e.g. {\"personal_fields\": {\"name\": \"Ann Lee\"}}."]})
    return body


def check_personal_fields(fields, *, creating):
    """The errors in `fields` (a partial update when not `creating`); empty when they are fine."""
    if not isinstance(fields, dict):
        return {"personal_fields": ["The personal fields must be an object of field name to value."]}
    errors = {}
    for key, value in fields.items():
        label = f"personal_fields.{key}"
        if not FIELD_KEY.match(str(key)):
            errors[label] = ["A field name is a letter followed by letters, digits or underscores (at most 64)."]
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            errors[label] = ["A field value is text, a number, true/false or null."]
        elif isinstance(value, str) and len(value) > MAX_FIELD_LENGTH:
            errors[label] = [f"The {key} may not be longer than {MAX_FIELD_LENGTH} characters."]
    if creating or "name" in fields:
        name = fields.get("name")
        if not isinstance(name, str) or not name.strip():
            errors["personal_fields.name"] = ["The name field is required."]
    email = fields.get("email")
    if isinstance(email, str) and email.strip() and not EMAIL.match(email.strip()):
        errors["personal_fields.email"] = ["The email must be a valid email address."]
    return errors


def clean_fields(fields):
    return {key: value.strip() if isinstance(value, str) else value for key, value in fields.items()}


@api_bp.get(API_PATH + "/groups")
def list_groups():
    return jsonify([group_summary(group) for group in SandboxGroup.of_account(g.sandbox_account)])


def _page_number():
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise Invalid({"page": ["The page must be a whole number, 1 or more."]})
    return int(raw)


@api_bp.get(API_PATH + "/groups/<int:group_id>/members")
def list_members(group_id):
    group_of_account = (SandboxGroup.id == group_id) & (SandboxGroup.account == g.sandbox_account.id)
    found = SandboxGroup.select(SandboxGroup.mis_sync).where(group_of_account).tuples().first()
    if found is None:
        return error(404, f"No group with id {group_id} in this account.")
    mis = bool(found[0])
    page = _page_number()
    total = SandboxMember.select().where(_listed(group_id)).count()
    etag = _page_etag(group_id, page, total, request.base_url, mis)
    if request.if_none_match.contains_weak(etag):
        unchanged = current_app.response_class(status=304)
        unchanged.set_etag(etag)
        return unchanged
    members = (
        SandboxMember.select(*PAGE_COLUMNS)
        .where(_listed(group_id))
        .order_by(SandboxMember.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
        .tuples()
    )
    last_page = max(1, math.ceil(total / PER_PAGE))
    path = request.base_url

    def link(number):
        return f"{path}?page={number}"

    first_index = (page - 1) * PER_PAGE
    links = {
        "first": link(1),
        "last": link(last_page),
        "prev": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < last_page else None,
    }
    meta = {  # the documented keys only
        "current_page": page,
        "from": first_index + 1 if members else None,
        "path": path,
        "per_page": PER_PAGE,
        "to": first_index + len(members) if members else None,
    }
    body = (
        f'{{"links":{json.dumps(links)},"meta":{json.dumps(meta)},'
        '"data":[' + ",".join(_member_text(*row, mis=mis) for row in members) + "]}"
    )
    response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(etag)
    return response


# -- partner integration: Tether's assumption (docs/design.md §3.2), not in the public docs ---------


def group_detail(group):
    return {
        **group_summary(group),
        "integrations": group.integrations(),
        "sign_in_options": group.sign_in_options(),
    }


@api_bp.get(API_PATH + "/groups/<int:group_id>")
def show_group(group_id):
    group, missing = _group_or_404(group_id)
    return missing or jsonify(group_detail(group))


@api_bp.post(API_PATH + "/groups/<int:group_id>/members")
def create_member(group_id):
    group, missing = _group_or_404(group_id)
    if missing:
        return missing
    fields = _json_body().get("personal_fields")
    errors = check_personal_fields(fields, creating=True)
    if not group.is_returning:
        errors["group"] = ["Members can only be added to a returning (repeat) group."]
    if errors:
        raise Invalid(errors)
    member = SandboxMember.create(group=group, personal_fields=clean_fields(fields))
    return jsonify(member_json(member)), 201


@api_bp.get(API_PATH + "/members/<int:member_id>")
def show_member(member_id):
    member, missing = _member_or_404(member_id)
    return missing or jsonify(member_json(member))


@api_bp.patch(API_PATH + "/members/<int:member_id>")
def update_member(member_id):
    member, missing = _member_or_404(member_id)
    if missing:
        return missing
    body = _json_body()
    errors = {}
    if "personal_fields" not in body and "archived" not in body:
        errors["body"] = ["Send personal_fields to change, archived, or both."]
    fields = body.get("personal_fields", {})
    errors.update(check_personal_fields(fields, creating=False))
    if "archived" in body and not isinstance(body["archived"], bool):
        errors["archived"] = ["The archived field must be true or false."]
    if errors:
        raise Invalid(errors)
    merged = dict(member.personal_fields or {})
    for key, value in clean_fields(fields).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    member.personal_fields = merged
    member.archived = body.get("archived", member.archived)
    member.updated_at = now()
    member.save()
    return jsonify(member_json(member))


@api_bp.get(API_PATH + "/portal-users")
def list_portal_users():
    users = SandboxPortalUser.select().where(SandboxPortalUser.account == g.sandbox_account).order_by(
        SandboxPortalUser.id
    )
    return jsonify([{"id": u.id, "name": u.name, "email": u.email, "role": u.role} for u in users])


# -- Partner integration (our assumption, docs/design.md §3): custom personal field definitions ------------


@api_bp.get(API_PATH + "/personal-fields")
def list_personal_fields():
    """The account's custom personal fields: `[{"key", "label", "type": "text"|"boolean"|"number"}]`."""
    return jsonify([
        {"key": field.key, "label": field.label, "type": field.type}
        for field in SandboxPersonalField.of_account(g.sandbox_account)
    ])
