"""Push All (DESIGN §5): create a Sign In App member for each unintegrated profile, and link the two;
hold back a profile that looks like a member already in the group, and offer to link it instead.

    result = push.push_all(organisation, group_id=12, type_names=["Teaching Staff"], actor="cli")
    result = push.push_all(..., dry_run=True)      # what would be created, linked and held back
    link, made = push.link_to_existing_member(organisation, profile, sia_member_id, actor)

To one returning group linked to the organisation (as Tether keeps the links, sync.group_links; Sign In
App's integration settings only confirm it, a difference needing attention), for the chosen profile types: every active profile
that is not a leaver and has no active link. The push reads the group first. A member that already
carries the profile's id in the custom field `tether_profile_id` is linked, so a rerun after a crash
between "created in Sign In App" and "link written" links the member it already created instead of
creating a second one. A profile that looks like a member of the group (`sync.look_alikes`: the same
email, or the same name and date of birth) is held back: nothing is created for it, and the run
finishes `needs_attention`, listing each with "link to the existing member" — or, for two different
people, a push of that one profile `despite_look_alikes`. A member created by this push counts as one
of the group, so two profiles of one person are not pushed twice. A dry run reads the same and writes
nothing but its own run. One push per organisation at a time (the `sia_push` lease).
"""
import datetime
from contextlib import nullcontext
from dataclasses import dataclass, field

from peewee import chunked

from connectors.sia import Member, SiaError, SiaNotFound, SiaRejected, client_for
from store import database
from store.models import Exclusion, Link, Profile, ProfileType, SiaConnection, SiaGroup, SiaMember

from . import fields, group_links, links, linking, look_alikes, mirror, runs

KIND = "sia_push"
COUNTS = ("created", "linked", "held_back", "failed")
DECISIONS_KEPT = 1000  # a run keeps this many decisions (a dry run) and held-back profiles for the console and CLI
MAX_PROFILES = 1000  # profiles one push may name (`profile_ids`)
LIVE_TIMEOUT = 10  # seconds a console request waits for Sign In App when linking to an existing member


class PushRefused(Exception):
    """The push was asked for something that cannot be pushed: the message says what and what to do."""


def unintegrated(organisation, profile_type_ids=None, today=None, profile_ids=None):
    """The organisation's profiles a push would send: active, not a leaver, no active link; by name.
    `profile_ids` narrows them to those profiles."""
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
    if profile_ids is not None:
        query = query.where(Profile.id.in_(list(profile_ids)))
    return query.order_by(Profile.surname, Profile.forename, Profile.id)


def target(organisation, group_id, type_names):
    """(the SiaGroup, the ProfileTypes) a push would use; PushRefused naming what is wrong."""
    group = SiaGroup.synced_for(organisation).where(SiaGroup.sia_id == group_id).first()
    if group is None:
        raise PushRefused(
            f"Sign In App group {group_id} is not a Repeat group linked to {organisation.name}. Support links it at "
            f"{group_links.CONNECTION_PAGE} (or link it in Sign In App: {group_links.SIA_INTEGRATIONS}, and run the "
            "import); then push again."
        )
    if not type_names:
        raise PushRefused("Choose at least one profile type to push.")
    types = list(ProfileType.select().where((ProfileType.organisation == organisation) & ProfileType.name.in_(type_names)))
    unknown = sorted(set(type_names) - {t.name for t in types})
    if unknown:
        known = ", ".join(t.name for t in ProfileType.select().where(ProfileType.organisation == organisation).order_by(ProfileType.position))
        raise PushRefused(f"{organisation.name} has no profile type {', '.join(map(repr, unknown))}; its types are: {known}.")
    return group, types


def push_all(organisation, *, group_id, type_names, actor, trigger="manual", dry_run=False, profile_ids=None,
             despite_look_alikes=False, progress=None, client=None):
    """Push every unintegrated profile of `type_names` (or of those only `profile_ids`) to SIA group
    `group_id`; returns a runs.RunResult. `despite_look_alikes` creates a member for a profile that looks
    like one already in the group (a person said they are different people).

    Raises PushRefused for a group, type or profile list that cannot be used, lease.AlreadyRunning when
    a push of the organisation is running.
    """
    group, types = target(organisation, group_id, type_names)
    details = _details(group, types, profile_ids, despite_look_alikes)
    with runs.running(organisation, KIND, actor=actor, trigger=trigger, dry_run=dry_run, details=details) as tracker:
        return _push(tracker, organisation, group, types, client, progress, profile_ids, despite_look_alikes)


