"""Readiness: is a profile ready in a rating system on a given date, and if not, what is missing?

A profile is *ready* in a rating system when every check its profile type requires there has a record
that counts on that date (DESIGN §6). A record counts when it is marked not required, or was completed
on or before the date, and has not expired.

A check expires *on* its expiry date: it counts up to the day before and not on the day itself. The
expiry date is the record's own `expires_on` when set, else its completion date plus the check type's
`validity_months` (month-end aware: 31 January + 1 month = 28 or 29 February), else never.

The pure part (`add_months`, `expiry_of`, `record_standing`, `check_standing`, `assess`) works on plain
values; the loaders (`readiness_of`, `organisation_readiness`, `expiring_checks`) read the store in a
fixed, small number of queries, whatever the number of requirements or profiles.

The safety check keeps each organisation's enabled rating systems and requirements in memory
(`enabled_requirements`), read from the tables in `REQUIREMENT_SOURCES`; the database's triggers move
the store's 'compliance' revision on at every change to those tables, and the copy with it.
"""
import calendar
import datetime
import json
import weakref
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from peewee import SQL, fn

from store.db import database, is_postgres
from store.models import CheckRecord, CheckType, Profile, RatingRequirement, RatingSystem, StoreRevision

EXPIRING_SOON_DAYS = 30

VALID, MISSING, EXPIRED = "valid", "missing", "expired"


def add_months(day, months):
    """`day` plus `months` calendar months, clamped to the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiry_of(completed_on, expires_on, not_required, validity_months):
    """The day a record stops counting, or None when it never expires."""
    if expires_on is not None:
        return expires_on
    if not_required or completed_on is None or validity_months is None:
        return None
    return add_months(completed_on, validity_months)


# Readiness is worked out at every sign-in: its values are named tuples, which cost a fraction of
# what (frozen) dataclasses cost to build.
class RecordFacts(NamedTuple):
    """What readiness needs of a check record, as plain values."""

    check_type_id: int
    completed_on: datetime.date | None
    expires_on: datetime.date | None
    not_required: bool
    record_id: int | None = None

    @classmethod
    def of(cls, row):
        """The facts of a check record read as a dict of `RECORD_COLUMNS`' names."""
        return cls(row["check_type_id"], row["completed_on"], row["expires_on"], bool(row["not_required"]), row["id"])


def record_standing(record, validity_months, on):
    """How one check record stands on `on`, as (state, expiry): VALID when it counts (marked not
    required, or completed on or before `on`, and not expired), EXPIRED when its expiry is `on` or
    earlier, None when it does not count yet (not completed by then). `expiry` is None for never.

    The one rule of whether a record counts: the readiness of a profile and its list of checks both ask it.
    """
    expiry = expiry_of(record.completed_on, record.expires_on, record.not_required, validity_months)
    if not record.not_required and (record.completed_on is None or record.completed_on > on):
        return None, expiry
    if expiry is not None and expiry <= on:
        return EXPIRED, expiry
    return VALID, expiry


def _expires_within(expiry, on, days):
    return expiry is not None and expiry <= on + datetime.timedelta(days=days)


class CheckStanding(NamedTuple):
    """One required check on one date: valid, missing or expired, and when the counting record expires."""

    check_type_id: int
    name: str
    state: str
    expires_on: datetime.date | None = None
    record_id: int | None = None

    def expires_within(self, on, days):
        return self.state == VALID and _expires_within(self.expires_on, on, days)


def check_standing(check_type_id, name, validity_months, records, on):
    """The standing of one check on `on`, given every record of that check type for the profile.

    The record that counts longest wins, so a renewal supersedes the record it renews; with no record
    counting, an expired completed record makes the check `expired` rather than `missing`.
    """
    best, expired = None, None
    for record in records:
        state, expiry = record_standing(record, validity_months, on)
        if state == EXPIRED:
            if expired is None or expiry > expired[0]:
                expired = (expiry, record)
        elif state == VALID and (best is None or best[0] is not None and (expiry is None or expiry > best[0])):
            best = (expiry, record)
    if best is not None:
        return CheckStanding(check_type_id, name, VALID, best[0], best[1].record_id)
    if expired is not None:
        return CheckStanding(check_type_id, name, EXPIRED, expired[0], expired[1].record_id)
    return CheckStanding(check_type_id, name, MISSING)


