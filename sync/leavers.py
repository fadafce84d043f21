"""Leaver severing (DESIGN §5): a leaving date severs the profile's link from that day.

The daily job calls `sever_leavers` for every organisation; each import also severs the links of its leavers as it
meets them. A returner (the leaving date removed) is active again, but the link stays severed until
someone re-links it: `linking.previous_member(profile)` names the member to offer.
"""
import datetime

from store.models import Link, Profile

from . import linking, runs

KIND = "sever_leavers"


def linked_leavers(organisation, today):
    """The active links of the organisation's profiles whose leaving date is today or earlier."""
    return (
        Link.select(Link)
        .join(Profile)
        .where(
            (Link.organisation == organisation)
            & Link.severed_at.is_null()
            & Profile.leaving_date.is_null(False)
            & (Profile.leaving_date <= today)
        )
        .order_by(Link.id)
    )


def sever_leavers(organisation, *, actor, trigger="manual", today=None):
    """Sever every link of the organisation's leavers as `leaver`; returns a runs.RunResult."""
    today = today or datetime.date.today()
    with runs.running(organisation, KIND, actor=actor, trigger=trigger) as tracker:
        links = list(linked_leavers(organisation, today))
        tracker.progress(0, len(links))
        for done, link in enumerate(links, start=1):
            linking.sever(link, "leaver", tracker.run.actor)
            tracker.progress(done)
        return tracker.finish({"severed": len(links)})

