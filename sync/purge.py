"""Purge (DESIGN §5): profiles soft-deleted more than 90 days ago are removed for good; exclusions stay.

Until then support can restore a deleted profile. Purging removes the profile with its checks and link
history; the Exclusion of its Sign In App member is kept, so the member is still not imported again.
Each purged profile leaves an audit event with what it was.
"""
import datetime

from store import database
from store.models import AuditEvent, Profile, now

from . import runs

KIND = "purge_deleted"
KEPT_DAYS = 90


def purgeable(organisation, moment=None):
    """The organisation's profiles deleted more than KEPT_DAYS days before `moment`."""
    cutoff = (moment or now()) - datetime.timedelta(days=KEPT_DAYS)
    return Profile.select().where(
        (Profile.organisation == organisation)
        & (Profile.status == "deleted")
        & Profile.deleted_at.is_null(False)
        & (Profile.deleted_at < cutoff)
    ).order_by(Profile.id)


def purge_deleted(organisation, *, actor, trigger="manual", moment=None):
    """Remove the organisation's profiles deleted over KEPT_DAYS days ago; returns a runs.RunResult."""
    with runs.running(organisation, KIND, actor=actor, trigger=trigger) as tracker:
        profiles = list(purgeable(organisation, moment))
        tracker.progress(0, len(profiles))
        for done, profile in enumerate(profiles, start=1):
            with database.atomic():
                AuditEvent.record(
                    "profile.purged",
                    actor=tracker.run.actor,
                    organisation=organisation,
                    subject=f"profile:{profile.id}",
                    before={"name": profile.name, "email": profile.email, "deleted_at": profile.deleted_at},
                    reason=f"deleted more than {KEPT_DAYS} days ago",
                )
                profile.delete_instance()
            tracker.progress(done)
        return tracker.finish({"purged": len(profiles)})