class Readiness(NamedTuple):
    """A profile in one rating system on one date."""

    rating_system: RatingSystem
    ready: bool
    checks: tuple
    soon_days: int
    on: datetime.date

    @property
    def missing(self):
        return [c.name for c in self.checks if c.state == MISSING]

    @property
    def expired(self):
        return [c.name for c in self.checks if c.state == EXPIRED]

    @property
    def expiring(self):
        """The checks that count today but expire within `soon_days`, soonest first."""
        soon = [c for c in self.checks if c.expires_within(self.on, self.soon_days)]
        return sorted(soon, key=lambda c: (c.expires_on, c.name))

    @property
    def colour(self):
        return self.rating_system.ready_colour if self.ready else self.rating_system.not_ready_colour


def _by_name(requirement):
    return requirement[1].lower()


def assess(
    rating_system, required, records_by_type, on, soon_days=EXPIRING_SOON_DAYS, standings=None, ordered=False
):
    """Readiness in `rating_system`; `required` is [(check_type_id, name, validity_months)], checked in
    name order (`ordered`: it already is, as `Requirements` keeps it).

    `standings`, when given, is a dict of the check standings already worked out for the same profile on
    `on`, by check type id: systems that require the same check share its standing.
    """
    checks, ready = [], True
    for type_id, name, validity in required if ordered else sorted(required, key=_by_name):
        standing = None if standings is None else standings.get(type_id)
        if standing is None:
            standing = check_standing(type_id, name, validity, records_by_type.get(type_id, ()), on)
            if standings is not None:
                standings[type_id] = standing
        checks.append(standing)
        ready = ready and standing.state == VALID
    return Readiness(rating_system, ready, tuple(checks), soon_days, on)


# What readiness reads of a check record, by name: `RecordFacts.of` reads a row of these.
RECORD_COLUMNS = {
    "id": CheckRecord.id,
    "check_type_id": CheckRecord.check_type,
    "completed_on": CheckRecord.completed_on,
    "expires_on": CheckRecord.expires_on,
    "not_required": CheckRecord.not_required,
}


def _record_rows(where, *more):
    """The check records `where` selects, as dicts of `RECORD_COLUMNS` (and `more`, aliased) by name."""
    columns = [column.alias(name) for name, column in RECORD_COLUMNS.items()]
    return CheckRecord.select(*columns, *more).where(where).dicts()


def _records_by_profile(profile_ids):
    grouped = defaultdict(lambda: defaultdict(list))
    for row in _record_rows(CheckRecord.profile.in_(profile_ids), CheckRecord.profile.alias("profile_id")):
        grouped[row["profile_id"]][row["check_type_id"]].append(RecordFacts.of(row))
    return grouped


def _requirements(systems, profile_type_ids):
    """{(rating_system_id, profile_type_id): [(check_type_id, name, validity_months)]}."""
    required = defaultdict(list)
    if not systems or not profile_type_ids:
        return required
    query = (
        RatingRequirement.select(
            RatingRequirement.rating_system, RatingRequirement.profile_type, CheckType.id, CheckType.name,
            CheckType.validity_months,
        )
        .join(CheckType)
        .where(
            RatingRequirement.rating_system.in_([s.id for s in systems])
            & RatingRequirement.profile_type.in_(list(profile_type_ids))
        )
    )
    for system_id, type_id, check_type_id, name, validity in query.tuples():
        required[(system_id, type_id)].append((check_type_id, name, validity))
    return required


def records_by_type(records):
    """{check type id: [RecordFacts]} of `records` (RecordFacts)."""
    by_type = defaultdict(list)
    for record in records:
        by_type[record.check_type_id].append(record)
    return by_type


def _records_of_profile(profile_id):
    return [RecordFacts.of(row) for row in _record_rows(CheckRecord.profile == profile_id)]


class Requirements(NamedTuple):
    """An organisation's enabled rating systems, in order, and what each profile type needs in them."""

    systems: tuple  # RatingSystem instances
    required: dict  # (rating system id, profile type id) -> ((check type id, name, validity months), ...) by name

    def of(self, profile_type_id):
        """[(rating system, its requirements for `profile_type_id`)], in the systems' order."""
        return [(system, self.required.get((system.id, profile_type_id), ())) for system in self.systems]


