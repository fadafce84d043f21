"""Field mapping between a Sign In App member and a Central Record profile (DESIGN §2, §5).

Each FieldMapping row copies one field in one direction: `to_scr` (a member's field into the profile, at
import) or `to_sia` (a profile's field into the member, at push and at import), `always` or only
`on_create` (when the import creates the profile, or the push creates the member). An organisation
without rows gets the defaults: name → forename and surname, email, mobile and role, to SCR, always.

SIA fields: `name` (whole), `first_name`, `last_name`, `email`, `mobile`, `role`, and `custom.<key>` for a
custom personal field, by the key Sign In App gives it (the console shows its label: sync.custom_fields). Profile fields: `name` (forename and surname together), `forename`, `surname`,
`email`, `mobile`, `role`, and (to SIA only) `profile_type`.

MIS fields (the set-up help's step 3, "Using a Wonde Connection"): with the connection's "Use SIA Wonde
Connection (if available)" on, a member of a group with MIS data brings `mis.date_of_birth`,
`mis.start_date` and `mis.leaving_date` (connectors.sia.Member.mis), mapped to Central Record only and
only into the profile's dates (`dob`, `start_date`, `leaving_date`). An empty MIS value never clears
the profile's: "if ... the leaving date is removed from the MIS, the leaving date will not
automatically be removed in SICR" (troubleshooting help, "Leavers and Returners"); the dates of birth
and start dates are kept the same way, as a school expects of data that only ever fills in.
"""
import datetime
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from store import database
from store.models import AuditEvent, FieldMapping, SiaConnection

SIA_FIELDS = ("name", "first_name", "last_name", "email", "mobile", "role")
SCR_TARGETS = ("name", "forename", "surname", "email", "mobile", "role")
SCR_SOURCES = SCR_TARGETS + ("profile_type",)
# What the Wonde connection brings ({MIS field: its words}), and the profile dates it may fill in.
MIS_FIELDS = {"mis.date_of_birth": "date of birth", "mis.start_date": "start date", "mis.leaving_date": "leaving date"}
DATE_TARGETS = ("dob", "start_date", "leaving_date")
WONDE_TOGGLE = "Use SIA Wonde Connection (if available)"
# The profile columns an import may write; forename and surname may not be null.
PROFILE_COLUMNS = ("forename", "surname", "email", "mobile", "role")
# Pushes carry the profile's id in this custom field, so a rerun finds the member it already created.
PROFILE_ID_FIELD = "tether_profile_id"


class Mapping(NamedTuple):
    source: str
    target: str
    direction: str
    apply: str = "always"

    def applies(self, creating):
        return self.apply == "always" or creating


DEFAULTS = (
    Mapping("name", "name", "to_scr"),
    Mapping("email", "email", "to_scr"),
    Mapping("mobile", "mobile", "to_scr"),
    Mapping("role", "role", "to_scr"),
)


@dataclass(frozen=True)
class FieldMap:
    """An organisation's mappings in each direction, and the rows that could not be used, in words."""

    to_scr: tuple
    to_sia: tuple
    invalid: tuple = ()

    @property
    def fingerprint(self):
        """A short fingerprint of the mappings in force: a link reconciled under other mappings is compared again."""
        return hashlib.sha256(repr((self.to_scr, self.to_sia)).encode()).hexdigest()[:16]


MAX_CUSTOM_KEY = 100  # a custom field's key or label; Sign In App's keys are ten characters


def _valid_sia_field(name):
    return name in SIA_FIELDS or (name.startswith("custom.") and 0 < len(name) - len("custom.") <= MAX_CUSTOM_KEY)


def is_mis(field):
    return field in MIS_FIELDS


def problem_with(row):
    if row.direction == "to_scr":
        if is_mis(row.source_field):
            if row.target_field not in DATE_TARGETS:
                return (f"the MIS {MIS_FIELDS[row.source_field]} can only fill in a profile date "
                        f"({', '.join(DATE_TARGETS)})")
            return None
        if not _valid_sia_field(row.source_field):
            return (f"'{row.source_field[:MAX_CUSTOM_KEY]}' is not a Sign In App field (name, email, mobile, role or a "
                    f"custom field of at most {MAX_CUSTOM_KEY} characters)")
        if row.target_field in DATE_TARGETS:
            return (f"the profile's {row.target_field} can only come from the MIS "
                    f"({', '.join(MIS_FIELDS)}), through the Wonde connection")
        if row.target_field not in SCR_TARGETS:
            return f"'{row.target_field}' is not a profile field an import can write ({', '.join(SCR_TARGETS)})"
    else:
        if is_mis(row.target_field):
            return "the MIS fields come from the school's MIS through Wonde; Central Record cannot write them"
        if row.source_field not in SCR_SOURCES:
            return f"'{row.source_field}' is not a profile field ({', '.join(SCR_SOURCES)})"
        if not _valid_sia_field(row.target_field):
            return (f"'{row.target_field[:MAX_CUSTOM_KEY]}' is not a Sign In App field (name, email, mobile, role or a "
                    f"custom field of at most {MAX_CUSTOM_KEY} characters)")
    return None


