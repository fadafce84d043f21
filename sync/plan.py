"""The plan of an SIA import: one Decision per member, with its situation and the reason, before anything changes.

For each member of a returning group linked to the organisation (DESIGN §5), in this order:

| situation  | when                                                                  | what applying it does                 |
|------------|-----------------------------------------------------------------------|---------------------------------------|
| excluded   | the member is on the organisation's exclusion list                    | nothing                               |
| gone       | archived in Sign In App, or no longer in the synced groups            | marks the shadow gone; profile kept   |
| leaver     | linked to a profile whose leaving date is today or earlier            | severs the link (`leaver`)            |
|            | or linked, and its MIS leaving date (mapped) is today or earlier       | copies the fields, severs the link    |
|            | or unlinked since its link was severed as a leaver                    | nothing until someone re-links        |
| updated    | linked, profile active, a mapped field differs                        | copies the mapped fields              |
| unchanged  | linked, profile active, nothing differs                               | nothing                               |
| linked     | unlinked, a rule matches, `auto_link_exact_email` on and exactly one   | links that profile, copies the fields |
|            | active unlinked profile of the organisation has the member's email    |                                       |
| created    | unlinked, a rule matches                                              | creates a profile of the rule's type  |
| unmapped   | unlinked, no rule matches                                             | nothing                               |

A member `created` or `linked` whose MIS leaving date (mapped to the profile's) is today or earlier is
a leaver at once: its new link is severed as it is made (`Decision.severs`), as a leaving date typed in
Central Record severs it (sync.leavers). MIS fields are used only with the connection's Wonde toggle on.

A linked group that answers with no members although it had some is held: its members are not marked
gone, and the plan carries a problem saying why. Building a plan reads the database and writes nothing.

Each link remembers the state its two sides last agreed in (`Link.reconciled`: the member's digest, a
fingerprint of the profile's mapped values, the field mapping's fingerprint). A linked member for which
all three are unchanged is `unchanged` without working out and comparing its fields, which is most of
an unchanged rerun; any change on either side, or to the field mapping, compares it as the table says.
"""
import datetime
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple
from operator import itemgetter

from peewee import JOIN

from rules import RuleError, RuleSet, compile_rule
from store.models import Exclusion, Link, MappingRule, Profile, ProfileType, SiaGroup, SiaMember

from . import custom_fields, fields, mirror
from .runs import Problem

SITUATIONS = ("created", "updated", "unchanged", "linked", "excluded", "unmapped", "leaver", "gone")


@dataclass(slots=True)  # a plan holds one per member: slots make them quicker to make and smaller
class Decision:
    sia_id: int
    name: str
    group_id: int | None  # the SIA group's id
    situation: str
    reason: str
    member: object = None  # the connector's Member; None for a member no longer in the synced groups
    profile_id: int | None = None
    link_id: int | None = None
    profile_type_id: int | None = None
    profile_type: str | None = None
    changes: dict | None = None  # created: the new profile's fields; else {field: [old, new]}; None: no change
    sia_changes: dict | None = None  # personal fields to write to Sign In App; None: none
    digest: str | None = None  # mirror.digest(member); None once the member is replaced by Sign In App's answer
    profile_state: str | None = None  # profile_state() of the linked profile once this decision is applied
    reconciled: str | None = None  # the link's Link.reconciled as the plan read it
    sia_failed: bool = False  # its Sign In App write was refused: the two sides do not agree
    settled: bool = False  # shadow, link and profile are as the last import left them: nothing to write
    severs: bool = False  # created or linked with an MIS leaving date of today or earlier: sever the new link

    def to_dict(self):
        return {
            "sia_member_id": self.sia_id,
            "name": self.name,
            "group_id": self.group_id,
            "situation": self.situation,
            "reason": self.reason,
            "profile_id": self.profile_id,
            "profile_type": self.profile_type,
            "changes": self.changes or {},
            "sia_changes": self.sia_changes or {},
        }