# The tables `enabled_requirements` reads. Each must have triggers that move the 'compliance' revision
# on at every insert, update and delete (migration 0005 made them for these three); a table added here
# needs a migration adding its triggers (tests/compliance/test_requirements_in_memory.py checks both).
REQUIREMENT_SOURCES = (RatingSystem, RatingRequirement, CheckType)


def compliance_revision():
    """A scalar subquery: the store's revision of `REQUIREMENT_SOURCES` (migration 0005), for
    `enabled_requirements`. Select it in the query that reads what the requirements apply to."""
    return StoreRevision.select(StoreRevision.revision).where(StoreRevision.name == "compliance")


# database -> {organisation id: (revision, Requirements)}: each process's copy, per database.
_REQUIREMENTS = weakref.WeakKeyDictionary()


def _current_revision():
    return compliance_revision().scalar()


def _read_requirements(organisation_id):
    enabled = (RatingSystem.organisation == organisation_id) & (RatingSystem.enabled == True)  # noqa: E712
    systems = tuple(RatingSystem.select().where(enabled).order_by(RatingSystem.position, RatingSystem.name))
    rows = (
        RatingRequirement.select(
            RatingRequirement.rating_system.alias("rating_system_id"),
            RatingRequirement.profile_type.alias("profile_type_id"),
            CheckType.id.alias("check_type_id"),
            CheckType.name.alias("name"),
            CheckType.validity_months.alias("validity_months"),
        )
        .join(CheckType)
        .join_from(RatingRequirement, RatingSystem)
        .where(enabled)
        .dicts()
    )
    required = defaultdict(list)
    for row in rows:
        required[(row["rating_system_id"], row["profile_type_id"])].append(
            (row["check_type_id"], row["name"], row["validity_months"])
        )
    return Requirements(systems, {key: tuple(sorted(value, key=_by_name)) for key, value in required.items()})


def enabled_requirements(organisation_id, revision):
    """The organisation's `Requirements`, as of `revision` (`compliance_revision()`, read by the caller).

    Kept in memory between calls: read from the store again only when the revision has moved on, so a
    sign-in does not read the same rating systems and requirements every time. A revision of None (no
    revision row) is never kept.
    """
    kept = _REQUIREMENTS.setdefault(database.obj, {})
    copy = kept.get(organisation_id)
    if revision is not None and copy is not None and copy[0] == revision:
        return copy[1]
    before = _current_revision()
    requirements = _read_requirements(organisation_id)
    # Kept only when nothing changed while reading (and it is the revision the caller saw, or newer).
    if before is not None and before == _current_revision():
        kept[organisation_id] = (before, requirements)
    return requirements


def records_of(profile):
    """A scalar subquery: every check record of `profile` (a column of the enclosing query) as one JSON
    array of objects named as `RECORD_COLUMNS`, read back by `record_facts_of_json`: a sign-in reads a
    profile's records in its one query."""
    pairs = []
    for name, column in RECORD_COLUMNS.items():
        pairs += [SQL(f"'{name}'"), column]
    if is_postgres():  # json_agg of no rows is NULL
        rows = fn.COALESCE(fn.json_agg(fn.json_build_object(*pairs)), SQL("'[]'::json"))
    else:
        rows = fn.json_group_array(fn.json_object(*pairs))
    return CheckRecord.select(rows).where(CheckRecord.profile == profile)


def record_facts_of_json(value):
    """The RecordFacts of a `records_of` value: JSON text from SQLite, already a list from psycopg."""
    rows = json.loads(value) if isinstance(value, str) else value
    date = CheckRecord.completed_on.python_value  # ISO text, as both databases write a date in JSON
    return [
        RecordFacts(row["check_type_id"], date(row["completed_on"]), date(row["expires_on"]), bool(row["not_required"]), row["id"])
        for row in rows
    ]


def readiness_in(requirements, profile_type_id, records, on=None, soon_days=EXPIRING_SOON_DAYS):
    """Readiness in each of `requirements`' systems of a profile of `profile_type_id` with `records`
    (RecordFacts), in the systems' order."""
    on = on or datetime.date.today()
    by_type = records_by_type(records)
    standings = {}
    return [
        assess(system, required, by_type, on, soon_days, standings, ordered=True)
        for system, required in requirements.of(profile_type_id)
    ]


