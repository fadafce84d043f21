"""Trusts and organisations: the one place they are created and renamed (support's "Trusts and
organisations" page, `tether orgs`, the demo seed).

A trust groups schools and holds their Sign In App connection. A new organisation starts `setting_up`
(DESIGN §12: scheduled imports wait for a person's first import or push) with the default profile types
Central Record gives every school. Names are bounded and unique where a person would confuse two: a
trust's name across Tether, an organisation's name within its trust, a URN across Tether (it names one
school in England). Every change writes its audit event.
"""
from peewee import fn

from compliance import templates
from store import database
from store.models import DEFAULT_PROFILE_TYPES, AuditEvent, MappingRule, Organisation, ProfileType, Trust

MAX_NAME = 120
URN_DIGITS = 6


class Invalid(ValueError):
    """Input refused; `errors` maps each field to what is wrong with it and what to enter instead."""

    def __init__(self, errors):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def tidy_name(text):
    """A name as a person meant it: runs of spaces (and tabs, newlines) made one space, ends trimmed."""
    return " ".join((text or "").split())


def _name(raw, what, example, errors, field="name"):
    name = tidy_name(raw)
    if not name:
        errors[field] = f"Enter the {what}'s name, e.g. {example}."
    elif len(name) > MAX_NAME:
        errors[field] = f"The {what}'s name is {len(name)} characters long; shorten it to {MAX_NAME} at most."
    return name


def _urn(raw, errors, organisation=None):
    urn = (raw or "").strip()
    if not urn:
        return None
    if not (urn.isascii() and urn.isdigit() and len(urn) == URN_DIGITS):
        errors["urn"] = (f"The URN is the school's Unique Reference Number, {URN_DIGITS} digits (e.g. 137421); "
                         "leave it blank if the school has none.")
        return urn
    clash = Organisation.select().where(Organisation.urn == urn)
    if organisation is not None:
        clash = clash.where(Organisation.id != organisation.id)
    other = clash.first()
    if other is not None:
        errors["urn"] = f"{other.name} (organisation {other.id}) already has URN {urn}; check the number."
    return urn


def trust_named(name):
    """The trust called `name` (any case, spaces tidied), or None."""
    return Trust.get_or_none(fn.LOWER(Trust.name) == tidy_name(name).lower())


def _trust_name(raw, errors, trust=None):
    name = _name(raw, "trust", "Northgate Learning Trust", errors)
    if "name" not in errors:
        other = trust_named(name)
        if other is not None and other != trust:
            errors["name"] = f"There is already a trust called {other.name} (trust {other.id}); choose another name."
    return name


def _organisation_name(raw, trust, errors, organisation=None):
    name = _name(raw, "organisation", "Oakfield Academy", errors)
    if "name" not in errors:
        clash = Organisation.select().where((fn.LOWER(Organisation.name) == name.lower()))
        clash = clash.where(Organisation.trust.is_null() if trust is None else Organisation.trust == trust)
        if organisation is not None:
            clash = clash.where(Organisation.id != organisation.id)
        other = clash.first()
        if other is not None:
            where = f" in the trust {trust.name}" if trust is not None else ""
            errors["name"] = (f"There is already an organisation called {other.name}{where} "
                              f"(organisation {other.id}); choose another name.")
    return name


def _trust_view(trust):
    return {"name": trust.name}


def _organisation_view(organisation):
    return {"name": organisation.name, "urn": organisation.urn, "trust_id": organisation.trust_id}


def create_trust(name, *, actor):
    """A new trust; raises Invalid when the name is missing, too long or taken."""
    with database.atomic():
        errors = {}
        name = _trust_name(name, errors)
        if errors:
            raise Invalid(errors)
        trust = Trust.create(name=name)
        AuditEvent.record("trust.create", actor=actor, subject=f"trust:{trust.id}", after=_trust_view(trust))
    return trust


def rename_trust(trust, name, *, actor):
    """Rename a trust; raises Invalid."""
    with database.atomic():
        errors = {}
        name = _trust_name(name, errors, trust)
        if errors:
            raise Invalid(errors)
        before = _trust_view(trust)
        trust.name = name
        trust.save()
        AuditEvent.record("trust.rename", actor=actor, subject=f"trust:{trust.id}", before=before, after=_trust_view(trust))
    return trust


def find_or_create_trust(name, *, actor):
    """The trust called `name`, made when there is none; returns (trust, whether it was made)."""
    with database.atomic():
        existing = trust_named(name)
        if existing is not None:
            return existing, False
        return create_trust(name, actor=actor), True


def create_organisation(trust, name, urn=None, *, actor):
    """A new organisation in `trust`: `setting_up`, with the default profile types; raises Invalid."""
    with database.atomic():
        errors = {}
        name = _organisation_name(name, trust, errors)
        urn = _urn(urn, errors)
        if errors:
            raise Invalid(errors)
        organisation = Organisation.create(name=name, trust=trust, urn=urn, settings={}, state="setting_up")
        ProfileType.insert_many(
            [{"organisation": organisation.id, "name": type_name, "position": position}
             for position, type_name in enumerate(DEFAULT_PROFILE_TYPES)]
        ).execute()
        templates.inherit(organisation)  # the trust's rating systems, as every school of it has them
        # Set-up help, step 2: "Your Staff in Sign In App will automatically pull across to your Teaching
        # Staff": a rule the school sees, and may change, on its Profile Type Map.
        teaching = ProfileType.get((ProfileType.organisation == organisation) & (ProfileType.name == "Teaching Staff"))
        MappingRule.create(organisation=organisation, profile_type=teaching, expression="group == Staff", position=0,
                           updated_by=getattr(actor, "email", actor) or "")
        AuditEvent.record(
            "organisation.create", actor=actor, organisation=organisation, subject=f"organisation:{organisation.id}",
            after=_organisation_view(organisation),
        )
    return organisation


def rename_organisation(organisation, name, urn=None, *, actor):
    """Change an organisation's name and URN (blank: none); raises Invalid."""
    with database.atomic():
        errors = {}
        name = _organisation_name(name, organisation.trust, errors, organisation)
        urn = _urn(urn, errors, organisation)
        if errors:
            raise Invalid(errors)
        before = _organisation_view(organisation)
        organisation.name, organisation.urn = name, urn
        organisation.save()
        AuditEvent.record(
            "organisation.rename", actor=actor, organisation=organisation, subject=f"organisation:{organisation.id}",
            before=before, after=_organisation_view(organisation),
        )
    return organisation
