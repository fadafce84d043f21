"""Trust rating-system templates (DESIGN §6): a trust defines rating systems, every school inherits them.

A template names its requirements by profile type name and check type code, because each school has
its own profile types and check types. Each school of the trust holds a copy of every template, an
ordinary `RatingSystem` with `template` set, so readiness, the safety check and the compliance pages
need nothing of their own for inherited systems. Saving a template rewrites every school's copy in the
same transaction, so a school sees a change at once; a school that lacks a profile type or a check type
a template names is given it. A school sees its copies read-only and may add systems of its own.
"""
import json

from store.db import database
from store.models import (
    AuditEvent,
    CheckType,
    Organisation,
    ProfileType,
    RatingRequirement,
    RatingSystem,
    RatingTemplate,
    RatingTemplateRequirement,
)

from .records import Invalid, colour_values, system_name

MAX_TEMPLATES = 50


def choices(trust):
    """(profile type names, check types [(code, name, validity_months)]) a template of `trust` may use:
    every one any school of the trust has, profile types in the schools' order."""
    organisations = Organisation.select(Organisation.id).where(Organisation.trust == trust)
    type_names = []
    for profile_type in ProfileType.select().where(ProfileType.organisation.in_(organisations)).order_by(
        ProfileType.position, ProfileType.name
    ):
        if profile_type.name not in type_names:
            type_names.append(profile_type.name)
    checks = {}
    for check_type in CheckType.select().where(CheckType.organisation.in_(organisations)).order_by(CheckType.name):
        checks.setdefault(check_type.code, (check_type.code, check_type.name, check_type.validity_months))
    for requirement in RatingTemplateRequirement.select().join(RatingTemplate).where(RatingTemplate.trust == trust):
        if requirement.profile_type not in type_names:
            type_names.append(requirement.profile_type)
        checks.setdefault(requirement.check_code, (requirement.check_code, requirement.check_name, requirement.validity_months))
    return type_names, sorted(checks.values(), key=lambda c: c[1].lower())


def requirement_key(type_name, check_code):
    """How the template form names a requirement: the JSON pair, so no name can be read two ways."""
    return json.dumps([type_name, check_code])


def required_keys(template):
    return {requirement_key(r.profile_type, r.check_code) for r in template.requirements}


def templates_of(trust):
    return list(RatingTemplate.select().where(RatingTemplate.trust == trust).order_by(RatingTemplate.position, RatingTemplate.name))


def _values(trust, form, template=None):
    errors = {}
    name = system_name(form, errors)
    if name:
        clash = RatingTemplate.select().where((RatingTemplate.trust == trust) & (RatingTemplate.name == name))
        if template is not None:
            clash = clash.where(RatingTemplate.id != template.id)
        if clash.exists():
            errors["name"] = f"{trust.name} already has a rating system template called {name}; choose another name."
        else:
            own = (
                RatingSystem.select(RatingSystem, Organisation)
                .join(Organisation)
                .where((Organisation.trust == trust) & (RatingSystem.name == name))
            )
            if template is not None:
                own = own.where(RatingSystem.template.is_null() | (RatingSystem.template != template))
            school = own.first()
            if school is not None:
                errors["name"] = (
                    f"{school.organisation.name} already has a rating system called {name}; choose another name, "
                    "or ask the school to rename theirs."
                )
    values = {"name": name, "enabled": form.get("enabled") == "on", **colour_values(form, errors)}
    type_names, checks = choices(trust)
    known = {requirement_key(t, code): (t, code, check_name, months) for t in type_names for code, check_name, months in checks}
    ticked = form.getlist("requirements")
    unknown = [key for key in ticked if key not in known]
    if unknown:
        errors["requirements"] = "Some ticked requirements name a profile type or check the trust's schools do not have; reload the page and tick them again."
    if errors:
        raise Invalid(errors)
    return values, sorted({known[key] for key in ticked})


def _view(template):
    return {
        "name": template.name,
        "ready_colour": template.ready_colour,
        "not_ready_colour": template.not_ready_colour,
        "enabled": template.enabled,
        "requirements": sorted(f"{r.profile_type}: {r.check_code}" for r in template.requirements),
    }