def readiness_in_enabled_systems(profile, on=None, soon_days=EXPIRING_SOON_DAYS):
    """The profile's readiness in every enabled rating system of its organisation."""
    requirements = enabled_requirements(profile.organisation_id, _current_revision())
    return readiness_in(requirements, profile.profile_type_id, _records_of_profile(profile.id), on, soon_days)


def rating_systems_of(organisation_id, *, enabled_only=False):
    query = RatingSystem.select().where(RatingSystem.organisation == organisation_id)
    if enabled_only:
        query = query.where(RatingSystem.enabled == True)  # noqa: E712
    return list(query.order_by(RatingSystem.position, RatingSystem.name))


def readiness_of(profile, on=None, systems=None, soon_days=EXPIRING_SOON_DAYS):
    """The profile's readiness in each of `systems` (default: every system of its organisation)."""
    on = on or datetime.date.today()
    systems = rating_systems_of(profile.organisation_id) if systems is None else list(systems)
    required = defaultdict(list)
    query = (
        RatingRequirement.select(RatingRequirement.rating_system, CheckType.id, CheckType.name, CheckType.validity_months)
        .join(CheckType)
        .where(RatingRequirement.profile_type == profile.profile_type_id)
    )
    for system_id, check_type_id, name, validity in query.tuples():
        required[system_id].append((check_type_id, name, validity))
    records = records_by_type(_records_of_profile(profile.id))
    return [assess(s, required[s.id], records, on, soon_days) for s in systems]


@dataclass
class Tally:
    ready: int = 0
    total: int = 0


def organisation_readiness(organisation, on=None):
    """How many current profiles are ready, per (profile type id, rating system id), in enabled systems.

    Current profiles are the active ones that are not leavers on `on`.
    """
    on = on or datetime.date.today()
    systems = rating_systems_of(organisation.id, enabled_only=True)
    profiles = [p for p in Profile.active(organisation) if not p.is_leaver(on)]
    required = _requirements(systems, {p.profile_type_id for p in profiles})
    records = _records_by_profile([p.id for p in profiles])
    tallies = defaultdict(Tally)
    for profile in profiles:
        for system in systems:
            readiness = assess(system, required[(system.id, profile.profile_type_id)], records[profile.id], on)
            tally = tallies[(profile.profile_type_id, system.id)]
            tally.total += 1
            tally.ready += readiness.ready
    return systems, tallies


@dataclass(frozen=True)
class ExpiringCheck:
    profile: Profile
    check_type: CheckType
    expires_on: datetime.date


def expiring_checks(organisation, on=None, days=EXPIRING_SOON_DAYS):
    """Checks of current profiles that count on `on` but expire within `days`, soonest first.

    Only the longest-counting record of each check is considered, so a check already renewed is not
    listed because of the record it replaced.
    """
    on = on or datetime.date.today()
    profiles = {p.id: p for p in Profile.active(organisation) if not p.is_leaver(on)}
    check_types = {t.id: t for t in CheckType.select().where(CheckType.organisation == organisation)}
    records = _records_by_profile(list(profiles))
    found = []
    for profile_id, by_type in records.items():
        for type_id, facts in by_type.items():
            check_type = check_types[type_id]
            standing = check_standing(type_id, check_type.name, check_type.validity_months, facts, on)
            if standing.expires_within(on, days):
                found.append(ExpiringCheck(profiles[profile_id], check_type, standing.expires_on))
    return sorted(found, key=lambda e: (e.expires_on, e.profile.surname, e.profile.forename, e.check_type.name))


def check_records_of(profile, today):
    """Each check record of the profile with its expiry and how it stands today."""
    rows = []
    query = (
        CheckRecord.select(CheckRecord, CheckType)
        .join(CheckType)
        .where(CheckRecord.profile == profile)
        .order_by(CheckType.name, CheckRecord.completed_on.desc(nulls="LAST"))
    )
    for record in query:
        state, expiry = record_standing(record, record.check_type.validity_months, today)
        if state is None:
            shown = "not completed"
        elif state == EXPIRED:
            shown = "expired"
        elif record.not_required:
            shown = "not required"
        elif _expires_within(expiry, today, EXPIRING_SOON_DAYS):
            shown = "expires soon"
        else:
            shown = "valid"
        rows.append({"record": record, "expires_on": expiry, "state": shown})
    return rows