@dataclass
class Plan:
    organisation_id: int
    decisions: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    synced_group_ids: list = field(default_factory=list)
    shadows: dict = field(default_factory=dict)  # mirror.shadows_of(connection) as the plan found them
    mapping: str = ""  # the fingerprint of the field mapping the plan used (fields.FieldMap.fingerprint)

    @property
    def counts(self):
        tally = Counter(decision.situation for decision in self.decisions)
        return {situation: tally.get(situation, 0) for situation in SITUATIONS}


def rule_member(member, group_name, group_id):
    """A member (connectors.sia.protocol.Member) of a group as mapping rules see it (DESIGN §4)."""
    return {
        "group": group_name,
        "group_id": group_id,
        "role": member.role,
        "email": member.email,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "custom": member.custom,
    }


# Rules compile to immutable Rule objects; every run of every organisation would otherwise parse each again.
_compiled = lru_cache(maxsize=1024)(compile_rule)


def rule_set(organisation, problems, fields):
    """The organisation's mapping rules, compiled with `fields` (the account's custom field definitions,
    rules.CustomFields); a rule that does not compile is left out, with a problem."""
    entries = []
    for rule in MappingRule.ordered(organisation):
        try:
            entries.append((rule.profile_type_id, _compiled(rule.expression, fields), rule.enabled))
        except RuleError as error:
            problems.append(
                Problem(
                    f"rule:{rule.id}",
                    rule.expression,
                    "mapping_rule",
                    f"Mapping rule {rule.position + 1} ({rule.expression!r}) is left out of this run: {error}. "
                    "Correct it under Settings > Sign In App > Configuration > Profile Type Map.",
                )
            )
    return RuleSet(entries)


def _profile_columns():
    return (
        Profile.id,
        Profile.organisation,
        Profile.forename,
        Profile.surname,
        Profile.email,
        Profile.mobile,
        Profile.role,
        Profile.status,
        Profile.leaving_date,
        ProfileType.name.alias("profile_type_name"),
        Profile.dob,
        Profile.start_date,
    )


_PROFILE_KEYS = ("id", "organisation", "forename", "surname", "email", "mobile", "role", "status", "leaving_date",
                 "profile_type_name", "dob", "start_date", "reconciled")


class _Linked(NamedTuple):
    """A member's active link and its profile, as the plan reads them (one per linked member, every run)."""

    link_id: int
    profile_id: int
    organisation: int
    forename: str
    surname: str
    email: str | None
    mobile: str | None
    role: str | None
    status: str
    leaving_date: datetime.date | None
    profile_type_name: str
    dob: datetime.date | None
    start_date: datetime.date | None
    reconciled: str | None

    @property
    def mapped_values(self):
        """The values profile_state() fingerprints, in its order."""
        return (self.forename, self.surname, self.email, self.mobile, self.role, self.profile_type_name,
                self.dob, self.start_date, self.leaving_date)

    def profile(self):
        """The profile as a dict of its columns, for the decisions that compare it."""
        return dict(zip(_PROFILE_KEYS, self[1:]))


def _linked_profiles(connection):
    """{SIA member id: _Linked} for the connection's members with an active link.

    Read as raw rows: only the dates need converting."""
    query = (
        Link.select(Link.id, SiaMember.sia_id, *_profile_columns(), Link.reconciled)
        .join(SiaMember, on=(Link.sia_member == SiaMember.id))
        .switch(Link)
        .join(Profile, on=(Link.profile == Profile.id))
        .join(ProfileType, on=(Profile.profile_type == ProfileType.id))
        .where((SiaMember.connection == connection) & Link.severed_at.is_null())
    )
    as_date = Profile.leaving_date.python_value
    linked = {}
    for link_id, sia_id, *values in mirror.raw_rows(query):
        for index in (8, 10, 11):  # leaving_date, dob, start_date
            if values[index] is not None:
                values[index] = as_date(values[index])
        linked[sia_id] = _Linked(link_id, *values)
    return linked


def _severed_as_leavers(organisation, connection, linked):
    """{SIA member id: severed_at} for unlinked members whose last link was severed because the profile left."""
    query = (
        Link.select(SiaMember.sia_id, Link.sever_reason, Link.severed_at)
        .join(SiaMember, on=(Link.sia_member == SiaMember.id))
        .where((Link.organisation == organisation) & (SiaMember.connection == connection) & Link.severed_at.is_null(False))
        .order_by(Link.severed_at, Link.id)
        .tuples()
    )
    last = {}
    for sia_id, reason, severed_at in query:
        last[sia_id] = (reason, severed_at)
    return {sia_id: at for sia_id, (reason, at) in last.items() if reason == "leaver" and sia_id not in linked}


