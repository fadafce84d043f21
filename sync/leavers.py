"""Leavers and returners (DESIGN §5, §12 item 6; the troubleshooting help's "Leavers and Returners").

"When a leaving date is added to a profile in SICR (either manually or via MIS), the integration link
for that profile is severed from the day your SCR profile becomes a Leaver. This means no further
updates will sync for that person." The daily job calls `sever_leavers` for every organisation; each
import also severs the links of its leavers as it meets them; a leaving date of today or earlier typed
on a profile severs its link at once (`sever_leaver`), through the same step as the job.

A returner (the leaving date removed) is active again, but the link stays severed until support
re-links it: "After removing the leaving date in SICR, you may need to re-establish the integration
link for the returning person." `returners` lists them for support; `links.previous_member(profile)`
names the member to offer.
"""
import datetime
from dataclasses import dataclass

from store.models import Link, Profile

from . import linking, runs

KIND = "sever_leavers"
RETURNERS_SHOWN = 100


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


def _sever(link, actor):
    return linking.sever(link, "leaver", actor)


def sever_leavers(organisation, *, actor, trigger="manual", today=None):
    """Sever every link of the organisation's leavers as `leaver`; returns a runs.RunResult."""
    today = today or datetime.date.today()
    with runs.running(organisation, KIND, actor=actor, trigger=trigger) as tracker:
        links = list(linked_leavers(organisation, today))
        tracker.progress(0, len(links))
        for done, link in enumerate(links, start=1):
            _sever(link, tracker.run.actor)
            tracker.progress(done)
        return tracker.finish({"severed": len(links)})


def sever_leaver(profile, actor, today=None):
    """Sever one profile's link as the nightly job would, when the profile is a leaver by `today`;
    returns the severed link, or None when it has not left yet or has no active link."""
    today = today or datetime.date.today()
    link = linked_leavers(profile.organisation_id, today).where(Link.profile == profile.id).first()
    return _sever(link, actor) if link is not None else None


def _last_links(profile_ids):
    """profile id → its latest link (severed or not)."""
    last = {}
    query = Link.select().where(Link.profile.in_(profile_ids)).order_by(Link.linked_at, Link.id)
    for link in query:
        last[link.profile_id] = link
    return last


@dataclass(frozen=True)
class Returner:
    """A returner waiting to be re-linked, and the link that was severed when they left."""

    profile: Profile
    severed: Link


def returners(organisation, today=None, limit=RETURNERS_SHOWN):
    """The organisation's returners waiting to be re-linked (`Returner`s), by name: active profiles that
    are not leavers (any more), have no active link, and whose latest link was severed when they left."""
    today = today or datetime.date.today()
    severed_as_leavers = Link.select(Link.profile).where(
        (Link.organisation == organisation) & (Link.sever_reason == "leaver")
    )
    linked = Link.active().where(Link.organisation == organisation).select(Link.profile)
    candidates = list(
        Profile.active(organisation)
        .where(
            Profile.id.in_(severed_as_leavers)
            & Profile.id.not_in(linked)
            & (Profile.leaving_date.is_null() | (Profile.leaving_date > today))
        )
        .order_by(Profile.surname, Profile.forename, Profile.id)
    )
    last = _last_links([p.id for p in candidates]) if candidates else {}
    return [Returner(p, last[p.id]) for p in candidates if last[p.id].sever_reason == "leaver"][:limit]


def is_returner(profile, today=None):
    """Whether `profile` is a returner waiting to be re-linked (see `returners`)."""
    today = today or datetime.date.today()
    if profile.status != "active" or profile.is_leaver(today) or Link.active_for_profile(profile) is not None:
        return False
    last = _last_links([profile.id]).get(profile.id)
    return last is not None and last.sever_reason == "leaver"
