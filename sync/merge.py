"""Merging duplicate profiles and undoing a merge (DESIGN §5); bulk merge is in `sync.duplicates`.

A merge keeps the *kept* (left) profile and retires the *removed* (right) one:

- each field takes the kept value, unless the kept one is empty (the removed value fills it) or the admin
  chose the removed value for it;
- checks are united: the removed profile's check records move to the kept profile, except those the
  kept profile already has identically (they stay with the removed profile, so nothing is deleted);
- the link moves: the removed profile's link is severed (`merged`) and its member is linked to the kept
  profile. Merging two linked profiles is refused, since one of the links would be lost;
- the removed profile becomes `merged` (pointing at the kept one); it is never excluded.

A MergeRecord keeps full snapshots of both profiles, their check records and their links, so the merge
can be undone exactly for 30 days, unless something changed since that an undo would overwrite.
"""
import datetime
from dataclasses import dataclass

from playhouse.shortcuts import model_to_dict

from store import database
from store.models import AuditEvent, CheckRecord, CheckType, Link, MergeRecord, Profile, now

from .linking import create_link, sever
from .links import ActionRefused, actor_name, link_view, update_profile

UNDO_DAYS = 30
SIDES = ("kept", "removed")

# The fields a merge chooses between, with the words the console shows for them.
MERGE_FIELDS = {
    "profile_type": "Profile type",
    "forename": "Forename",
    "surname": "Surname",
    "email": "Email",
    "mobile": "Mobile",
    "role": "Role",
    "dob": "Date of birth",
    "start_date": "Start date",
    "leaving_date": "Leaving date",
}
IDENTICAL_CHECK = ("check_type", "completed_on", "expires_on", "evidence", "not_required")


def is_empty(value):
    return value is None or (isinstance(value, str) and not value.strip())


def field_value(profile, field):
    return getattr(profile, "profile_type_id" if field == "profile_type" else field)


def resolve_choices(kept, removed, choices=None):
    """The side each field is taken from: the admin's choice, else kept, else removed when kept is empty."""
    choices = dict(choices or {})
    unknown = sorted(set(choices) - set(MERGE_FIELDS))
    if unknown:
        raise ActionRefused(f"A merge can choose between {', '.join(MERGE_FIELDS)}; not {', '.join(unknown)}.")
    resolved = {}
    for field in MERGE_FIELDS:
        side = choices.get(field) or "kept"
        if side not in SIDES:
            raise ActionRefused(f"Choose 'kept' or 'removed' for {MERGE_FIELDS[field]}, not '{side}'.")
        if side == "kept" and is_empty(field_value(kept, field)):
            side = "removed"
        resolved[field] = side
    return resolved


def merged_values(kept, removed, resolved):
    """The fields of the kept profile a merge with these choices changes, with their new values."""
    changes = {}
    for field, side in resolved.items():
        value = field_value(removed if side == "removed" else kept, field)
        if value != field_value(kept, field):
            changes[field] = value
    return changes


@dataclass(frozen=True)
class FieldComparison:
    """One row of the merge form: both values, the side taken by default, and whether there is a choice."""

    field: str
    label: str
    kept: object
    removed: object
    default: str
    choosable: bool


def _shown(profile, field):
    return profile.profile_type.name if field == "profile_type" else getattr(profile, field)


def comparison(kept, removed):
    """What a merge of these two would take from each side, field by field, for the merge form."""
    resolved = resolve_choices(kept, removed)
    return [
        FieldComparison(
            field=field,
            label=label,
            kept=_shown(kept, field),
            removed=_shown(removed, field),
            default=resolved[field],
            choosable=not is_empty(field_value(kept, field)) and not is_empty(field_value(removed, field))
            and field_value(kept, field) != field_value(removed, field),
        )
        for field, label in MERGE_FIELDS.items()
    ]


def _snapshot(instance):
    return model_to_dict(instance, recurse=False)


def _restored(model, snapshot):
    """A snapshot's values as the model's fields hold them (JSON keeps dates as text)."""
    return {name: model._meta.fields[name].python_value(value) for name, value in snapshot.items()}


def _check_key(record):
    return tuple(getattr(record, name + "_id" if name == "check_type" else name) for name in IDENTICAL_CHECK)


