"""Duplicate suggestions: profiles an SIA import created that look like a profile the school already had.

After a first import, a person often has two profiles: the one the school entered (unlinked) and the one
the import created from Sign In App (linked). The help pages say: merge them, never delete. A suggestion
pairs an SIA-sourced linked active profile with an unlinked active profile of the same organisation:

- same email → `certain`; same name and date of birth → `likely`; same name → `possible`

comparing case- and whitespace-insensitively. The unlinked profile is offered as the one to keep (the
school's record, with its checks); the link moves to it when the pair is merged.

Both sides are read in two queries, as plain cursor rows of the five fields compared, and matched through
dictionaries keyed by the normalised values, so the cost grows with the number of profiles, not with its
square. `ranked_pairs` stops there (ids, score and reason); `suggestions` then reads the profiles of the
pairs asked for in one more query, so a page of 50 suggestions builds 100 profiles, not the organisation.
"""
import datetime
from collections import defaultdict, namedtuple
from dataclasses import dataclass

from store import database
from store.models import Link, Profile

SCORES = {"certain": 3, "likely": 2, "possible": 1}


@dataclass(frozen=True)
class Suggestion:
    kept: Profile  # the unlinked profile the school already had
    removed: Profile  # the linked profile the import created
    score: str
    reason: str

    @property
    def rank(self):
        return SCORES[self.score]


# One suggested pair, before its profiles are read: what `ranked_pairs` returns.
Pair = namedtuple("Pair", "kept_id removed_id score reason")
_COMPARED = (Profile.id, Profile.forename, Profile.surname, Profile.email, Profile.dob)


def normalise(value):
    return " ".join(str(value or "").split()).casefold()


def _linked_from_sia(organisation):
    return (
        Profile.active(organisation)
        .join(Link, on=(Link.profile == Profile.id))
        .where((Profile.source == "sia") & Link.severed_at.is_null())
    )


def _unlinked(organisation):
    linked = Link.active().where(Link.organisation == organisation).select(Link.profile)
    return Profile.active(organisation).where(Profile.id.not_in(linked))


def _compared(query):
    """(id, normalised name, normalised email, dob) of each profile, straight from the database cursor.

    No model or converter per row: this reads a whole organisation on every visit to the page. The
    date of birth stays as the driver gives it, which is the same for both sides of a comparison."""
    for profile_id, forename, surname, email, dob in database.execute(query.select(*_COMPARED)):
        yield profile_id, normalise(f"{forename} {surname}"), normalise(email), dob


def _reason(score, email, dob):
    if score == "certain":
        return f"same email ({email})"
    if score == "likely":
        born = dob if isinstance(dob, datetime.date) else datetime.date.fromisoformat(str(dob)[:10])
        return f"same name and date of birth ({born:%d %b %Y})"
    return "same name (no matching email or date of birth)"


def ranked_pairs(organisation):
    """Every suggested pair of `organisation` as a Pair of ids, most certain first.

    Each unlinked candidate is suggested once per linked profile, with its best score."""
    by_email, by_name_dob, by_name = defaultdict(list), defaultdict(list), defaultdict(list)
    for candidate in _compared(_unlinked(organisation)):
        _, name, email, dob = candidate
        if email:
            by_email[email].append(candidate)
        if name:
            by_name[name].append(candidate)
            if dob:
                by_name_dob[(name, dob)].append(candidate)
    found = []
    for removed_id, name, email, dob in _compared(_linked_from_sia(organisation)):
        tiers = (
            ("certain", by_email.get(email) if email else None),
            ("likely", by_name_dob.get((name, dob)) if name and dob else None),
            ("possible", by_name.get(name) if name else None),
        )
        seen = set()
        for score, candidates in tiers:
            for kept_id, kept_name, _, _ in candidates or ():
                if kept_id not in seen:
                    seen.add(kept_id)
                    found.append((-SCORES[score], kept_name, kept_id, removed_id, score, email, dob))
    found.sort(key=lambda match: match[:4])
    return [Pair(kept_id, removed_id, score, _reason(score, email, dob)) for _, _, kept_id, removed_id, score, email, dob in found]


def suggestions(organisation, pairs=None):
    """Suggested (kept, removed) pairs for `organisation`, most certain first, with both profiles.

    `pairs` (from `ranked_pairs`, e.g. one page of them) chooses which; by default every pair."""
    pairs = ranked_pairs(organisation) if pairs is None else pairs
    ids = {pair.kept_id for pair in pairs} | {pair.removed_id for pair in pairs}
    profiles = {p.id: p for p in Profile.select().where(Profile.id.in_(list(ids)))} if ids else {}
    return [Suggestion(profiles[p.kept_id], profiles[p.removed_id], p.score, p.reason) for p in pairs]