def field_map(organisation):
    """The organisation's FieldMapping rows, or the defaults when it has none."""
    rows = list(FieldMapping.select().where(FieldMapping.organisation == organisation).order_by(FieldMapping.id))
    if not rows:
        return FieldMap(to_scr=DEFAULTS, to_sia=())
    to_scr, to_sia, invalid = [], [], []
    for row in rows:
        reason = problem_with(row)
        if reason:
            invalid.append(
                f"The field mapping {row.source_field} → {row.target_field} ({row.direction}) is ignored: {reason}. "
                "Correct it under Settings → Field mapping."
            )
            continue
        mapping = Mapping(row.source_field, row.target_field, row.direction, row.apply)
        (to_scr if row.direction == "to_scr" else to_sia).append(mapping)
    return FieldMap(tuple(to_scr), tuple(to_sia), tuple(invalid))


def without_mis(field_map, reason):
    """`field_map` with its MIS mappings left out, each named in `invalid` with `reason` (the Wonde toggle is
    off, or the organisation has no connection): nothing is read from the MIS then, and nothing cleared."""
    left_out = [m for m in field_map.to_scr if is_mis(m.source)]
    if not left_out:
        return field_map
    notes = tuple(f"The field mapping {m.source} → {m.target} is not used: {reason}." for m in left_out)
    return FieldMap(tuple(m for m in field_map.to_scr if not is_mis(m.source)), field_map.to_sia,
                    field_map.invalid + notes)


def wonde_on(organisation):
    """Whether the organisation's connection has "Use SIA Wonde Connection (if available)" on."""
    connection = SiaConnection.for_organisation(organisation)
    return connection is not None and bool(connection.wonde)


def wonde_off_reason():
    return (f"'{WONDE_TOGGLE}' is off; toggle it on at Settings > Sign In App > Configuration > Connection "
            "to bring the MIS fields across")


def mis_date(value):
    """A date as Sign In App sends it, in MIS data or a personal field (YYYY-MM-DD), or None when it is
    empty or not a date."""
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or "").strip()[:10])
    except ValueError:
        return None


def _text(value):
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def member_value(member, sia_field):
    """A member's value for an SIA field, tidied; None when empty."""
    return _reader(sia_field)(member)


@lru_cache(maxsize=None)
def _reader(sia_field):
    """A function giving a member's tidied value for `sia_field`."""
    if sia_field.startswith("custom."):
        key = sia_field[len("custom."):]
        return lambda member: _text(member.custom.get(key))
    if is_mis(sia_field):
        key = sia_field[len("mis."):]
        return lambda member: mis_date(member.mis.get(key))
    return lambda member: member.tidied[sia_field]


@lru_cache(maxsize=256)
def _columns_from(mappings, creating):
    """((profile column, reader), …) for the `to_scr` mappings that apply, and the columns an empty value
    leaves as they are (those the MIS fills in), worked out once per mapping set."""
    columns = {}
    kept_when_empty = frozenset(mapping.target for mapping in mappings if is_mis(mapping.source))
    for mapping in mappings:
        if not mapping.applies(creating):
            continue
        if mapping.target == "name":
            columns["forename"] = _reader("first_name")
            columns["surname"] = _reader("last_name")
        else:
            columns[mapping.target] = _reader(mapping.source)
    if creating:
        # A profile needs a name even when the organisation maps none.
        columns.setdefault("forename", _reader("first_name"))
        columns.setdefault("surname", _reader("last_name"))
    return tuple(columns.items()), kept_when_empty


def member_to_profile(member, mappings, *, creating):
    """The profile columns the member's fields give, by the `to_scr` mappings that apply now. A column the
    MIS fills in is left out when the member's MIS value is empty: the MIS never clears a profile's date."""
    columns, kept_when_empty = _columns_from(tuple(mappings), creating)
    values = {column: read(member) for column, read in columns}
    for column in kept_when_empty:
        if values.get(column, 0) is None:
            del values[column]
    for required in ("forename", "surname"):
        if required in values and values[required] is None:
            values[required] = ""
    return values


def profile_value(profile, field):
    """A profile's value for a profile field; `profile` is a Profile or a dict of its columns."""
    get = profile.get if isinstance(profile, dict) else (lambda name: getattr(profile, name))
    if field == "name":
        return _text(f"{get('forename') or ''} {get('surname') or ''}")
    if field == "profile_type":
        return _text(get("profile_type_name"))
    return _text(get(field))


def _sia_key(sia_field):
    return sia_field[len("custom."):] if sia_field.startswith("custom.") else sia_field


def profile_to_member(profile, mappings, *, creating):
    """The personal fields the profile gives, by the `to_sia` mappings that apply now."""
    return {
        _sia_key(mapping.target): profile_value(profile, mapping.source)
        for mapping in mappings
        if mapping.applies(creating)
    }