def _refuse_unless_mergeable(kept, removed):
    if kept.id == removed.id:
        raise ActionRefused(f"{kept.label} cannot be merged with itself; choose two profiles.")
    if kept.organisation_id != removed.organisation_id:
        raise ActionRefused(
            f"{kept.label} and {removed.label} belong to different "
            "schools; only profiles of the same school can be merged."
        )
    for profile in (kept, removed):
        if profile.status != "active":
            state = (
                "deleted" if profile.status == "deleted" else f"already merged into profile {profile.merged_into_id}"
            )
            raise ActionRefused(
                f"{profile.label} is {state}, so it cannot be merged; "
                "reload the duplicates and choose active profiles."
            )


def merge(kept, removed, actor, choices=None):
    """Merge `removed` into `kept` (admin); `choices` maps a field to 'kept' or 'removed'. Returns the MergeRecord."""
    with database.atomic():
        _refuse_unless_mergeable(kept, removed)
        kept_link, removed_link = Link.active_for_profile(kept), Link.active_for_profile(removed)
        if kept_link is not None and removed_link is not None:
            raise ActionRefused(
                f"{kept.label} and {removed.label} are both linked to "
                "Sign In App members; merging them would break one link. Decouple the one that is wrong first, "
                "then merge."
            )
        resolved = resolve_choices(kept, removed, choices)
        changes = merged_values(kept, removed, resolved)
        both = [kept.id, removed.id]
        before = {
            "profiles": {"kept": _snapshot(kept), "removed": _snapshot(removed)},
            "checks": [_snapshot(c) for c in CheckRecord.select().where(CheckRecord.profile.in_(both))],
            "links": [_snapshot(link) for link in Link.select().where(Link.profile.in_(both))],
        }
        update_profile(kept, **changes)
        update_profile(removed, status="merged", merged_into=kept.id)
        moved = _unite_checks(kept, removed)
        if removed_link is not None:
            sever(removed_link, "merged", actor)
            create_link(kept, removed_link.sia_member, actor)
        record = MergeRecord.create(
            organisation=kept.organisation_id, kept=kept, removed=removed, before=before, choices=resolved,
            by=actor_name(actor),
        )
        AuditEvent.record(
            "profile.merge", actor=actor, organisation=kept.organisation_id, subject=f"profile:{kept.id}",
            before={"kept": before["profiles"]["kept"], "removed": before["profiles"]["removed"]},
            after={
                "merge": record.id,
                "changed": changes,
                "checks_moved": moved,
                "link": link_view(Link.active_for_profile(kept)),
                "removed": {"id": removed.id, "status": "merged", "merged_into": kept.id},
            },
        )
    return record


def _unite_checks(kept, removed):
    """Move the removed profile's check records to the kept one, leaving identical ones behind."""
    held = {_check_key(record) for record in CheckRecord.select().where(CheckRecord.profile == kept)}
    moved = []
    for record in CheckRecord.select().where(CheckRecord.profile == removed).order_by(CheckRecord.id):
        if _check_key(record) not in held:
            held.add(_check_key(record))
            moved.append(record.id)
    if moved:
        CheckRecord.update(profile=kept).where(CheckRecord.id.in_(moved)).execute()
    return moved


def undo_deadline(record):
    return record.at + datetime.timedelta(days=UNDO_DAYS)


def undoable_merges(profile):
    """The profile's merges that are not undone and still within their 30 days."""
    return [r for r in merges_of(profile) if r.undone_at is None and now() <= undo_deadline(r)]


def undo_merge(record, actor):
    """Put both profiles, their checks and their links back as they were before the merge (within 30 days)."""
    with database.atomic():
        record = MergeRecord.get_by_id(record.id)
        kept, removed = Profile.get_by_id(record.kept_id), Profile.get_by_id(record.removed_id)
        plan = _undo_plan(record, kept, removed)
        before = {"kept": _snapshot(kept), "removed": _snapshot(removed)}
        update_profile(kept, **plan.kept_values)
        update_profile(removed, **plan.removed_values)
        if plan.moved_link is not None:
            plan.moved_link.delete_instance()
            Link.update(**_restored(Link, plan.severed_link)).where(Link.id == plan.severed_link["id"]).execute()
        for snapshot in plan.moved_checks:
            CheckRecord.update(**_restored(CheckRecord, snapshot)).where(CheckRecord.id == snapshot["id"]).execute()
        undone = (
            MergeRecord.update(undone_at=now(), undone_by=actor_name(actor))
            .where((MergeRecord.id == record.id) & MergeRecord.undone_at.is_null())
            .execute()
        )
        if undone != 1:
            raise ActionRefused(f"The merge of {removed.label} into {kept.label} was undone by someone else just now.")
        AuditEvent.record(
            "profile.merge_undo", actor=actor, organisation=record.organisation_id, subject=f"profile:{kept.id}",
            before=before,
            after={"merge": record.id, "kept": _snapshot(kept), "removed": _snapshot(removed),
                   "checks_returned": [c["id"] for c in plan.moved_checks]},
        )
    return MergeRecord.get_by_id(record.id)


