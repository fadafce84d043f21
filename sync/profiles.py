"""Creating and editing a profile in Central Record (DESIGN §12 item 6), for the console and the CLI alike.

A profile's own fields: first and last name, email, mobile, role, date of birth, start date, leaving
date and profile type. (Profiles keep no custom fields: Sign In App's custom personal fields are read by
the mapping rules and can be mapped onto these columns by the field mapping, nothing more.)

Every value is checked and each refusal says, field by field, what is wrong and what to enter
(`Invalid.errors`). An edit is written only at the version the person read (`Profile.version`): when
someone else saved the profile first, `SavedMeanwhile` says who and when, and nothing is written, so the
console can show the person's own entries again beside what is saved now.

The leaving date follows the troubleshooting help's "Leavers and Returners": a leaving date of today or
earlier severs the profile's Sign In App link at once, through the nightly job's own step
(`leavers.sever_leaver`); a later date is severed by that job on the day. Removing the leaving date
makes the person active again and never re-links them: support re-links the returner.
"""
import datetime
import re
from dataclasses import dataclass

from store import database
from store.models import AuditEvent, Link, Profile, ProfileType

from . import leavers
from .links import ActionRefused, refuse_unless_active, link_view, update_profile

# The fields a person edits, with the words the form shows for them.
FIELDS = {
    "forename": "First name",
    "surname": "Last name",
    "email": "Email",
    "mobile": "Mobile",
    "role": "Role",
    "dob": "Date of birth",
    "start_date": "Start date",
    "leaving_date": "Leaving date",
    "profile_type": "Profile type",
}
MAX_LENGTH = {"forename": 100, "surname": 100, "email": 254, "mobile": 30, "role": 100}
DATES = ("dob", "start_date", "leaving_date")
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2100, 12, 31)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


class Invalid(Exception):
    """Input refused; `errors` maps each field to what is wrong with it and what to enter instead."""

    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class SavedMeanwhile(Exception):
    """Someone else saved the profile after it was read: nothing was written. `current` is the profile
    as saved now; the message says who saved it and when, and what to do."""

    def __init__(self, profile, current):
        last = (
            AuditEvent.select()
            .where(AuditEvent.subject == f"profile:{profile.id}")
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .first()
        )
        # The last audit event names who saved, unless the change came after it (an import writes none).
        if last is not None and last.actor and last.at >= current.updated_at:
            who = f"Someone else ({last.actor}, {last.at:%d %b %Y %H:%M}) saved {current.name}"
        else:
            who = f"{current.name} was changed by someone else or by a Sign In App import"
        super().__init__(
            f"{who} (profile {profile.id}) after you opened it, so your changes were not saved. They are still in "
            "the form below, beside what is saved now: check them and save again."
        )
        self.current = current


@dataclass(frozen=True)
class Saved:
    """What saving a profile did: the fields changed (name → (before, after)), the link it severed (a
    leaving date of today or earlier), and whether the person returned (their leaving date removed)."""

    profile: Profile
    changes: dict
    severed: Link | None = None
    returned: bool = False


def parse_date(raw, label):
    """A date from YYYY-MM-DD (what a date box sends) or DD/MM/YYYY; None when blank. ValueError says why."""
    raw = (raw or "").strip()
    if not raw:
        return None
    iso, dmy = _ISO.fullmatch(raw), _DMY.fullmatch(raw)
    if not iso and not dmy:
        raise ValueError(f"Enter the {label.lower()} as a date, e.g. 2025-03-31 (or 31/03/2025).")
    year, month, day = (int(part) for part in (iso.groups() if iso else reversed(dmy.groups())))
    try:
        value = datetime.date(year, month, day)
    except ValueError:
        raise ValueError(f"{raw} is not a real date; check the day and the month of the {label.lower()}.") from None
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"The {label.lower()} {value:%d %b %Y} is not between {EARLIEST.year} and {LATEST.year}; "
                         "check the year.")
    return value


def _text(form, name, errors):
    value = " ".join(str(form.get(name) or "").split())
    if len(value) > MAX_LENGTH[name]:
        errors[name] = f"Keep the {FIELDS[name].lower()} to {MAX_LENGTH[name]} characters (it has {len(value)})."
    return value or None


def _profile_type(organisation, raw, errors):
    raw = str(raw or "").strip()
    query = ProfileType.select().where(ProfileType.organisation == organisation)
    chosen = None
    if raw.isdigit() and len(raw) < 19:
        chosen = query.where(ProfileType.id == int(raw)).first()
    elif raw:
        chosen = query.where(ProfileType.name == raw).first()
    if chosen is None:
        names = ", ".join(t.name for t in query.order_by(ProfileType.position))
        errors["profile_type"] = (f"Choose one of {organisation.name}'s profile types: {names}." if raw
                                  else "Choose the profile type.")
    return chosen