def _free_profiles_by_email(organisation, today):
    """{lower-case email: [profile dict]} of the organisation's active, unlinked, non-leaver profiles."""
    query = (
        Profile.select(*_profile_columns())
        .join(ProfileType, on=(Profile.profile_type == ProfileType.id))
        .switch(Profile)
        .join(Link, JOIN.LEFT_OUTER, on=((Link.profile == Profile.id) & Link.severed_at.is_null()))
        .where(
            (Profile.organisation == organisation)
            & (Profile.status == "active")
            & Profile.email.is_null(False)
            & Link.id.is_null()
            & (Profile.leaving_date.is_null() | (Profile.leaving_date > today))
        )
        .dicts()
    )
    by_email = {}
    for row in query:
        email = (row["email"] or "").strip().lower()
        if email:
            by_email.setdefault(email, []).append(row)
    return by_email


def _state_after(profile, changes):
    """profile_state() of `profile` once `changes` ({column: [old, new]}) are written."""
    return profile_state({**profile, **{column: new for column, (old, new) in changes.items()}})


def _field_changes(profile, values):
    return {
        column: [profile[column], value]
        for column, value in values.items()
        if (profile[column] or None) != (value or None)
    }


def build(organisation, connection, snapshot, today=None):
    """The plan for applying `snapshot` (a mirror.Snapshot) to `organisation`. Reads only."""
    today = today or datetime.date.today()
    plan = Plan(organisation.id)
    plan.shadows = shadows = snapshot.shadows if snapshot.shadows is not None else mirror.shadows_of(connection)
    field_map = fields.field_map(organisation)
    if not connection.wonde:
        field_map = fields.without_mis(field_map, fields.wonde_off_reason())
    for message in field_map.invalid:
        plan.problems.append(Problem("", "", "field_mapping", message))
    rules = rule_set(organisation, plan.problems, custom_fields.of_snapshot(snapshot))
    type_names = dict(
        ProfileType.select(ProfileType.id, ProfileType.name).where(ProfileType.organisation == organisation).tuples()
    )
    excluded = {
        sia_id
        for (sia_id,) in Exclusion.active(organisation)
        .select(Exclusion.sia_member_id)
        .where(Exclusion.connection == connection)
        .tuples()
    }
    linked = _linked_profiles(connection)
    leavers_severed = _severed_as_leavers(organisation, connection, linked)
    auto_link = bool(organisation.setting("auto_link_exact_email"))
    free_by_email = _free_profiles_by_email(organisation, today) if auto_link else {}
    claimed = set()

    groups = snapshot.synced_groups(organisation.id)
    plan.synced_group_ids = [group.id for group in groups]
    read_ids = set()
    plan.mapping = mapping = field_map.fingerprint
    for group in groups:
        for member in snapshot.members.get(group.id, []):
            if member.id in read_ids:
                continue
            read_ids.add(member.id)
            if isinstance(member, mirror.Remembered):
                # On a page Sign In App says is unchanged: settled while its link still agrees, else
                # decided like any other member, from what the last import read.
                decision = _remembered_still_agreed(member, group, linked.get(member.id), excluded, mapping, today)
                if decision is not None:
                    plan.decisions.append(decision)
                    continue
                member = member.load()
            digest = mirror.digest(member)
            link = linked.get(member.id)
            decision = None
            if link is not None and member.id not in excluded:
                decision = _still_agreed(member, group, link, digest, mapping, today)
                shadow = shadows.get(member.id)
                if decision is not None and shadow is not None and shadow.digest == digest and not shadow.gone:
                    decision.settled = True
            if decision is None:
                decision = _decide(member, group, rules, type_names, field_map, excluded, link, leavers_severed,
                                   free_by_email, claimed, today, digest, mapping)
            decision.digest = digest
            plan.decisions.append(decision)
    _plan_departures(plan, connection, groups, snapshot, shadows, read_ids)
    return plan


