"""The sandbox's pages: what a Sign In App admin would click, cut down to what the demo needs.

Create a Sign In App account ("New Sign In App account": its API key and secret shown once, and an empty
Staff group, as a new account starts), list the groups, change a group's type, linked organisation, rating check and safety check, turn the
account's "Manage > Safety Check > Sign In Central Record" toggle on or off, add an account's custom
personal fields and rename their labels (their keys never change, as in Sign In App), list a group's
members and press "Sign in" for one, which runs Central Record's safety check over HTTP. A group with "MIS sync
(Wonde)" on carries its members' MIS data (date of birth, start date, leaving date), each member's
editable on its own page, as the school's MIS would change it (partner data, docs/design.md §3).

The sandbox is another system, and a closed one: the console mounts these pages so that every one needs
a Tether support user signed in (console.access.guard_blueprint, `use_sandbox` in store/policy.py), and
the sandbox itself knows nothing of Tether's users. Its Central Record address may only be this Tether,
so its safety-check token is never sent anywhere else.
"""
import datetime
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from peewee import fn

from store.db import database

from store.ids import is_id
from store.models import Organisation, RatingSystem, SiaConnection

from . import central_record
from .api import check_personal_fields, clean_fields
from .models import (
    GROUP_TYPES,
    PERSONAL_FIELD_TYPES,
    RATING_CHECKS,
    SAFETY_CHECKS,
    SandboxAccount,
    SandboxGroup,
    SandboxMember,
    SandboxPersonalField,
)
from .models import now as sandbox_now

ui_bp = Blueprint("sandbox_ui", __name__, template_folder="templates")

# What Sign In App's own screens say for the account-wide toggle (set-up help, step 5).
CENTRAL_RECORD_TOGGLE = "Include Sign In Central Record's criteria for entry to be included on the safety check."
MAX_TOKEN_LENGTH = 255  # a Tether token is 47 characters; anything far longer is not one
MAX_RATING_SYSTEMS = 100  # far more than any school has
MAX_FIELD_LABEL = 100  # a custom field's label, as long as a heading on a form
MAX_PERSONAL_FIELDS = 50  # far more custom fields than any account has
PERSONAL_FIELD_TYPE_LABELS = {"text": "Text", "boolean": "Yes/no", "number": "Number"}

MEMBERS_PER_PAGE = 50
MIS_LABELS = {"date_of_birth": "Date of birth", "start_date": "Start date", "leaving_date": "Leaving date"}
MAX_ACCOUNT_NAME = 100  # as long as a trust's or school's name
NEW_ACCOUNT_GROUP = "Staff"  # a new Sign In App account starts with an empty Repeat group of staff

GROUP_TYPE_LABELS = {
    "returning": "Repeat (returning)",
    "non-returning": "Standard (non-returning)",
    "delivery": "Standard (delivery)",
}
RATING_CHECK_LABELS = {
    "all": "Check all rating systems",
    "none": "Do not check rating systems",
    "selected": "Select rating systems to check",
}
SAFETY_CHECK_LABELS = {
    "dont_check": "Don't check",
    "reject": "Reject sign in when entry criteria not met",
    "allow": "Allow sign in when entry criteria not met",
}


def linkable_organisations(account):
    """The Central Record organisations this account's integration can link groups to."""
    connection = SiaConnection.get_or_none(SiaConnection.api_key == account.api_key)
    if connection is None:
        return []
    if connection.trust_id is not None:
        query = Organisation.select().where(Organisation.trust == connection.trust_id)
    else:
        query = Organisation.select().where(Organisation.id == connection.organisation_id)
    return list(query.order_by(Organisation.id))


def _account_or_404(account_id):
    account = SandboxAccount.get_or_none(SandboxAccount.id == account_id)
    if account is None:
        abort(404)
    return account


def _group_or_404(group_id):
    group = SandboxGroup.get_or_none(SandboxGroup.id == group_id)
    if group is None:
        abort(404)
    return group