def start_push(app, organisation, *, group_id, type_names, actor, trigger="console", dry_run=False, profile_ids=None,
               despite_look_alikes=False):
    """As push_all, with the work in a background thread; returns the run at once."""
    group, types = target(organisation, group_id, type_names)
    details = _details(group, types, profile_ids, despite_look_alikes)
    started = runs.start(organisation, KIND, actor=actor, trigger=trigger, dry_run=dry_run, details=details)
    runs.in_background(
        app, started,
        lambda tracker: _push(tracker, organisation, group, types, None, None, profile_ids, despite_look_alikes),
    )
    return started.run


def _details(group, types, profile_ids, despite_look_alikes):
    if profile_ids is not None and not 1 <= len(profile_ids) <= MAX_PROFILES:
        raise PushRefused(f"Name between 1 and {MAX_PROFILES} profiles to push, or none to push every one.")
    details = {"group_id": group.sia_id, "group": group.name, "types": [t.name for t in types]}
    if profile_ids is not None:
        details["profile_ids"] = sorted(set(profile_ids))
    if despite_look_alikes:
        details["despite_look_alikes"] = True
    return details


@dataclass
class Decision:
    """What a push does (or a dry run would do) with one profile, and why."""

    profile: Profile
    outcome: str  # one of COUNTS
    reason: str
    sia_member_id: int | None = None
    members: list = field(default_factory=list)  # look_alikes.Candidate, for a profile held back

    def to_dict(self):
        profile = self.profile
        return {
            "profile_id": profile.id,
            "name": profile.name,
            "email": profile.email,
            "profile_type": profile.profile_type.name,
            "outcome": self.outcome,
            "reason": self.reason,
            "sia_member_id": self.sia_member_id,
            "members": [candidate.to_dict() for candidate in self.members],
        }


def _push(tracker, organisation, group, types, client, progress, profile_ids, despite_look_alikes):
    counts = dict.fromkeys(COUNTS, 0)
    dry_run = tracker.run.dry_run
    connection = group.connection
    field_map = fields.field_map(organisation)
    decisions = []
    try:
        with nullcontext(client) if client is not None else client_for(connection) as sia:
            current = {listed.id: listed for listed in sia.list_groups()}.get(group.sia_id)
            if current is None or not current.is_returning:
                gone = "no longer in Sign In App" if current is None else "no longer a Repeat group in Sign In App"
                return tracker.fail(
                    f"Sign In App group '{group.name}' (id {group.sia_id}) is {gone}, so nothing was pushed. Check "
                    "the group in Sign In App, run the import, then push again."
                )
            link_attention = _confirm_link(sia, tracker, organisation, connection, current)
            members = [member for member in sia.members(group.sia_id) if not member.archived]
            profiles = list(unintegrated(organisation, [t.id for t in types], profile_ids=profile_ids))
            already_created = _members_by_profile_id(members)
            index = _look_alikes(organisation, connection, members, already_created, profiles)
            shadows = None if dry_run else mirror.shadows_of(connection)
            group_rows = {group.sia_id: group.id}
            tracker.progress(0, len(profiles))
            for done, profile in enumerate(profiles, start=1):
                decision = _decide(profile, group, already_created, index, despite_look_alikes, dry_run)
                if decision.outcome == "held_back":
                    tracker.problem(profile.id, profile.name, "look_alike", f"Held back: {decision.reason}")
                elif decision.outcome == "created":
                    if dry_run:
                        member = _member_for(profile, group, field_map)
                    else:
                        decision, member = _push_one(sia, connection, group, profile, field_map, shadows, group_rows, tracker)
                    if member is not None:  # counts as one of the group for the profiles after it
                        index.add(member, created_for=(profile.id, profile.name), new=dry_run)
                elif not dry_run:
                    decision, _ = _link_one(connection, profile, already_created[str(profile.id)], shadows, group_rows,
                                            tracker, decision)
                counts[decision.outcome] += 1
                decisions.append(decision)
                tracker.progress(done)
                if progress is not None:
                    progress(done, len(profiles))
    except SiaError as error:
        pushed = counts["created"] + counts["linked"]
        kept = " Nothing was changed." if dry_run else f" The {pushed} profiles pushed before it are linked; push again to send the rest."
        return tracker.fail(f"The push to '{group.name}' stopped: {error}{kept}", counts=counts)
    held_back = [d.to_dict() for d in decisions if d.outcome == "held_back"][:DECISIONS_KEPT]
    details = {"held_back": held_back}
    if dry_run:
        details["decisions"] = [d.to_dict() for d in decisions[:DECISIONS_KEPT]]
    return tracker.finish(counts, details=details,
                          attention=link_attention + _attention(counts["held_back"], group, dry_run))