# What a field mapping can read or write of a profile (fields.SCR_TARGETS and SCR_SOURCES).
_mapped_values = itemgetter("forename", "surname", "email", "mobile", "role", "profile_type_name", "dob", "start_date",
                            "leaving_date")


def profile_state(profile):
    """A short fingerprint of the profile's values a field mapping can read or write (`profile` a dict)."""
    return _state_of(_mapped_values(profile))


def _state_of(values):
    return hashlib.sha256(repr(values).encode()).hexdigest()[:16]


def reconciled_as(digest, state, mapping):
    """Link.reconciled for a member with `digest` and a profile in `state`, agreeing under field `mapping`.

    While all three stay the same the two sides still agree, so the next import need not compare them: a
    change on either side, or to the field mapping, changes the stamp and the member is compared again.
    """
    return f"{digest}:{state}:{mapping}"


def _still_agreed(member, group, link, digest, mapping, today):
    """The `unchanged` decision for a linked member whose link, member and profile are as they were when
    the two sides last agreed (Link.reconciled), worked out from the link's row alone; else None."""
    if link.reconciled is None or member.archived or link.status != "active":
        return None
    if link.leaving_date is not None and link.leaving_date <= today:
        return None
    state = _state_of(link.mapped_values)
    if link.reconciled != reconciled_as(digest, state, mapping):
        return None
    return Decision(member.id, member.name, group.id, "unchanged", "linked and up to date", member,
                    link.profile_id, link.link_id, None, link.profile_type_name, profile_state=state,
                    reconciled=link.reconciled)


def _remembered_still_agreed(member, group, link, excluded, mapping, today):
    """The settled `unchanged` decision for a remembered member (mirror.Remembered: its shadow holds what
    Sign In App has) whose link still agrees; else None. Its name is left for `name_remembered`."""
    if link is None or member.id in excluded:
        return None
    decision = _still_agreed(member, group, link, member.digest, mapping, today)
    if decision is not None:
        decision.digest, decision.settled = member.digest, True
    return decision


def name_remembered(decisions):
    """Give the decisions of remembered members their names, for showing them (a dry run's decisions)."""
    for decision in decisions:
        if decision.name is None and isinstance(decision.member, mirror.Remembered):
            decision.name = decision.member.load().name