def values_from(organisation, form, today=None):
    """The profile's values from a form (or the CLI's options), checked; raises Invalid."""
    today = today or datetime.date.today()
    errors = {}
    values = {name: _text(form, name, errors) for name in MAX_LENGTH}
    for name in ("forename", "surname"):
        if values[name] is None and name not in errors:
            errors[name] = f"Enter the {FIELDS[name].lower()}."
    if values["email"] and "email" not in errors and not EMAIL.fullmatch(values["email"]):
        errors["email"] = f"“{values['email']}” is not an email address; enter one like name@school.org, or leave it blank."
    for name in DATES:
        try:
            values[name] = parse_date(form.get(name), FIELDS[name])
        except ValueError as refusal:
            errors[name] = str(refusal)
            values[name] = None
    if values["dob"] and values["dob"] > today:
        errors["dob"] = f"The date of birth {values['dob']:%d %b %Y} is in the future; check the year."
    if values["start_date"] and values["leaving_date"] and values["leaving_date"] < values["start_date"]:
        errors["leaving_date"] = (
            f"The leaving date {values['leaving_date']:%d %b %Y} is before the start date "
            f"{values['start_date']:%d %b %Y}; correct one of them."
        )
    values["profile_type"] = _profile_type(organisation, form.get("profile_type"), errors)
    if errors:
        raise Invalid(errors)
    return values


def view(profile):
    """What an audit event keeps of a profile's own fields."""
    shown = {name: getattr(profile, name) for name in FIELDS if name != "profile_type"}
    return {**shown, "profile_type": profile.profile_type.name}


def _stored(values):
    return {**values, "profile_type": values["profile_type"].id}


def create_profile(organisation, form, actor, today=None):
    """A new active profile entered in Central Record (`source` manual); raises Invalid."""
    values = values_from(organisation, form, today)
    with database.atomic():
        profile = Profile.create(organisation=organisation, source="manual", **_stored(values))
        AuditEvent.record(
            "profile.create", actor=actor, organisation=organisation, subject=f"profile:{profile.id}",
            after=view(profile),
        )
    return profile


def edit_profile(profile, form, actor, today=None):
    """Save a person's edit of `profile`, read at `profile.version`; returns Saved.

    Raises Invalid (nothing written), SavedMeanwhile (someone saved first; nothing written) or
    links.ActionRefused (a deleted or merged profile)."""
    today = today or datetime.date.today()
    values = values_from(profile.organisation, form, today)
    return _save(profile, values, actor, today)


def set_leaving_date(profile, leaving_date, actor, today=None):
    """Set (a date) or remove (None) the leaving date of `profile`, read at `profile.version`; returns Saved."""
    today = today or datetime.date.today()
    if leaving_date is not None and profile.start_date is not None and leaving_date < profile.start_date:
        raise Invalid({"leaving_date": (
            f"The leaving date {leaving_date:%d %b %Y} is before {profile.name}'s start date "
            f"{profile.start_date:%d %b %Y}; correct one of them."
        )})
    values = {name: getattr(profile, name) for name in FIELDS}
    values["leaving_date"] = leaving_date
    return _save(profile, values, actor, today)


def _save(profile, values, actor, today):
    with database.atomic():
        current = Profile.get_by_id(profile.id)
        refuse_unless_active(current, "edited")
        if current.version != profile.version:
            raise SavedMeanwhile(profile, current)
        changes = {
            name: (getattr(current, name), value) for name, value in values.items() if getattr(current, name) != value
        }
        if not changes:
            return Saved(current, {})
        before = view(current)
        try:
            update_profile(profile, **{name: after for name, (_, after) in _stored_changes(changes).items()})
        except ActionRefused:
            raise SavedMeanwhile(profile, Profile.get_by_id(profile.id)) from None
        profile = Profile.get_by_id(profile.id)
        severed = leavers.sever_leaver(profile, actor, today) if "leaving_date" in changes else None
        returned = Profile.left_by(current.leaving_date, today) and leavers.is_returner(profile, today)
        after = view(profile)
        AuditEvent.record(
            "profile.update", actor=actor, organisation=profile.organisation_id, subject=f"profile:{profile.id}",
            before={name: before[name] for name in changes} | ({"link": link_view(severed)} if severed else {}),
            after={name: after[name] for name in changes} | ({"link": None} if severed else {}),
            reason=("a leaving date of today or earlier severs the link" if severed else
                    "the leaving date was removed: the link is not restored until support re-links" if returned else ""),
        )
    return Saved(profile, changes, severed, returned)


def _stored_changes(changes):
    return {name: (before, after.id if name == "profile_type" else after) for name, (before, after) in changes.items()}