def _confirm_link(sia, tracker, organisation, connection, listed):
    """Confirm the kept link of the group pushed to with Sign In App's integration settings (partner
    `GET /groups/{id}`): a difference is a problem and needs attention, their absence a warning; the
    push goes to the group Tether keeps linked either way (sync.group_links). Returns the attention."""
    try:
        current = sia.group(listed.id)
    except SiaNotFound:
        current = listed
    confirmed = group_links.confirm(connection, [current], organisation)
    tracker.add_problems(confirmed.problems)
    return confirmed.attention


def _attention(held_back, group, dry_run):
    """What a person must look at after the push: the profiles held back, if any."""
    if not held_back:
        return []
    many = held_back > 1
    were = "would be" if dry_run else ("were" if many else "was")
    return [
        f"{held_back} profile{'s' if many else ''} {were} held back because {'they look' if many else 'it looks'} "
        f"like {'members' if many else 'a member'} already in the Sign In App group '{group.name}': link "
        f"{'each' if many else 'it'} to the existing member (the run's page lists {'them' if many else 'it'}), "
        "or create a new member for a profile that is a different person."
    ]


def _members_by_profile_id(members):
    """{profile id as text: Member} for the group's members a push created."""
    found = {}
    for member in members:
        profile_id = member.custom.get(fields.PROFILE_ID_FIELD)
        if profile_id not in (None, ""):
            found.setdefault(str(profile_id), member)
    return found


def _look_alikes(organisation, connection, members, already_created, profiles):
    """The group's members indexed for look-alikes, each with the profile it is linked to (or that this
    push links to it) and whether it is excluded."""
    ids = [member.id for member in members]
    linked, excluded = {}, set()
    for chunk in chunked(ids, 500):
        rows = (
            Link.active()
            .select(SiaMember.sia_id, Profile.id, Profile.forename, Profile.surname)
            .join_from(Link, SiaMember)
            .join_from(Link, Profile)
            .where((SiaMember.connection == connection) & SiaMember.sia_id.in_(chunk))
            .tuples()
        )
        linked.update({sia_id: (profile_id, Profile.name_of(forename, surname)) for sia_id, profile_id, forename, surname in rows})
        excluded.update(
            sia_id for (sia_id,) in Exclusion.active(organisation)
            .select(Exclusion.sia_member_id)
            .where((Exclusion.connection == connection) & Exclusion.sia_member_id.in_(chunk))
            .tuples()
        )
    pushing = {str(profile.id): profile for profile in profiles}
    going_to = {member.id: pushing[carried] for carried, member in already_created.items() if carried in pushing}
    index = look_alikes.LookAlikes(use_mis=bool(connection.wonde))
    for member in members:
        profile = going_to.get(member.id)
        index.add(member, linked_to=linked.get(member.id), excluded=member.id in excluded,
                  created_for=(profile.id, profile.name) if profile is not None else None)
    return index


def _decide(profile, group, already_created, index, despite_look_alikes, dry_run):
    member = already_created.get(str(profile.id))
    if member is not None:
        return Decision(profile, "linked", f"Sign In App member {member.id} of '{group.name}' already carries the "
                        "profile's id (an earlier push created it), so it is linked", member.id)
    candidates = index.matches(profile)
    if candidates and not despite_look_alikes:
        return Decision(profile, "held_back", _held_back_reason(profile, group, candidates), members=candidates)
    if candidates:
        return Decision(profile, "created", "it looks like a member already in the group, but a person asked for a "
                        "new member", members=candidates)
    return Decision(profile, "created", f"no member of '{group.name}' looks like it, so a new member "
                    f"{'would be' if dry_run else 'is'} created")


