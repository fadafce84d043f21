"""Person-level repairs of the tie between a profile and its Sign In App member (DESIGN §5).

One service function per action, called by the console, the CLI and the jobs alike:

- `decouple` severs the link (`decoupled`): the profile shows on the upload page as unintegrated, and its
  member comes back as a new profile on the next import unless it is deleted or archived in SIA;
- `delete_profile` soft-deletes a profile; an integrated one also loses its link (`deleted`) and its
  member goes on the exclusion list, so it is never imported again;
- `restore_profile` (support) brings a deleted profile back within 90 days, without its link or exclusion;
- `restore_exclusion` (support) lets an excluded member import again on the next run;
- `relink` (support) ties a profile to a member of its organisation's linked returning groups;
- `link_member` is the one path a person's link takes: re-link, and the push's "link to the existing
  member" (`sync.push.link_to_existing_member`) for a profile held back as a look-alike.

Each action runs in one transaction and writes one AuditEvent of its own with what changed (the link
steps in `sync.linking` add theirs), and changes a profile only at the version the caller read
(optimistic locking on `Profile.version`). A refusal raises
`ActionRefused` with a message that names the record and says what to do instead.
"""
import datetime
from dataclasses import dataclass

from peewee import IntegrityError

from store import database
from store.models import AuditEvent, Exclusion, Link, Profile, SiaConnection, SiaGroup, SiaMember, now
from store.search import search_phrase

from .linking import LinkConflict, create_link, sever

RESTORE_DAYS = 90
OFFERED_MEMBERS = 100


class ActionRefused(Exception):
    """An action that cannot be done as asked; the message says why and what to do next."""


def actor_name(actor):
    return getattr(actor, "email", actor) or ""


def update_profile(profile, **changes):
    """Write `changes` to `profile` only if nobody changed it since it was read; bumps its version."""
    read_version = profile.version
    changes.update(version=read_version + 1, updated_at=now())
    written = (
        Profile.update(**changes)
        .where((Profile.id == profile.id) & (Profile.version == read_version))
        .execute()
    )
    if written != 1:
        raise ActionRefused(
            f"{profile.label} was changed by someone else since you opened it; "
            "reload the profile, check it, and try again."
        )
    for name, value in changes.items():
        setattr(profile, name, value)


def link_view(link):
    """What an audit event keeps of a link."""
    if link is None:
        return None
    member = link.sia_member
    return {"link": link.id, "sia_member": member.sia_id, "member_name": member.display_name}


def _member_label(member):
    return f"Sign In App member {member.display_name} ({member.sia_id})"


def _subject(profile):
    return f"profile:{profile.id}"


def refuse_unless_active(profile, doing):
    if profile.status == "deleted":
        raise ActionRefused(
            f"{profile.label} is deleted, so it cannot be {doing}; "
            "support can restore it within 90 days of its deletion."
        )
    if profile.status == "merged":
        raise ActionRefused(
            f"{profile.label} was merged into profile {profile.merged_into_id}, "
            f"so it cannot be {doing}; work on that profile instead, or undo the merge."
        )


def active_exclusion(organisation, member):
    """The exclusion that keeps `member` out of `organisation`'s imports, if any."""
    return (
        Exclusion.active(organisation)
        .where((Exclusion.connection == member.connection_id) & (Exclusion.sia_member_id == member.sia_id))
        .first()
    )


def decouple(profile, actor, reason=""):
    """Sever the profile's link (`decoupled`); returns the severed link."""
    with database.atomic():
        link = Link.active_for_profile(profile)
        if link is None:
            raise ActionRefused(
                f"{profile.label} is not linked to a Sign In App member, "
                "so there is nothing to decouple."
            )
        before = link_view(link)
        update_profile(profile)
        sever(link, "decoupled", actor)
        AuditEvent.record(
            "profile.decouple", actor=actor, organisation=profile.organisation_id, subject=_subject(profile),
            before={"link": before}, after={"link": None}, reason=reason,
        )
    return link


def delete_profile(profile, actor, reason=""):
    """Soft-delete a profile; an integrated one is also severed (`deleted`) and its member excluded.

    Returns the member's exclusion, or None for a profile that was not integrated.
    """
    with database.atomic():
        refuse_unless_active(profile, "deleted")
        link = Link.active_for_profile(profile)
        before = {"status": profile.status, "deleted_at": None, "link": link_view(link)}
        update_profile(profile, status="deleted", deleted_at=now())
        exclusion = None
        if link is not None:
            sever(link, "deleted", actor)
            exclusion = _exclude(profile, link.sia_member, actor, reason)
        AuditEvent.record(
            "profile.delete", actor=actor, organisation=profile.organisation_id, subject=_subject(profile),
            before=before,
            after={
                "status": "deleted",
                "deleted_at": profile.deleted_at,
                "link": None,
                "exclusion": exclusion.id if exclusion else None,
            },
            reason=reason,
        )
    return exclusion