def _render_group(group, *, errors=None, form=None, outcome=None, signed_member=None, member_errors=None,
                  member_form=None, status=200):
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    members = SandboxMember.of_group(group)
    total = members.count()
    last_page = max(1, -(-total // MEMBERS_PER_PAGE))
    organisations = linkable_organisations(group.account)
    rating_systems = []
    if group.organisation_id is not None:
        rating_systems = list(
            RatingSystem.select()
            .where(RatingSystem.organisation == group.organisation_id)
            .order_by(RatingSystem.position, RatingSystem.id)
        )
    return (
        render_template(
            "sandbox/group.html",
            group=group,
            form=form,
            errors=errors or {},
            organisations=organisations,
            rating_systems=rating_systems,
            members=list(members.paginate(min(page, last_page), MEMBERS_PER_PAGE)),
            page=min(page, last_page),
            last_page=last_page,
            total=total,
            outcome=outcome,
            signed_member=signed_member,
            member_errors=member_errors or {},
            member_form=member_form or {},
            member_fields=MEMBER_FORM_FIELDS,
            group_types=GROUP_TYPE_LABELS,
            rating_checks=RATING_CHECK_LABELS,
            safety_checks=SAFETY_CHECK_LABELS,
        ),
        status,
    )


def _render_index(errors=None, form=None, status=200):
    """The home page; `errors` maps an account id to what is wrong with its Central Record form, or
    ("fields", account id) to what is wrong with its custom field forms."""
    accounts = list(SandboxAccount.select().order_by(SandboxAccount.id))
    personal_fields = {account.id: list(SandboxPersonalField.of_account(account)) for account in accounts}
    groups = {account.id: list(SandboxGroup.of_account(account)) for account in accounts}
    organisations = {o.id: o.name for o in Organisation.select(Organisation.id, Organisation.name)}
    member_counts = dict(
        SandboxMember.select(SandboxMember.group, fn.COUNT(SandboxMember.id))
        .group_by(SandboxMember.group)
        .tuples()
    )
    return render_template(
        "sandbox/index.html",
        accounts=accounts,
        groups=groups,
        personal_fields=personal_fields,
        personal_field_types=PERSONAL_FIELD_TYPE_LABELS,
        max_field_label=MAX_FIELD_LABEL,
        member_counts=member_counts,
        organisations=organisations,
        group_types=GROUP_TYPE_LABELS,
        safety_checks=SAFETY_CHECK_LABELS,
        central_record_toggle=CENTRAL_RECORD_TOGGLE,
        this_tether=central_record.this_tether(request.url_root),
        errors=errors or {},
        form=form,
    ), status


@ui_bp.get("/")
def index():
    return _render_index()


def _new_account_page(*, error=None, name="", account=None, secret=None, status=200):
    return render_template(
        "sandbox/new_account.html", error=error, name=name, account=account, secret=secret,
        max_name=MAX_ACCOUNT_NAME, group_name=NEW_ACCOUNT_GROUP,
    ), status


@ui_bp.get("/accounts/new")
def new_account():
    return _new_account_page()


@ui_bp.post("/accounts")
def create_account():
    """A new account with a generated API key and secret, shown once, and an empty Staff Repeat group."""
    name = " ".join(request.form.get("name", "")[: MAX_ACCOUNT_NAME * 2].split())
    error = None
    if not name:
        error = "Enter the account's name, e.g. the trust's or school's name."
    elif len(name) > MAX_ACCOUNT_NAME:
        error = f"That name is {len(name)} characters long; shorten it to {MAX_ACCOUNT_NAME} or fewer."
    elif SandboxAccount.select().where(fn.LOWER(SandboxAccount.name) == name.lower()).exists():
        error = f"There is already a Sign In App account called {name}: choose another name."
    if error is not None:
        return _new_account_page(error=error, name=name, status=422)
    secret = secrets.token_urlsafe(24)
    with database.atomic():
        account = SandboxAccount.create(name=name, api_key=f"sia-{secrets.token_hex(8)}", api_secret=secret)
        SandboxGroup.create(account=account, name=NEW_ACCOUNT_GROUP, type="returning")
    return _new_account_page(account=account, secret=secret, status=201)


@ui_bp.post("/accounts/<int:account_id>/central-record")
def save_central_record(account_id):
    account = _account_or_404(account_id)
    token = request.form.get("token", "").strip()
    url = request.form.get("url", "").strip()
    refusal = central_record.refusal_of_address(url, request.url_root)
    if refusal is None and len(token) > MAX_TOKEN_LENGTH:
        refusal = (
            f"That token is {len(token)} characters long; a safety-check token from Tether is far shorter. "
            "Copy the token Tether showed when it was created, and paste it again."
        )
    if refusal is not None:
        return _render_index(errors={account.id: refusal}, form=request.form, status=422)
    account.central_record_token = token or account.central_record_token
    account.central_record_url = central_record.this_tether(request.url_root) if url else None
    account.save()
    flash(f"Central Record settings saved for {account.name}.", "success")
    return redirect(url_for(".index"), 303)


@ui_bp.post("/accounts/<int:account_id>/safety-check")
def save_safety_check(account_id):
    """Manage > Safety Check > Sign In Central Record: the account-wide toggle."""
    account = _account_or_404(account_id)
    account.central_record_safety_check = request.form.get("central_record_safety_check") == "on"
    account.save(only=[SandboxAccount.central_record_safety_check])
    state = "included in" if account.central_record_safety_check else "left out of"
    flash(f"Safety check saved for {account.name}: Sign In Central Record's criteria are {state} the safety check.",
          "success")
    return redirect(url_for(".index"), 303)


def _field_label(form, account, field=None):
    """The label in `form` for a custom field of `account` (`field` when renaming), and the refusal, if any."""
    label = " ".join(form.get("label", "")[: MAX_FIELD_LABEL * 2].split())
    if not label:
        return label, "Enter the field's label, e.g. Department."
    if len(label) > MAX_FIELD_LABEL:
        return label, f"That label is {len(label)} characters long; shorten it to {MAX_FIELD_LABEL} or fewer."
    others = SandboxPersonalField.select().where(
        (SandboxPersonalField.account == account) & (fn.LOWER(SandboxPersonalField.label) == label.lower())
    )
    if field is not None:
        others = others.where(SandboxPersonalField.id != field.id)
    if others.exists():
        return label, f"{account.name} already has a custom field called {label}: choose another label."
    return label, None


@ui_bp.post("/accounts/<int:account_id>/personal-fields")
def add_personal_field(account_id):
    """A new custom personal field with an opaque key made here, as Sign In App makes them."""
    account = _account_or_404(account_id)
    label, refusal = _field_label(request.form, account)
    kind = request.form.get("type", "")
    if refusal is None and kind not in PERSONAL_FIELD_TYPES:
        refusal = "Choose the field's type: text, yes/no or number."
    if refusal is None and SandboxPersonalField.select().where(SandboxPersonalField.account == account).count() >= MAX_PERSONAL_FIELDS:
        refusal = f"{account.name} already has {MAX_PERSONAL_FIELDS} custom fields; rename one instead of adding more."
    if refusal is not None:
        return _render_index(errors={("fields", account.id): refusal}, form=request.form, status=422)
    field = SandboxPersonalField.create(account=account, key=SandboxPersonalField.new_key(), label=label, type=kind)
    flash(f"Custom field {field.label} added to {account.name}, with the key {field.key}.", "success")
    return redirect(url_for(".index"), 303)


@ui_bp.post("/personal-fields/<int:personal_field_id>")
def rename_personal_field(personal_field_id):
    """A new label for a custom field; its key, and every member's value under it, stay as they are."""
    field = SandboxPersonalField.get_or_none(SandboxPersonalField.id == personal_field_id)
    if field is None:
        abort(404)
    label, refusal = _field_label(request.form, field.account, field)
    if refusal is not None:
        return _render_index(errors={("fields", field.account_id): refusal}, form=request.form, status=422)
    before, field.label = field.label, label
    field.save(only=[SandboxPersonalField.label])
    flash(f"Custom field {before} renamed {label} in {field.account.name}; its key is still {field.key}.", "success")
    return redirect(url_for(".index"), 303)


@ui_bp.get("/groups/<int:group_id>")
def group(group_id):
    return _render_group(_group_or_404(group_id))


def _read_settings(form, group):
    """The group settings in `form`, and the errors that stop them being saved."""
    errors = {}
    settings = {
        "type": form.get("type", ""),
        "rating_check": form.get("rating_check", ""),
        "safety_check": form.get("safety_check", ""),
        "allow_ipad_self_add": form.get("allow_ipad_self_add") == "on",
        "mis_sync": form.get("mis_sync") == "on",
        "organisation_id": None,
        "rating_systems": [],
    }
    if settings["type"] not in GROUP_TYPES:
        errors["type"] = "Choose a group type."
    if settings["rating_check"] not in RATING_CHECKS:
        errors["rating_check"] = "Choose which rating systems to check."
    if settings["safety_check"] not in SAFETY_CHECKS:
        errors["safety_check"] = "Choose a safety check option."
    raw_organisation = form.get("organisation_id", "")
    if raw_organisation:
        allowed = {o.id for o in linkable_organisations(group.account)}
        if not is_id(raw_organisation) or int(raw_organisation) not in allowed:
            errors["organisation_id"] = "Choose one of this account's Central Record organisations."
        elif settings["type"] != "returning":
            errors["organisation_id"] = "Only Repeat (returning) groups can be linked to an organisation."
        else:
            settings["organisation_id"] = int(raw_organisation)
    raw_systems = form.getlist("rating_systems")
    if len(raw_systems) > MAX_RATING_SYSTEMS or not all(is_id(value) for value in raw_systems):
        errors["rating_systems"] = "Choose rating systems from the list."
    else:
        settings["rating_systems"] = sorted({int(value) for value in raw_systems})
    if settings["rating_check"] == "selected" and not settings["rating_systems"] and "rating_systems" not in errors:
        errors["rating_systems"] = "Select at least one rating system, or choose another rating check."
    return settings, errors


@ui_bp.post("/groups/<int:group_id>")
def save_group(group_id):
    group = _group_or_404(group_id)
    settings, errors = _read_settings(request.form, group)
    if errors:
        return _render_group(group, errors=errors, form=request.form, status=422)
    for name, value in settings.items():
        setattr(group, name, value)
    group.save()
    flash(f"Settings saved for {group.name}.", "success")
    return redirect(url_for(".group", group_id=group.id), 303)


MEMBER_FORM_FIELDS = {"name": "Name", "role": "Role", "email": "Email", "mobile": "Mobile"}
MAX_GROUP_MEMBERS = 50_000  # members one group may hold through this form


@ui_bp.post("/groups/<int:group_id>/members")
def add_member(group_id):
    """"Add member": a returning visitor added to the group by hand, as a Sign In App admin would."""
    group = _group_or_404(group_id)
    fields = {key: request.form.get(key, "").strip() for key in MEMBER_FORM_FIELDS}
    fields = {key: value for key, value in fields.items() if value or key == "name"}
    errors = {key.removeprefix("personal_fields."): " ".join(problems)
              for key, problems in check_personal_fields(fields, creating=True).items()}
    if not group.is_returning:
        errors["group"] = f"{group.name} is not a Repeat group: Sign In App keeps members only in Repeat groups."
    elif SandboxMember.select().where(SandboxMember.group == group).count() >= MAX_GROUP_MEMBERS:
        errors["group"] = f"{group.name} already has {MAX_GROUP_MEMBERS:,} members, the most the sandbox keeps in a group."
    if errors:
        return _render_group(group, member_errors=errors, member_form=request.form, status=422)
    member = SandboxMember.create(group=group, personal_fields=clean_fields(fields))
    flash(f"{member.name} added to {group.name}.", "success")
    return redirect(url_for(".group", group_id=group.id), 303)


@ui_bp.post("/members/<int:member_id>/sign-in")
def sign_in(member_id):
    member = SandboxMember.get_or_none(SandboxMember.id == member_id)
    if member is None:
        abort(404)
    outcome = central_record.sign_in(member, request.url_root)
    member = SandboxMember.get_by_id(member_id)
    return _render_group(member.group, outcome=outcome, signed_member=member)


def _member_or_404(member_id):
    member = SandboxMember.get_or_none(SandboxMember.id == member_id)
    if member is None:
        abort(404)
    return member


def _render_mis(member, *, errors=None, form=None, status=200):
    return render_template("sandbox/member_mis.html", member=member, errors=errors or {}, form=form,
                           labels=MIS_LABELS, values=form or member.mis()), status


@ui_bp.get("/members/<int:member_id>/mis")
def member_mis(member_id):
    return _render_mis(_member_or_404(member_id))


def _read_mis(form):
    """The MIS dates in `form` ({key: date or None}), and what is wrong with them."""
    values, errors = {}, {}
    for key, label in MIS_LABELS.items():
        raw = form.get(key, "").strip()
        values[key] = None
        if not raw:
            continue
        try:
            if len(raw) != 10:
                raise ValueError(raw)
            values[key] = datetime.date.fromisoformat(raw)
        except ValueError:
            errors[key] = f"{label}: enter a date like 2024-09-01, or leave it blank."
            continue
        if not datetime.date(1900, 1, 1) <= values[key] <= datetime.date(2100, 12, 31):
            errors[key] = f"{label}: {values[key]:%d %b %Y} is not a date the MIS would hold; check the year."
    if values["start_date"] and values["leaving_date"] and values["leaving_date"] < values["start_date"]:
        errors["leaving_date"] = "Leaving date: it is before the start date; correct one of them."
    return values, errors


@ui_bp.post("/members/<int:member_id>/mis")
def save_member_mis(member_id):
    """The member's MIS data, changed as the school's MIS would change it."""
    member = _member_or_404(member_id)
    values, errors = _read_mis(request.form)
    if errors:
        return _render_mis(member, errors=errors, form=request.form, status=422)
    for key, column in SandboxMember.MIS_FIELDS.items():
        setattr(member, column, values[key])
    member.updated_at = sandbox_now()
    member.save()
    flash(f"MIS data saved for {member.name}.", "success")
    return redirect(url_for(".member_mis", member_id=member.id), 303)