def _held_back_reason(profile, group, candidates):
    def described(candidate):
        who = f"Sign In App member {candidate.sia_member_id} ({candidate.name})" if candidate.sia_member_id else \
            f"the member this push would create ({candidate.name})"
        return f"{who}, {candidate.why}" + (f"; {candidate.advice}" if candidate.advice else "")

    shown = "; ".join(described(candidate) for candidate in candidates[:5])
    more = f"; and {len(candidates) - 5} more" if len(candidates) > 5 else ""
    todo = (
        "Link it to the existing member, or create a new member for it if they are different people."
        if any(candidate.linkable for candidate in candidates)
        else "Create a new member for it only if they are different people."
    )
    email = f", {profile.email}" if profile.email else ""
    members = "a member" if len(candidates) == 1 else "members"
    return f"{profile.name} (profile {profile.id}{email}) looks like {members} already in '{group.name}': {shown}{more}. {todo}"


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


def _member_for(profile, group, field_map):
    """The member a push would create for `profile`, as Sign In App would hold it (a dry run's stand-in)."""
    personal = fields.member_fields_for_push(_profile_fields(profile), field_map.to_sia)
    return Member.from_json({"id": 0, "group_id": group.sia_id, "personal_fields": personal})


def _push_one(sia, connection, group, profile, field_map, shadows, group_rows, tracker):
    """Create the member for one profile and link it; returns (its Decision, the member or None)."""
    try:
        member = sia.create_member(group.sia_id, fields.member_fields_for_push(_profile_fields(profile), field_map.to_sia))
    except SiaRejected as error:
        message = f"Profile {profile.id} ({profile.name}) was not pushed: {error}"
        tracker.problem(profile.id, profile.name, "sia_rejected", message)
        return Decision(profile, "failed", message), None
    created = Decision(profile, "created", f"created as Sign In App member {member.id} of '{group.name}' and linked", member.id)
    return _link_one(connection, profile, member, shadows, group_rows, tracker, created)


def _link_one(connection, profile, member, shadows, group_rows, tracker, decision):
    """Link `profile` to the group's `member`; returns (the decision, or a failed one, and the member)."""
    with database.atomic():
        shadow_id = mirror.store_shadows(connection, [member], shadows, group_rows)[member.id]
        try:
            linking.create_link(profile, SiaMember.get_by_id(shadow_id), tracker.run.actor)
        except linking.LinkConflict as error:
            tracker.problem(profile.id, profile.name, "already_linked", str(error))
            return Decision(profile, "failed", str(error), member.id), member
    return decision, member


def link_to_existing_member(organisation, profile, sia_member_id, actor, client=None):
    """Link a profile a push held back to the Sign In App member it looks like; returns (link, made).

    Sign In App is asked for the member first, so the link goes to a member that is there now, in a group
    linked to the organisation; its shadow is refreshed and the link made in one transaction by the one
    path a person's link takes (`sync.links.link_member`, audit event `push.link_existing`). `made` is
    False when the two were already linked to each other: nothing is written then. Raises
    links.ActionRefused saying why and what to do.
    """
    connection = SiaConnection.for_organisation(organisation)
    if connection is None:
        raise links.ActionRefused(
            f"{organisation.name} has no Sign In App connection, so no member can be linked; "
            "support adds one under Settings → Sign In App → Connection."
        )
    try:
        with nullcontext(client) if client is not None else client_for(connection, timeout=LIVE_TIMEOUT, retry_delays=()) as sia:
            member = sia.member(sia_member_id)
    except SiaNotFound:
        raise links.ActionRefused(
            f"Sign In App has no member {sia_member_id} now (deleted there?), so {profile.name} (profile "
            f"{profile.id}) was not linked; preview the push again to see what it looks like now."
        ) from None
    except SiaError as error:
        raise links.ActionRefused(
            f"{profile.name} (profile {profile.id}) was not linked: Sign In App did not answer ({error}). Try again."
        ) from None
    group_rows = dict(SiaGroup.select(SiaGroup.sia_id, SiaGroup.id).where(SiaGroup.connection == connection).tuples())
    if member.group_id not in group_rows:
        raise links.ActionRefused(
            f"Sign In App member {member.id} ({member.name}) is in a group Tether has not imported yet, so "
            f"{profile.name} (profile {profile.id}) was not linked; link the group in Sign In App and run the import first."
        )
    with database.atomic():
        shadows = mirror.shadows_of(connection, sia_ids=[member.id])
        shadow_id = mirror.store_shadows(connection, [member], shadows, group_rows)[member.id]
        return links.link_member(profile, SiaMember.get_by_id(shadow_id), actor, action="push.link_existing")