def _exclude(profile, member, actor, reason):
    existing = active_exclusion(profile.organisation_id, member)
    if existing is not None:
        return existing
    return Exclusion.create(
        organisation=profile.organisation_id,
        connection=member.connection_id,
        sia_member_id=member.sia_id,
        display_name=member.display_name,
        reason=reason or f"Profile {profile.name} (profile {profile.id}) was deleted.",
        created_by=actor_name(actor),
    )


def restore_deadline(profile):
    """The last moment a deleted profile can be restored."""
    return profile.deleted_at + datetime.timedelta(days=RESTORE_DAYS)


def can_restore(profile):
    return profile.status == "deleted" and now() <= restore_deadline(profile)


def restore_profile(profile, actor):
    """Make a deleted profile active again (support, within 90 days of its deletion).

    Its link is not restored and its member stays excluded: support restores the exclusion and
    re-links the member (one step with `relink(..., restore_exclusion=True)`), or merges the profiles.
    """
    with database.atomic():
        if profile.status != "deleted":
            raise ActionRefused(
                f"{profile.label} is not deleted, so there is nothing to restore."
            )
        if now() > restore_deadline(profile):
            raise ActionRefused(
                f"{profile.label} was deleted on {profile.deleted_at:%d %b %Y}, more than "
                f"{RESTORE_DAYS} days ago, so it can no longer be restored; create the profile again instead."
            )
        before = {"status": "deleted", "deleted_at": profile.deleted_at}
        update_profile(profile, status="active", deleted_at=None)
        AuditEvent.record(
            "profile.restore", actor=actor, organisation=profile.organisation_id, subject=_subject(profile),
            before=before, after={"status": "active", "deleted_at": None},
        )
    return profile


def restore_exclusion(exclusion, actor):
    """Lift an exclusion (support): the member imports again on the next run."""
    with database.atomic():
        if exclusion.restored_at is not None:
            raise ActionRefused(
                f"{exclusion.display_name} (Sign In App member {exclusion.sia_member_id}) was already restored "
                f"on {exclusion.restored_at:%d %b %Y} by {exclusion.restored_by}; it imports on the next run."
            )
        restored = (
            Exclusion.update(restored_at=now(), restored_by=actor_name(actor))
            .where((Exclusion.id == exclusion.id) & Exclusion.restored_at.is_null())
            .execute()
        )
        if restored != 1:
            raise ActionRefused(
                f"{exclusion.display_name} (Sign In App member {exclusion.sia_member_id}) was restored by someone "
                "else just now; it imports on the next run."
            )
        exclusion = Exclusion.get_by_id(exclusion.id)
        AuditEvent.record(
            "exclusion.restore", actor=actor, organisation=exclusion.organisation_id,
            subject=f"exclusion:{exclusion.id}",
            before={"sia_member": exclusion.sia_member_id, "restored_at": None},
            after={"sia_member": exclusion.sia_member_id, "restored_at": exclusion.restored_at},
        )
    return exclusion


def _refuse_unless_linkable(profile, member, restore_excluded, doing):
    """Raise ActionRefused unless `profile` may be linked to `member`; returns the exclusion to lift, if any.

    `restore_excluded` None: lifting an exclusion is not offered here (only support may)."""
    refuse_unless_active(profile, doing)
    if profile.is_leaver():
        raise ActionRefused(
            f"{profile.label} is a leaver since {profile.leaving_date:%d %b %Y}; "
            "remove the leaving date first, then re-link it."
        )
    current = Link.active_for_profile(profile)
    if current is not None:
        raise ActionRefused(
            f"{profile.label} is already linked to {_member_label(current.sia_member)}; "
            "decouple it first if that is the wrong member."
        )
    taken = Link.active_for_member(member)
    if taken is not None:
        raise ActionRefused(
            f"{_member_label(member)} is already linked to {taken.profile.label}; "
            "merge the two profiles instead, or decouple that profile first."
        )
    if member.gone_at is not None or member.archived:
        raise ActionRefused(
            f"{_member_label(member)} is no longer in Sign In App (deleted or archived there); "
            "choose another member, or push the profile to Sign In App from the upload page."
        )
    group = member.group
    if group.organisation_id != profile.organisation_id or group.type != "returning" or group.gone_at is not None:
        raise ActionRefused(
            f"{_member_label(member)} is in the group {group.name}, which is not a Repeat (returning) group "
            f"linked to {profile.organisation.name}; link that group in Sign In App first, or choose another member."
        )
    exclusion = active_exclusion(profile.organisation_id, member)
    if exclusion is not None and restore_excluded is None:
        raise ActionRefused(
            f"{_member_label(member)} is on the exclusion list, so it cannot be linked; "
            "ask support to restore it, and they can link it in the same step."
        )
    if exclusion is not None and not restore_excluded:
        raise ActionRefused(
            f"{_member_label(member)} is on the exclusion list, so it cannot be linked; "
            "restore its exclusion in the same step to link it."
        )
    return exclusion