@dataclass
class _UndoPlan:
    kept_values: dict
    removed_values: dict
    moved_checks: list
    moved_link: Link
    severed_link: dict


def _undo_plan(record, kept, removed):
    """What an undo writes, or ActionRefused naming what changed since the merge that an undo would lose."""
    if record.undone_at is not None:
        raise ActionRefused(
            f"The merge of {removed.label} into {kept.label} was already undone on {record.undone_at:%d %b %Y} "
            f"by {record.undone_by}."
        )
    if now() > undo_deadline(record):
        raise ActionRefused(
            f"The merge of {removed.label} into {kept.label} was on {record.at:%d %b %Y}, more than {UNDO_DAYS} days "
            "ago, so it can no longer be undone; separate the profiles by hand (create a profile and move its "
            "checks), and decouple and re-link if the link is on the wrong profile."
        )
    kept_before, removed_before = record.before["profiles"]["kept"], record.before["profiles"]["removed"]
    if kept.status != "active":
        raise ActionRefused(
            f"{kept.label} has been {kept.status} since the merge; restore it (or undo its "
            "later merge) first, then undo this merge."
        )
    untouched = removed.status == "merged" and removed.merged_into_id == kept.id
    if not untouched or removed.version != removed_before["version"] + 1:
        raise ActionRefused(
            f"{removed.label} was changed after it was merged into {kept.label}; "
            "undoing the merge would overwrite that change, so it is refused. Separate the profiles by hand."
        )
    original, removed_original = _restored(Profile, kept_before), _restored(Profile, removed_before)
    kept_values = {}
    for field, merged in merged_values(Profile(**original), Profile(**removed_original), record.choices).items():
        if field_value(kept, field) != merged:
            raise ActionRefused(
                f"{MERGE_FIELDS[field]} of {kept.label} was changed after the merge; undoing "
                "would lose that change. Set it back to the merged value, or separate the profiles by hand."
            )
        kept_values[field] = original[field]
    severed_link, moved_link = _moved_link(record, kept, removed)
    removed_values = {
        name: value for name, value in removed_original.items() if name not in ("id", "version", "updated_at")
    }
    return _UndoPlan(kept_values, removed_values, _moved_checks(record, kept, removed), moved_link, severed_link)


def _moved_checks(record, kept, removed):
    """Snapshots of the checks the merge moved to the kept profile; refused if one changed since."""
    snapshots = [c for c in record.before["checks"] if c["profile"] == removed.id]
    current = {c.id: c for c in CheckRecord.select().where(CheckRecord.id.in_([s["id"] for s in snapshots]))}
    for snapshot in snapshots:
        check = current.get(snapshot["id"])
        values = _snapshot(check) if check else None
        if values is None or any(
            values[name] != value for name, value in _restored(CheckRecord, snapshot).items() if name != "profile"
        ):
            check_type = CheckType.get_by_id(snapshot["check_type"])
            raise ActionRefused(
                f"The {check_type.name} check record that the merge moved from {removed.label} to {kept.label} was "
                "changed or deleted since; undoing would lose that change. Separate the profiles by hand."
            )
    return [snapshot for snapshot in snapshots if current[snapshot["id"]].profile_id == kept.id]


def _moved_link(record, kept, removed):
    """The removed profile's link as it was, and the link the merge made for the kept profile in its place;
    (None, None) when the removed profile was not linked."""
    active_before = [s for s in record.before["links"] if s["profile"] == removed.id and s["severed_at"] is None]
    if not active_before:
        return None, None
    severed = active_before[0]
    # The first link between the kept profile and that member made after the severed one is the merge's.
    moved = (
        Link.select()
        .where((Link.profile == kept) & (Link.sia_member == severed["sia_member"]) & (Link.id > severed["id"]))
        .order_by(Link.id)
        .first()
    )
    if moved is None or moved.severed_at is not None:
        raise ActionRefused(
            f"The link the merge moved to {kept.label} was severed since; undoing would "
            f"link {removed.label} again behind that decision. Re-link the profile you want instead."
        )
    return severed, moved


def merges_of(profile):
    """The merges the profile took part in, newest first."""
    return list(
        MergeRecord.select()
        .where((MergeRecord.kept == profile) | (MergeRecord.removed == profile))
        .order_by(MergeRecord.at.desc(), MergeRecord.id.desc())
    )
