"""Mapping rules as an organisation keeps them: the rule set a sync uses, edits, and their preview.

Every change to a rule is one service function here that writes its audit event with the rule before
and after, so the console and the CLI change rules the same way.

Custom fields named by label (`custom."Department"`) are saved by key (`custom.c3YQ5d9wQi`), the rest of
the rule as typed, and shown with the label Sign In App gives now (`shown_expression`): a label renamed in
Sign In App neither breaks a saved rule nor leaves it showing the old name. A name Sign In App's field
definitions do not know is saved as written, and warned about.
"""
from collections import Counter, OrderedDict, namedtuple
from dataclasses import dataclass, field

from peewee import fn

from connectors.sia.protocol import Member
from rules import RuleError, RuleSet, compile_rule, validate
from rules.pretty import value_text
from store import database
from store.models import AuditEvent, Link, MappingRule, Profile, ProfileType, SiaGroup, SiaMember, now

from . import custom_fields, plan


class RuleChangeRefused(ValueError):
    """A rule change that cannot be saved, with the reason and what to do; `rule` is the rule at fault."""

    def __init__(self, message, rule=None):
        super().__init__(message)
        self.rule = rule


def rule_member(shadow, group=None):
    """A member shadow as mapping rules see it (DESIGN §4): the same reading the import makes."""
    group = group or shadow.group
    member = Member(id=shadow.sia_id, group_id=group.sia_id, personal_fields=shadow.personal_fields or {})
    return plan.rule_member(member, group.name, group.sia_id)


def ruleset_for(organisation, rules=None):
    """The organisation's rule set in order, or `rules` (MappingRule rows, saved or not) in their order.

    A stored rule that no longer compiles is refused with its position, so a sync fails loudly instead
    of quietly mapping nobody."""
    rows = list(MappingRule.ordered(organisation)) if rules is None else rules
    fields = custom_fields.for_organisation(organisation)
    entries = []
    for position, rule in enumerate(rows, start=1):
        try:
            entries.append((rule.profile_type, compile_rule(rule.expression, fields), rule.enabled))
        except RuleError as exc:
            raise RuleChangeRefused(
                f"mapping rule {position} ({rule.profile_type.name}) is not valid: {exc.message}; "
                "fix it under Settings > Sign In App > Configuration > Profile Type Map",
                rule,
            ) from exc
    return RuleSet(entries)


def linked_group_names(organisation):
    return [g.name for g in SiaGroup.synced_for(organisation)]


def group_rule(group):
    """The rule that takes every member of `group` (a SiaGroup), e.g. `group == "Support Staff"`."""
    return f"group == {value_text(group.name)}"


def check_expression(organisation, expression):
    """(canonical form, warnings) of a rule, or RuleError; unknown group names and custom fields are warnings."""
    fields = custom_fields.for_organisation(organisation)
    rule = compile_rule(expression, fields)
    return rule.canonical, validate(expression, linked_group_names(organisation), fields)


def saved_expression(organisation, expression):
    """The text a rule is saved as: as typed, its custom fields by key (RuleError when it is not a rule)."""
    return compile_rule(expression.strip(), custom_fields.for_organisation(organisation)).keyed_text


def shown_expression(expression, fields):
    """A saved rule as a person reads it: its custom fields by their current labels (`fields`, the
    account's CustomFields); as saved when it no longer compiles."""
    try:
        return compile_rule(expression, fields).labelled_text
    except RuleError:
        return expression


def _snapshot(rule):
    return {
        "profile_type": rule.profile_type.name,
        "expression": rule.expression,
        "position": rule.position,
        "enabled": rule.enabled,
        "version": rule.version,
    }


def _profile_type(organisation, profile_type_id):
    profile_type = ProfileType.get_or_none((ProfileType.id == profile_type_id) & (ProfileType.organisation == organisation))
    if profile_type is None:
        raise RuleChangeRefused("choose one of this organisation's profile types")
    return profile_type


def _audit(action, rule, actor, before=None, after=None):
    AuditEvent.record(
        action, actor=actor, organisation=rule.organisation_id, subject=f"mapping_rule:{rule.id}", before=before, after=after
    )