def link_member(profile, member, actor, *, action, restore_exclusion=None, doing="linked"):
    """Link a profile to a member of its organisation's linked groups because a person asked: the one path
    support's re-link and the push's "link to the existing member" share. Returns (link, made).

    Refused with a reason when either side is linked elsewhere, the member is gone, excluded or in a
    group not linked to the organisation, or the profile is not active or a leaver. `restore_exclusion`
    True lifts an excluded member's exclusion in the same transaction (support), None does not offer it.
    Linking the two again changes nothing: the link they have is returned with `made` False. Otherwise
    one transaction writes the link (with its `link.created` event) and an `action` audit event.
    """
    with database.atomic():
        current = Link.active_for_profile(profile)
        if current is not None and current.sia_member_id == member.id:
            return current, False
        exclusion = _refuse_unless_linkable(profile, member, restore_exclusion, doing)
        if exclusion is not None:
            _lift(exclusion, actor)
        update_profile(profile)
        try:
            with database.atomic():
                link = create_link(profile, member, actor)
        except (IntegrityError, LinkConflict):
            raise ActionRefused(
                f"{profile.label} or {_member_label(member)} was linked by someone else "
                "just now; reload the profile to see its link."
            ) from None
        AuditEvent.record(
            action, actor=actor, organisation=profile.organisation_id, subject=_subject(profile),
            before={"link": None, "exclusion": exclusion.id if exclusion else None},
            after={"link": link_view(link), "exclusion_restored": exclusion is not None},
        )
    return link, True


def relink(profile, member, actor, restore_exclusion=False):
    """Link a profile to a member of its organisation's linked groups (support); returns the link.

    With `restore_exclusion`, an excluded member's exclusion is lifted in the same transaction.
    """
    link, _ = link_member(profile, member, actor, action="profile.relink", restore_exclusion=restore_exclusion,
                          doing="re-linked")
    return link


def _lift(exclusion, actor):
    Exclusion.update(restored_at=now(), restored_by=actor_name(actor)).where(Exclusion.id == exclusion.id).execute()


def member_of(organisation, member_id):
    """A member of the Sign In App account the organisation syncs through, or None."""
    connection = SiaConnection.for_organisation(organisation)
    if connection is None or member_id is None:
        return None
    return SiaMember.get_or_none((SiaMember.id == member_id) & (SiaMember.connection == connection))


def previous_member(profile):
    """The member the profile was last linked to, when the profile has no link now (a returning leaver,
    a decoupled or restored profile) and that member is free to link again; else None."""
    if Link.active_for_profile(profile) is not None:
        return None
    last = (
        Link.select(Link, SiaMember)
        .join(SiaMember)
        .where(Link.profile == profile)
        .order_by(Link.severed_at.desc(), Link.id.desc())
        .first()
    )
    if last is None or Link.active_for_member(last.sia_member) is not None:
        return None
    return last.sia_member


@dataclass(frozen=True)
class Offer:
    """A member the console offers for re-linking a profile."""

    member: SiaMember
    previous: bool
    excluded: bool


def offered_members(profile, search="", limit=OFFERED_MEMBERS):
    """Members a profile may be re-linked to: its previous member first, then unlinked members of its
    organisation's linked returning groups still in SIA (filtered by `search`), marking excluded ones."""
    previous = previous_member(profile)
    linked = Link.active().select(Link.sia_member)
    query = (
        SiaMember.select(SiaMember, SiaGroup)
        .join(SiaGroup)
        .where(
            SiaMember.group.in_(SiaGroup.synced_for(profile.organisation_id).select(SiaGroup.id))
            & SiaMember.gone_at.is_null()
            & (SiaMember.archived == False)  # noqa: E712
            & SiaMember.id.not_in(linked)
        )
        .order_by(SiaMember.id)
        .limit(limit)
    )
    search = search_phrase(search)
    if search:
        query = query.where(SiaMember.id.in_(SiaMember.mentioning(search).select(SiaMember.id)))
    members = ([previous] if previous else []) + [m for m in query if previous is None or m.id != previous.id]
    excluded = {
        (e.connection_id, e.sia_member_id)
        for e in Exclusion.active(profile.organisation_id).where(
            Exclusion.sia_member_id.in_([m.sia_id for m in members])
        )
    } if members else set()
    return [
        Offer(member=m, previous=previous is not None and m.id == previous.id,
              excluded=(m.connection_id, m.sia_id) in excluded)
        for m in members
    ]


def member_absence(link):
    """How the linked member of an active `link` is missing from Sign In App, or None when it is there.

    ("archived", since) when archived there; ("gone", since) when it was not in Sign In App at an import
    (deleted, or moved out of its group), or its group is no longer there. `since` is the import that saw
    it, or None when the mirror does not know.
    """
    if link is None:
        return None
    member = link.sia_member
    if member.archived:
        return "archived", member.gone_at
    if member.gone_at is not None or member.group.gone_at is not None:
        return "gone", member.gone_at or member.group.gone_at
    return None


def history(profile):
    """Every link the profile has had, newest first, with its member."""
    return list(
        Link.select(Link, SiaMember)
        .join(SiaMember)
        .where(Link.profile == profile)
        .order_by(Link.linked_at.desc(), Link.id.desc())
    )
