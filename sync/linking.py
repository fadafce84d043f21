"""Links between a profile and a Sign In App member: made and severed here, each with its audit event.

`create_link` and `sever` are the shared steps every action uses (import, push, leavers, and the
person-level actions in `sync.links` and `sync.merge`). At most one active link per profile and per
member: the database enforces it, and `create_link` says which side is taken before it gets that far.
"""
from store import database
from store.models import AuditEvent, Link, now


class LinkConflict(Exception):
    """A link cannot be made: the message names the record that is already linked and what to do."""


def _describe(link):
    return {
        "profile": link.profile_id,
        "sia_member": link.sia_member_id,
        "linked_at": link.linked_at,
        "severed_at": link.severed_at,
        "sever_reason": link.sever_reason,
    }


def create_link(profile, member, actor):
    """Link `profile` to the SIA `member` (a SiaMember); LinkConflict when either already has an active link."""
    with database.atomic():
        taken = Link.active_for_profile(profile)
        if taken is not None:
            raise LinkConflict(
                f"Profile {profile.id} ({profile.name}) is already linked to Sign In App member "
                f"{taken.sia_member.sia_id}; decouple it first."
            )
        taken = Link.active_for_member(member)
        if taken is not None:
            raise LinkConflict(
                f"Sign In App member {member.sia_id} ({member.display_name}) is already linked to profile "
                f"{taken.profile_id} ({taken.profile.name}); decouple that profile first."
            )
        link = Link.create(
            profile=profile,
            sia_member=member,
            organisation=profile.organisation_id,
            linked_by=getattr(actor, "email", actor) or "",
        )
        AuditEvent.record(
            "link.created",
            actor=actor,
            organisation=profile.organisation_id,
            subject=f"profile:{profile.id}",
            after=_describe(link),
            reason=f"linked to Sign In App member {member.sia_id} ({member.display_name})",
        )
    return link


def sever(link, reason, actor):
    """Sever an active link for `reason` (decoupled, deleted, leaver, merged); a severed link is left as it is."""
    if reason not in Link.SEVER_REASONS:
        raise ValueError(f"'{reason}' is not a reason to sever a link ({', '.join(Link.SEVER_REASONS)})")
    with database.atomic():
        before = _describe(link)
        severed = (
            Link.update(severed_at=now(), sever_reason=reason)
            .where((Link.id == link.id) & Link.severed_at.is_null())
            .execute()
        )
        if not severed:
            return Link.get_by_id(link.id)
        link = Link.get_by_id(link.id)
        AuditEvent.record(
            "link.severed",
            actor=actor,
            organisation=link.organisation_id,
            subject=f"profile:{link.profile_id}",
            before=before,
            after=_describe(link),
            reason=reason,
        )
    return link
