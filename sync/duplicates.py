"""Duplicate suggestions: profiles an SIA import created that look like a profile the school already had.

After a first import, a person often has two profiles: the one the school entered (unlinked) and the one
the import created from Sign In App (linked). The help pages say: merge them, never delete. A suggestion
pairs an SIA-sourced linked active profile with an unlinked active profile of the same organisation:

- same email → `certain`; same name and date of birth → `likely`; same name → `possible`

comparing case- and whitespace-insensitively. The unlinked profile is offered as the one to keep (the
school's record, with its checks); the link moves to it when the pair is merged.

Both sides are read in two queries and matched through dictionaries keyed by the normalised values, so
the cost grows with the number of profiles, not with its square.
"""
from collections import defaultdict
from dataclasses import dataclass

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


def normalise(value):
    return " ".join(str(value or "").split()).casefold()


def _name(profile):
    return normalise(f"{profile.forename} {profile.surname}")


def _linked_from_sia(organisation):
    return (
        Profile.active(organisation)
        .join(Link, on=(Link.profile == Profile.id))
        .where((Profile.source == "sia") & Link.severed_at.is_null())
    )


def _unlinked(organisation):
    linked = Link.active().where(Link.organisation == organisation).select(Link.profile)
    return Profile.active(organisation).where(Profile.id.not_in(linked))


def _matches(profile, by_email, by_name_dob, by_name):
    """Suggestions for one linked profile: each unlinked candidate once, with its best score."""
    email, name = normalise(profile.email), _name(profile)
    tiers = (
        (by_email.get(email) if email else None, "certain", f"same email ({email})"),
        (by_name_dob.get((name, profile.dob)) if name and profile.dob else None, "likely",
         f"same name and date of birth ({profile.dob:%d %b %Y})" if profile.dob else ""),
        (by_name.get(name) if name else None, "possible", "same name (no matching email or date of birth)"),
    )
    seen = set()
    for candidates, score, reason in tiers:
        for candidate in candidates or ():
            if candidate.id not in seen:
                seen.add(candidate.id)
                yield Suggestion(kept=candidate, removed=profile, score=score, reason=reason)


def suggestions(organisation):
    """Suggested (kept, removed) pairs for `organisation`, most certain first."""
    by_email, by_name_dob, by_name = defaultdict(list), defaultdict(list), defaultdict(list)
    for candidate in _unlinked(organisation):
        name = _name(candidate)
        if normalise(candidate.email):
            by_email[normalise(candidate.email)].append(candidate)
        if name and candidate.dob:
            by_name_dob[(name, candidate.dob)].append(candidate)
        if name:
            by_name[name].append(candidate)
    found = []
    for profile in _linked_from_sia(organisation):
        found.extend(_matches(profile, by_email, by_name_dob, by_name))
    return sorted(found, key=lambda s: (-s.rank, _name(s.kept), s.kept.id, s.removed.id))