def create_rule(organisation, profile_type_id, expression, actor, enabled=True):
    expression = saved_expression(organisation, expression)
    with database.atomic():
        last = MappingRule.ordered(organisation).order_by(MappingRule.position.desc()).first()
        rule = MappingRule.create(
            organisation=organisation,
            profile_type=_profile_type(organisation, profile_type_id),
            expression=expression,
            position=(last.position + 1) if last else 0,
            enabled=enabled,
            updated_by=getattr(actor, "email", actor),
        )
        _audit("mapping_rule.create", rule, actor, after=_snapshot(rule))
    return rule


def _locked_update(rule, version, actor, action, **changes):
    """Apply `changes` if nobody saved the rule since `version` was read (optimistic locking)."""
    with database.atomic():
        before = _snapshot(rule)
        changes.update(version=MappingRule.version + 1, updated_at=now(), updated_by=getattr(actor, "email", actor))
        updated = (
            MappingRule.update(**changes).where((MappingRule.id == rule.id) & (MappingRule.version == version)).execute()
        )
        if not updated:
            raise RuleChangeRefused(
                "someone else changed this rule since you opened it; reload the page to see their change"
            )
        rule = MappingRule.get_by_id(rule.id)
        _audit(action, rule, actor, before=before, after=_snapshot(rule))
    return rule


def update_rule(rule, profile_type_id, expression, actor, version):
    expression = saved_expression(rule.organisation, expression)
    return _locked_update(
        rule,
        version,
        actor,
        "mapping_rule.update",
        expression=expression,
        profile_type=_profile_type(rule.organisation, profile_type_id),
    )


def set_enabled(rule, enabled, actor, version):
    return _locked_update(rule, version, actor, "mapping_rule.enable" if enabled else "mapping_rule.disable", enabled=enabled)


def move_rule(rule, offset, actor):
    """Move a rule up (-1) or down (+1) in the order; the rules keep consecutive positions."""
    with database.atomic():
        rows = list(MappingRule.ordered(rule.organisation))
        index = next(i for i, row in enumerate(rows) if row.id == rule.id)
        target = index + offset
        if not 0 <= target < len(rows):
            return rule
        before = [row.id for row in rows]
        rows.insert(target, rows.pop(index))
        for position, row in enumerate(rows):
            if row.position != position:
                MappingRule.update(position=position).where(MappingRule.id == row.id).execute()
        AuditEvent.record(
            "mapping_rule.move",
            actor=actor,
            organisation=rule.organisation_id,
            subject=f"mapping_rule:{rule.id}",
            before={"order": before},
            after={"order": [row.id for row in rows]},
        )
    return MappingRule.get_by_id(rule.id)


def delete_rule(rule, actor):
    with database.atomic():
        _audit("mapping_rule.delete", rule, actor, before=_snapshot(rule))
        rule.delete_instance()


@dataclass
class Preview:
    """What the rule set would do to the members in the mirror, and to the profiles already linked."""

    counts: Counter = field(default_factory=Counter)  # profile type name (None = no rule) → members
    taken: list = field(default_factory=list)  # members the edited rule would take
    unmapped: list = field(default_factory=list)  # members no rule takes
    type_changes: list = field(default_factory=list)  # (profile, current type, new type)
    total: int = 0


class _Shadow(namedtuple("_Shadow", "id sia_id group_id personal_fields")):
    """The part of a member shadow (SiaMember) the preview reads."""

    display_name = SiaMember.display_name


_MIRROR_CACHE = OrderedDict()  # organisation id → (fingerprint, [(shadow, group, rule member)])
_MIRROR_CACHE_SIZE = 16


def _mirror(organisation):
    """Every member shadow in the organisation's synced groups that is still in SIA, with its group and
    the member as rules see it.

    The preview goes through the whole mirror on every keystroke in the rule editor, so the members
    are read as plain rows and kept, per organisation, until the mirror changes: a fingerprint query
    (the groups, and the count, newest id, last import's touch and size of the members) says when.
    Every import touches `seen_at`, so a kept copy never outlives the next import."""
    groups = {g.id: g for g in SiaGroup.synced_for(organisation)}
    if not groups:
        return []
    current = (
        SiaMember.group.in_(list(groups)) & SiaMember.gone_at.is_null() & (SiaMember.archived == False)  # noqa: E712
    )
    fingerprint = (
        tuple(sorted((g.id, g.sia_id, g.name) for g in groups.values())),
        *database.execute(
            SiaMember.select(
                fn.COUNT(SiaMember.id), fn.MAX(SiaMember.id), fn.MAX(SiaMember.seen_at),
                fn.SUM(fn.LENGTH(SiaMember.personal_fields)),
            ).where(current)
        ).fetchone(),
    )
    kept = _MIRROR_CACHE.get(organisation.id)
    if kept is not None and kept[0] == fingerprint:
        _MIRROR_CACHE.move_to_end(organisation.id)
        return kept[1]
    shadows = (
        SiaMember.select(SiaMember.id, SiaMember.sia_id, SiaMember.group, SiaMember.personal_fields)
        .where(current)
        .order_by(SiaMember.id)
    )
    rows = []
    for shadow_id, sia_id, group_id, fields in database.execute(shadows):
        shadow = _Shadow(shadow_id, sia_id, group_id, SiaMember.personal_fields.python_value(fields))
        rows.append((shadow, groups[group_id], rule_member(shadow, groups[group_id])))
    _MIRROR_CACHE[organisation.id] = (fingerprint, rows)
    while len(_MIRROR_CACHE) > _MIRROR_CACHE_SIZE:
        _MIRROR_CACHE.popitem(last=False)
    return rows