def _decide(member, group, rules, type_names, field_map, excluded, link, leavers_severed, free_by_email, claimed,
            today, digest, mapping):
    """The decision for one member; `link` is its _Linked or None, `digest` its mirror.digest, `mapping`
    the field map's fingerprint."""
    def decision(situation, reason, **extra):
        return Decision(member.id, member.name, group.id, situation, reason, member, **extra)

    if member.id in excluded:
        return decision("excluded", "on the exclusion list; restore it to import this member again")
    if member.archived:
        return decision("gone", "archived in Sign In App; the profile is kept as it is")
    if link is not None:
        link_id, profile = link.link_id, link.profile()
        ids = {"profile_id": profile["id"], "link_id": link_id, "profile_type": profile["profile_type_name"]}
        if profile["leaving_date"] is not None and profile["leaving_date"] <= today:
            return decision(
                "leaver", f"the profile left on {profile['leaving_date']:%d %b %Y}; the link is severed", **ids
            )
        if profile["status"] != "active":
            return decision("unchanged", f"the linked profile is {profile['status']}; it is not updated", **ids)
        state = profile_state(profile)
        changes = _field_changes(profile, fields.member_to_profile(member, field_map.to_scr, creating=False))
        left = _left_by_mis(changes, today)
        if left is not None:
            return decision("leaver", f"the MIS gives the leaving date {left:%d %b %Y}; the link is severed",
                            changes=changes, **ids)
        sia_changes = fields.sia_changes(member, profile, field_map.to_sia) if field_map.to_sia else {}
        if changes or sia_changes:
            changed = ", ".join(list(changes) + [f"Sign In App {name}" for name in sia_changes])
            return decision("updated", f"changed: {changed}", changes=changes, sia_changes=sia_changes,
                            profile_state=_state_after(profile, changes), reconciled=profile["reconciled"], **ids)
        return decision("unchanged", "linked and up to date", profile_state=state, reconciled=profile["reconciled"], **ids)
    if member.id in leavers_severed:
        return decision(
            "leaver",
            f"its link was severed on {leavers_severed[member.id]:%d %b %Y} because the profile left; "
            "re-link the profile to sync this member again",
        )
    profile_type_id = rules.match(rule_member(member, group.name, group.id))
    if profile_type_id is None:
        return decision("unmapped", "no mapping rule matches this member")
    type_name = type_names.get(profile_type_id)
    candidates = [row for row in free_by_email.get(member.email.lower(), []) if row["id"] not in claimed] if member.email else []
    if len(candidates) == 1:
        profile = candidates[0]
        claimed.add(profile["id"])
        values = fields.member_to_profile(member, field_map.to_scr, creating=False)
        changes = _field_changes(profile, values)
        left = _left_by_mis(changes, today)
        return decision(
            "linked",
            f"the only active unlinked profile with the email {member.email}" + _severed_at_once(left),
            severs=left is not None,
            profile_id=profile["id"],
            profile_type=profile["profile_type_name"],
            changes=changes,
            sia_changes=fields.sia_changes(member, profile, field_map.to_sia),
            profile_state=_state_after(profile, changes),
        )
    values = fields.member_to_profile(member, field_map.to_scr, creating=True)
    new_profile = {**dict.fromkeys(fields.PROFILE_COLUMNS + fields.DATE_TARGETS), **values, "profile_type_name": type_name}
    left = _left_by_mis({"leaving_date": [None, values["leaving_date"]]} if values.get("leaving_date") else {}, today)
    return decision(
        "created",
        f"matches the mapping rule for {type_name}" + _severed_at_once(left),
        severs=left is not None,
        profile_type_id=profile_type_id,
        profile_type=type_name,
        changes=values,
        sia_changes=fields.sia_changes(member, new_profile, field_map.to_sia),
        profile_state=profile_state(new_profile),
    )


def _left_by_mis(changes, today):
    """The leaving date `changes` bring from the MIS when it is today or earlier (the profile is a leaver
    once they are written), else None."""
    change = changes.get("leaving_date")
    left = change[1] if change else None
    return left if left is not None and left <= today else None


def _severed_at_once(left):
    return f"; the MIS gives the leaving date {left:%d %b %Y}, so its link is severed at once" if left else ""


def _plan_departures(plan, connection, groups, snapshot, shadows, read_ids):
    """Gone decisions for shadows of the synced groups whose member was not read, except in a held group."""
    rows = dict(
        SiaGroup.select(SiaGroup.id, SiaGroup.sia_id)
        .where((SiaGroup.connection == connection) & SiaGroup.sia_id.in_(plan.synced_group_ids or [0]))
        .tuples()
    )
    names = {group.id: group.name for group in groups}
    waiting = {}
    for shadow in shadows.values():
        if not shadow.gone and shadow.group_id in rows and shadow.sia_id not in read_ids:
            waiting.setdefault(rows[shadow.group_id], []).append(shadow)
    for group_id, departed in waiting.items():
        known = sum(1 for shadow in shadows.values() if not shadow.gone and rows.get(shadow.group_id) == group_id)
        if not snapshot.members.get(group_id):
            plan.problems.append(
                Problem(
                    f"group:{group_id}",
                    names[group_id],
                    "empty_group",
                    f"Sign In App returned no members for the group '{names[group_id]}' (id {group_id}), which "
                    f"had {known} at the last sync, so none of them was marked gone: an empty answer is more "
                    "likely a fault than everyone leaving at once. Check the group in Sign In App; members "
                    "removed one at a time are marked gone as usual.",
                )
            )
            continue
        member_names = mirror.names_of([shadow.id for shadow in departed])
        for shadow in sorted(departed, key=lambda s: s.sia_id):
            plan.decisions.append(
                Decision(shadow.sia_id, member_names[shadow.id], group_id, "gone",
                         "no longer in the group in Sign In App; the profile is kept as it is")
            )
