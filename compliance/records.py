"""Changing what readiness is made of: check records and rating systems.

One service function per action, called by the console (and anything else that changes them); each
validates what it is given, says what is wrong field by field, and writes its audit event.
"""
import datetime
import re

from store.db import database
from store.models import AuditEvent, CheckRecord, CheckType, ProfileType, RatingRequirement, RatingSystem

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_EVIDENCE = 2000


class Invalid(Exception):
    """Input refused; `errors` maps each field to what is wrong with it and what to enter instead."""

    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _date(form, name, label, errors):
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        errors[name] = f"Enter the {label} as a date, e.g. 2025-03-31."
        return None


def _check_values(profile, form, today):
    errors = {}
    raw_type = (form.get("check_type") or "").strip()
    check_type = None
    if raw_type.isdigit():
        check_type = CheckType.get_or_none(
            (CheckType.id == int(raw_type)) & (CheckType.organisation == profile.organisation_id)
        )
    if check_type is None:
        errors["check_type"] = "Choose a check from the list."
    completed_on = _date(form, "completed_on", "completion date", errors)
    expires_on = _date(form, "expires_on", "expiry date", errors)
    not_required = form.get("not_required") in ("on", "true", "1", True)
    evidence = (form.get("evidence") or "").strip()
    if completed_on is None and not not_required and "completed_on" not in errors:
        errors["completed_on"] = "Enter the date the check was completed, or tick Not required."
    if completed_on is not None and completed_on > today:
        errors["completed_on"] = f"The completion date {completed_on:%d %b %Y} is in the future; enter the date the check was done."
    if completed_on and expires_on and expires_on <= completed_on:
        errors["expires_on"] = "The expiry date must be after the completion date; leave it blank to use the check's validity."
    if len(evidence) > MAX_EVIDENCE:
        errors["evidence"] = f"Keep the evidence note under {MAX_EVIDENCE} characters."
    if errors:
        raise Invalid(errors)
    return {
        "check_type": check_type,
        "completed_on": completed_on,
        "expires_on": expires_on,
        "not_required": not_required,
        "evidence": evidence,
    }


def _check_view(record):
    return {
        "check_type": record.check_type.code,
        "completed_on": record.completed_on,
        "expires_on": record.expires_on,
        "not_required": record.not_required,
        "evidence": record.evidence,
    }


def add_check(profile, form, *, actor, today=None):
    """Record a check for `profile` from form values; raises Invalid with what to correct."""
    values = _check_values(profile, form, today or datetime.date.today())
    with database.atomic():
        record = CheckRecord.create(profile=profile, **values)
        AuditEvent.record(
            "check.add", actor=actor, organisation=profile.organisation_id, subject=f"profile:{profile.id}",
            after=_check_view(record),
        )
    return record


def update_check(record, form, *, actor, today=None):
    """Change a check record from form values; raises Invalid with what to correct."""
    before = _check_view(record)
    values = _check_values(record.profile, form, today or datetime.date.today())
    with database.atomic():
        for name, value in values.items():
            setattr(record, name, value)
        record.save()
        AuditEvent.record(
            "check.update", actor=actor, organisation=record.profile.organisation_id,
            subject=f"profile:{record.profile_id}", before=before, after=_check_view(record),
        )
    return record


MAX_NAME = 100


def system_name(form, errors):
    """A rating system's name from the form, spaces tidied; an error in `errors` when there is none."""
    name = " ".join((form.get("name") or "").split())
    if not name:
        errors["name"] = "Enter a name, e.g. School Ready."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Keep the name under {MAX_NAME} characters."
    return name


def colour_values(form, errors):
    """The ready and not-ready colours from the form (the defaults when left empty)."""
    values = {}
    for field, label, default in (
        ("ready_colour", "ready colour", RatingSystem.ready_colour.default),
        ("not_ready_colour", "not ready colour", RatingSystem.not_ready_colour.default),
    ):
        colour = (form.get(field) or default).strip()
        if not COLOUR.match(colour):
            errors[field] = f"Enter the {label} as a hex colour, e.g. {default}."
        values[field] = colour.lower()
    return values


def _system_values(organisation, form, system=None):
    errors = {}
    name = system_name(form, errors)
    if name:
        clash = RatingSystem.select().where(
            (RatingSystem.organisation == organisation) & (RatingSystem.name == name)
        )
        if system is not None:
            clash = clash.where(RatingSystem.id != system.id)
        if clash.exists():
            errors["name"] = f"{organisation.name} already has a rating system called {name}; choose another name."
    values = {"name": name, "enabled": form.get("enabled") == "on", **colour_values(form, errors)}
    if errors:
        raise Invalid(errors)
    return values


def _system_view(system):
    return {
        "name": system.name,
        "ready_colour": system.ready_colour,
        "not_ready_colour": system.not_ready_colour,
        "enabled": system.enabled,
        "requirements": sorted(
            f"{r.profile_type.name}: {r.check_type.code}"
            for r in RatingRequirement.select(RatingRequirement, ProfileType, CheckType)
            .join(ProfileType).switch(RatingRequirement).join(CheckType)
            .where(RatingRequirement.rating_system == system)
        ),
    }


def create_rating_system(organisation, form, *, actor):
    """A new rating system with no requirements yet; raises Invalid with what to correct."""
    values = _system_values(organisation, form)
    with database.atomic():
        position = RatingSystem.select().where(RatingSystem.organisation == organisation).count()
        system = RatingSystem.create(organisation=organisation, position=position, **values)
        AuditEvent.record(
            "rating_system.create", actor=actor, organisation=organisation, subject=f"rating_system:{system.id}",
            after=_system_view(system),
        )
    return system


def _requirement_pairs(organisation, form):
    """The (profile type id, check type id) pairs ticked in the form, limited to the organisation's own."""
    type_ids = {t.id for t in ProfileType.select(ProfileType.id).where(ProfileType.organisation == organisation)}
    check_ids = {c.id for c in CheckType.select(CheckType.id).where(CheckType.organisation == organisation)}
    pairs = set()
    for value in form.getlist("requirements"):
        type_id, _, check_id = value.partition(":")
        if type_id.isdigit() and check_id.isdigit() and int(type_id) in type_ids and int(check_id) in check_ids:
            pairs.add((int(type_id), int(check_id)))
    return pairs


def update_rating_system(system, form, *, actor):
    """Change a rating system's name, colours, switches and requirements; raises Invalid."""
    if system.inherited:
        raise Invalid({"name": (
            f"{system.name} comes from {system.template.trust.name}'s rating system template: it is changed there, "
            "for every school of the trust at once."
        )})
    organisation = system.organisation
    values = _system_values(organisation, form, system)
    wanted = _requirement_pairs(organisation, form)
    with database.atomic():
        before = _system_view(system)
        for name, value in values.items():
            setattr(system, name, value)
        system.save()
        current = {
            (r.profile_type_id, r.check_type_id): r.id
            for r in RatingRequirement.select().where(RatingRequirement.rating_system == system)
        }
        gone = [rid for pair, rid in current.items() if pair not in wanted]
        if gone:
            RatingRequirement.delete().where(RatingRequirement.id.in_(gone)).execute()
        added = [
            {"rating_system": system.id, "profile_type": type_id, "check_type": check_id}
            for type_id, check_id in sorted(wanted - set(current))
        ]
        if added:
            RatingRequirement.insert_many(added).execute()
        AuditEvent.record(
            "rating_system.update", actor=actor, organisation=organisation, subject=f"rating_system:{system.id}",
            before=before, after=_system_view(system),
        )
    return system