def member_fields_for_push(profile, mappings):
    """The personal fields of a new member pushed from `profile`: who they are, the mapped fields, its id."""
    fields = {
        "name": profile_value(profile, "name"),
        "first_name": profile_value(profile, "forename"),
        "last_name": profile_value(profile, "surname"),
        "email": profile_value(profile, "email"),
        "mobile": profile_value(profile, "mobile"),
        "role": profile_value(profile, "role"),
    }
    fields.update(profile_to_member(profile, mappings, creating=True))
    fields[PROFILE_ID_FIELD] = str(profile.id if not isinstance(profile, dict) else profile["id"])
    return {key: value for key, value in fields.items() if value is not None}


def sia_changes(member, profile, mappings):
    """The `to_sia` fields (always) whose member value differs from the profile's: {personal field: value}."""
    changes = {}
    for mapping in mappings:
        if not mapping.applies(False):
            continue
        wanted = profile_value(profile, mapping.source)
        if member_value(member, mapping.target) != wanted:
            changes[_sia_key(mapping.target)] = wanted
    return changes


class FieldMappingRefused(ValueError):
    """A field mapping that cannot be saved, with the reason and what to do instead."""


def _scr_fields(field):
    """The profile columns a profile field stands for (`name` is forename and surname)."""
    return {"forename", "surname"} if field == "name" else {field}


def _scr_side(row):
    return row.target_field if row.direction == "to_scr" else row.source_field


def _snapshot(organisation):
    """The mappings in force, as the audit log keeps them (the defaults when there are no rows)."""
    rows = _rows(organisation)
    mappings = [Mapping(r.source_field, r.target_field, r.direction, r.apply) for r in rows] if rows else DEFAULTS
    return [{"source": m.source, "target": m.target, "direction": m.direction, "apply": m.apply} for m in mappings]


def _rows(organisation):
    return list(FieldMapping.select().where(FieldMapping.organisation == organisation).order_by(FieldMapping.id))


def in_force(organisation):
    """(mapping, is_default) for the mappings the next sync uses."""
    rows = _rows(organisation)
    if not rows:
        return [(mapping, True) for mapping in DEFAULTS]
    return [(Mapping(r.source_field, r.target_field, r.direction, r.apply), False) for r in rows]


def _materialise_defaults(organisation):
    """An organisation without rows runs on the defaults: its first change starts from them, not from nothing."""
    if FieldMapping.select().where(FieldMapping.organisation == organisation).exists():
        return
    for mapping in DEFAULTS:
        FieldMapping.create(
            organisation=organisation,
            source_field=mapping.source,
            target_field=mapping.target,
            direction=mapping.direction,
            apply=mapping.apply,
        )


def add_mapping(organisation, source, target, direction, apply, actor):
    """Map one field in one direction; refused when it is not a known field or would make a sync loop."""
    row = FieldMapping(
        organisation=organisation, source_field=source.strip(), target_field=target.strip(), direction=direction, apply=apply
    )
    if direction not in ("to_scr", "to_sia") or apply not in ("always", "on_create"):
        raise FieldMappingRefused("choose a direction (to Central Record or to Sign In App) and when it applies")
    reason = problem_with(row)
    if reason:
        raise FieldMappingRefused(reason)
    if direction == "to_scr" and is_mis(row.source_field) and not wonde_on(organisation):
        raise FieldMappingRefused(wonde_off_reason())
    with database.atomic():
        before = _snapshot(organisation)
        _materialise_defaults(organisation)
        for other in _rows(organisation):
            if other.direction == direction and other.target_field == row.target_field:
                raise FieldMappingRefused(
                    f"'{row.target_field}' already receives '{other.source_field}'; remove that mapping first"
                )
            if other.direction != direction and _scr_fields(_scr_side(other)) & _scr_fields(_scr_side(row)):
                raise FieldMappingRefused(
                    f"the profile field '{_scr_side(row)}' is already mapped the other way "
                    f"({other.source_field} → {other.target_field}); one direction per field, or the two "
                    "systems would overwrite each other on every sync"
                )
        row.save()
        AuditEvent.record(
            "field_mapping.add", actor=actor, organisation=organisation, subject=f"field_mapping:{row.id}",
            before=before, after=_snapshot(organisation),
        )
    return row


def remove_mapping(organisation, direction, target, actor):
    """Stop mapping into `target` in `direction`. An organisation left with no rows is back on the defaults."""
    with database.atomic():
        before = _snapshot(organisation)
        _materialise_defaults(organisation)
        removed = (
            FieldMapping.delete()
            .where(
                (FieldMapping.organisation == organisation)
                & (FieldMapping.direction == direction)
                & (FieldMapping.target_field == target)
            )
            .execute()
        )
        if not removed:
            raise FieldMappingRefused("that field mapping no longer exists; reload the page")
        AuditEvent.record(
            "field_mapping.remove", actor=actor, organisation=organisation, subject=f"field_mapping:{direction}:{target}",
            before=before, after=_snapshot(organisation),
        )
