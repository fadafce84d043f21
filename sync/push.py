"""Push all (DESIGN §5): create a Sign In App member for each unintegrated profile, and link the two.

    result = push.push_all(organisation, group_id=12, type_names=["Teaching Staff"], actor="cli")

To one returning group linked to the organisation, for the chosen profile types: every active profile
that is not a leaver and has no active link. Each member is created carrying the profile's id in the
custom field `tether_profile_id`; before creating, the push reads the group and links a member that
already carries the id. So a rerun after a crash between "created in Sign In App" and "link written"
links the member it already created instead of creating a second one. One push per organisation at a
time (the `sia_push` lease).
"""
import datetime
from contextlib import nullcontext

from connectors.sia import SiaError, SiaRejected, client_for
from store import database
from store.models import Link, Profile, ProfileType, SiaGroup, SiaMember

from . import fields, linking, mirror, runs

KIND = "sia_push"
COUNTS = ("created", "linked", "failed")


class PushRefused(Exception):
    """The push was asked for something that cannot be pushed: the message says what and what to do."""


def unintegrated(organisation, profile_type_ids=None, today=None):
    """The organisation's profiles a push would send: active, not a leaver, no active link; by name."""
    today = today or datetime.date.today()
    linked = Link.select(Link.profile).where(Link.severed_at.is_null())
    query = (
        Profile.select(Profile, ProfileType)
        .join(ProfileType)
        .where(
            (Profile.organisation == organisation)
            & (Profile.status == "active")
            & (Profile.leaving_date.is_null() | (Profile.leaving_date > today))
            & Profile.id.not_in(linked)
        )
    )
    if profile_type_ids:
        query = query.where(Profile.profile_type.in_(list(profile_type_ids)))
    return query.order_by(Profile.surname, Profile.forename, Profile.id)


def target(organisation, group_id, type_names):
    """(the SiaGroup, the ProfileTypes) a push would use; PushRefused naming what is wrong."""
    group = SiaGroup.synced_for(organisation).where(SiaGroup.sia_id == group_id).first()
    if group is None:
        raise PushRefused(
            f"Sign In App group {group_id} is not a returning group linked to {organisation.name} as of the last "
            "import. Link it in Sign In App (Manage → Groups → the group → Integrations), run the import, and "
            "push again."
        )
    if not type_names:
        raise PushRefused("Choose at least one profile type to push.")
    types = list(ProfileType.select().where((ProfileType.organisation == organisation) & ProfileType.name.in_(type_names)))
    unknown = sorted(set(type_names) - {t.name for t in types})
    if unknown:
        known = ", ".join(t.name for t in ProfileType.select().where(ProfileType.organisation == organisation).order_by(ProfileType.position))
        raise PushRefused(f"{organisation.name} has no profile type {', '.join(map(repr, unknown))}; its types are: {known}.")
    return group, types


def push_all(organisation, *, group_id, type_names, actor, trigger="manual", progress=None, client=None):
    """Push every unintegrated profile of `type_names` to SIA group `group_id`; returns a runs.RunResult.

    Raises PushRefused for a group or type that cannot be used, lease.AlreadyRunning when a push of the
    organisation is running.
    """
    group, types = target(organisation, group_id, type_names)
    with runs.running(organisation, KIND, actor=actor, trigger=trigger, details=_details(group, types)) as tracker:
        return _push(tracker, organisation, group, types, client, progress)


def start_push(app, organisation, *, group_id, type_names, actor, trigger="console"):
    """As push_all, with the work in a background thread; returns the run at once."""
    group, types = target(organisation, group_id, type_names)
    started = runs.start(organisation, KIND, actor=actor, trigger=trigger, details=_details(group, types))
    runs.in_background(app, started, lambda tracker: _push(tracker, organisation, group, types, None, None))
    return started.run


def _details(group, types):
    return {"group_id": group.sia_id, "group": group.name, "types": [t.name for t in types]}


def _push(tracker, organisation, group, types, client, progress):
    counts = dict.fromkeys(COUNTS, 0)
    connection = group.connection
    field_map = fields.field_map(organisation)
    try:
        with nullcontext(client) if client is not None else client_for(connection) as sia:
            current = sia.group(group.sia_id)
            if not current.is_returning or current.organisation_id != organisation.id:
                return tracker.fail(
                    f"Sign In App group '{group.name}' (id {group.sia_id}) is no longer a returning group linked "
                    f"to {organisation.name}, so nothing was pushed. Check the group's Integrations in Sign In App, "
                    "run the import, then push again."
                )
            already_created = _members_by_profile_id(sia, group.sia_id)
            profiles = list(unintegrated(organisation, [t.id for t in types]))
            shadows = mirror.shadows_of(connection)
            group_rows = {group.sia_id: group.id}
            tracker.progress(0, len(profiles))
            for done, profile in enumerate(profiles, start=1):
                outcome = _push_one(sia, connection, group, profile, field_map, already_created, shadows, group_rows, tracker)
                counts[outcome] += 1
                tracker.progress(done)
                if progress is not None:
                    progress(done, len(profiles))
    except SiaError as error:
        return tracker.fail(
            f"The push to '{group.name}' stopped: {error} The {counts['created'] + counts['linked']} profiles "
            "pushed before it are linked; push again to send the rest.",
            counts=counts,
        )
    return tracker.finish(counts)


def _members_by_profile_id(sia, group_id):
    """{profile id as text: Member} for the group's members a push created."""
    found = {}
    for member in sia.members(group_id):
        profile_id = member.custom.get(fields.PROFILE_ID_FIELD)
        if profile_id not in (None, "") and not member.archived:
            found.setdefault(str(profile_id), member)
    return found


def _profile_fields(profile):
    return {
        "id": profile.id,
        "forename": profile.forename,
        "surname": profile.surname,
        "email": profile.email,
        "mobile": profile.mobile,
        "role": profile.role,
        "profile_type_name": profile.profile_type.name,
    }


def _push_one(sia, connection, group, profile, field_map, already_created, shadows, group_rows, tracker):
    """Create (or find) the member for one profile and link it; returns the count it adds to."""
    member = already_created.get(str(profile.id))
    outcome = "linked"
    if member is None:
        try:
            member = sia.create_member(group.sia_id, fields.member_fields_for_push(_profile_fields(profile), field_map.to_sia))
        except SiaRejected as error:
            tracker.problem(profile.id, profile.name, "sia_rejected", f"Profile {profile.id} ({profile.name}) was not pushed: {error}")
            return "failed"
        outcome = "created"
    with database.atomic():
        shadow_id = mirror.store_shadows(connection, [member], shadows, group_rows)[member.id]
        try:
            linking.create_link(profile, SiaMember.get_by_id(shadow_id), tracker.run.actor)
        except linking.LinkConflict as error:
            tracker.problem(profile.id, profile.name, "already_linked", str(error))
            return "failed"
    return outcome