def create_template(trust, form, *, actor):
    """A new template, copied into every school of the trust; raises Invalid with what to correct."""
    values, requirements = _values(trust, form)
    with database.atomic():
        count = RatingTemplate.select().where(RatingTemplate.trust == trust).count()
        if count >= MAX_TEMPLATES:
            raise Invalid({"name": f"{trust.name} has {MAX_TEMPLATES} rating system templates, the most a trust may have; remove one first."})
        template = RatingTemplate.create(trust=trust, position=count, **values)
        _set_requirements(template, requirements)
        _copy_everywhere(template)
        AuditEvent.record("rating_template.create", actor=actor, subject=f"rating_template:{template.id}", after=_view(template))
    return template


def update_template(template, form, *, actor):
    """Change a template and every school's copy of it at once; raises Invalid."""
    values, requirements = _values(template.trust, form, template)
    with database.atomic():
        before = _view(template)
        for name, value in values.items():
            setattr(template, name, value)
        template.save()
        _set_requirements(template, requirements)
        _copy_everywhere(template)
        AuditEvent.record(
            "rating_template.update", actor=actor, subject=f"rating_template:{template.id}", before=before, after=_view(template)
        )
    return template


def delete_template(template, *, actor):
    """Remove a template and every school's copy of it (the schools' own systems stay)."""
    with database.atomic():
        before = _view(template)
        RatingSystem.delete().where(RatingSystem.template == template).execute()
        template.delete_instance(recursive=True)
        AuditEvent.record("rating_template.delete", actor=actor, subject=f"rating_template:{template.id}", before=before)


def inherit(organisation):
    """Give `organisation` a copy of each of its trust's templates (a new school, or one moved into a trust)."""
    if organisation.trust_id is None:
        return
    with database.atomic():
        for template in templates_of(organisation.trust_id):
            _copy(template, organisation)


def _set_requirements(template, requirements):
    RatingTemplateRequirement.delete().where(RatingTemplateRequirement.template == template).execute()
    if requirements:
        RatingTemplateRequirement.insert_many(
            [
                {"template": template.id, "profile_type": type_name, "check_code": code, "check_name": name, "validity_months": months}
                for type_name, code, name, months in requirements
            ]
        ).execute()


def _copy_everywhere(template):
    for organisation in Organisation.select().where(Organisation.trust == template.trust_id).order_by(Organisation.id):
        _copy(template, organisation)


def _copy(template, organisation):
    """Write `organisation`'s copy of `template`: its fields and its requirements in the school's own types."""
    copy = RatingSystem.get_or_none((RatingSystem.organisation == organisation) & (RatingSystem.template == template))
    fields = {
        "name": template.name,
        "ready_colour": template.ready_colour,
        "not_ready_colour": template.not_ready_colour,
        "enabled": template.enabled,
    }
    if copy is None:
        position = RatingSystem.select().where(RatingSystem.organisation == organisation).count()
        copy = RatingSystem.create(organisation=organisation, template=template, position=position, **fields)
    elif any(getattr(copy, name) != value for name, value in fields.items()):
        RatingSystem.update(**fields).where(RatingSystem.id == copy.id).execute()
    wanted = set()
    for requirement in template.requirements:
        wanted.add((_profile_type(organisation, requirement.profile_type).id, _check_type(organisation, requirement).id))
    current = {(r.profile_type_id, r.check_type_id): r.id for r in RatingRequirement.select().where(RatingRequirement.rating_system == copy)}
    gone = [rid for pair, rid in current.items() if pair not in wanted]
    if gone:
        RatingRequirement.delete().where(RatingRequirement.id.in_(gone)).execute()
    added = sorted(wanted - set(current))
    if added:
        RatingRequirement.insert_many(
            [{"rating_system": copy.id, "profile_type": type_id, "check_type": check_id} for type_id, check_id in added]
        ).execute()


def _profile_type(organisation, name):
    found = ProfileType.get_or_none((ProfileType.organisation == organisation) & (ProfileType.name == name))
    if found is None:
        position = ProfileType.select().where(ProfileType.organisation == organisation).count()
        found = ProfileType.create(organisation=organisation, name=name, position=position)
    return found


def _check_type(organisation, requirement):
    found = CheckType.get_or_none((CheckType.organisation == organisation) & (CheckType.code == requirement.check_code))
    if found is None:
        found = CheckType.create(
            organisation=organisation, code=requirement.check_code, name=requirement.check_name,
            validity_months=requirement.validity_months,
        )
    return found