def _linked_types(organisation):
    """member id → (profile id, profile type id) of every active linked profile, as plain rows."""
    rows = (
        Link.select(Link.sia_member, Profile.id, Profile.profile_type)
        .join(Profile, on=(Link.profile == Profile.id))
        .where((Link.organisation == organisation) & Link.severed_at.is_null() & (Profile.status == "active"))
    )
    return {member_id: (profile_id, type_id) for member_id, profile_id, type_id in database.execute(rows)}


def preview(organisation, rules, edited=None, sample=50):
    """Run `rules` (MappingRule rows, possibly unsaved) over the mirror.

    `edited` is the rule being edited: the members it would take are listed. Linked profiles whose
    type the rule set would change are listed but never changed here (see `apply_type_changes`)."""
    ruleset = ruleset_for(organisation, rules)
    edited_rule = compile_rule(edited.expression, custom_fields.for_organisation(organisation)) if edited is not None else None
    taking = edited_rule is not None and edited.enabled
    linked = _linked_types(organisation)
    result = Preview()
    changes = {}  # profile id → the type the rules now give it
    for shadow, group, member in _mirror(organisation):
        profile_type = ruleset.match(member)
        result.total += 1
        result.counts[profile_type.name if profile_type else None] += 1
        row = {"shadow": shadow, "group": group, "name": shadow.display_name, "profile_type": profile_type}
        if (
            taking
            and len(result.taken) < sample
            and profile_type is not None
            and profile_type.id == edited.profile_type_id
            and edited_rule.matches(member)
        ):
            result.taken.append(row)
        if profile_type is None and len(result.unmapped) < sample:
            result.unmapped.append(row)
        profile_id, type_id = linked.get(shadow.id, (None, None))
        if profile_id is not None and profile_type is not None and type_id != profile_type.id:
            changes[profile_id] = profile_type
    if changes:
        profiles = Profile.select(Profile, ProfileType).join(ProfileType).where(Profile.id.in_(list(changes)))
        result.type_changes = [(p, p.profile_type, changes[p.id]) for p in profiles.order_by(Profile.id)]
    return result


def apply_type_changes(organisation, actor):
    """Give every linked profile the type the saved rules now map its member to; returns how many changed."""
    changes = preview(organisation, None).type_changes
    with database.atomic():
        for profile, old_type, new_type in changes:
            Profile.update(profile_type=new_type, version=Profile.version + 1, updated_at=now()).where(
                Profile.id == profile.id
            ).execute()
            AuditEvent.record(
                "profile.retype",
                actor=actor,
                organisation=organisation,
                subject=f"profile:{profile.id}",
                before={"profile_type": old_type.name},
                after={"profile_type": new_type.name},
                reason="mapping rules changed",
            )
    return len(changes)


def explain_member(organisation, shadow, rules=None):
    """Every rule's trace for one member, in order, and which rule decides (the first enabled match).

    Returns (rows, winner): rows are (rule, explanation) for every rule, disabled ones included, so a
    person can see why each did or did not take the member."""
    rows = list(MappingRule.ordered(organisation)) if rules is None else rules
    member = rule_member(shadow)
    fields = custom_fields.for_organisation(organisation)
    traced = [(rule, compile_rule(rule.expression, fields).explain(member)) for rule in rows]
    winner = next((rule for rule, explanation in traced if rule.enabled and explanation.matched), None)
    return traced, winner
