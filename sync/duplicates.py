"""Duplicate suggestions and bulk merge: profiles an SIA import created that look like a profile the school
already had, what bulk merge does with each pair by default, and the bulk merge itself.

After a first import, a person often has two profiles: the one the school entered (unlinked) and the one
the import created from Sign In App (linked). The help pages say: "Do not delete the duplicate profiles! To
maintain the integration link, these profiles will need to be merged in bulk with your existing SCR
profiles." A suggestion pairs an SIA-sourced linked active profile with an unlinked active profile of the
same organisation:

- same email → `certain`; same name and date of birth → `likely`; same name → `possible`

comparing case- and whitespace-insensitively. The unlinked profile is offered as the one to keep (the
school's record, with its checks); the link moves to it when the pair is merged.

A bulk merge takes the default choices, so it must never merge two people: `bulk_merge_default` ticks a
pair only when names and email agree, leaves the rest to the person's review, and never merges a pair
that conflicts (different dates of birth, both linked, a leaver) in bulk. Each pair says what differs.

Both sides are read in two queries, as plain cursor rows of the five fields compared, and matched through
dictionaries keyed by the normalised values, so the cost grows with the number of profiles, not with its
square. `ranked_pairs` stops there (ids, score and reason); `suggestions` then reads the profiles of the
pairs asked for in one more query, so a page of 50 suggestions builds 100 profiles, not the organisation.
"""
import datetime
from collections import defaultdict, namedtuple
from dataclasses import dataclass

from store import database
from store.models import Link, Profile, ProfileType, SiaGroup

from .links import ActionRefused
from .merge import MERGE_FIELDS, field_value, is_empty, merge

SCORES = {"certain": 3, "likely": 2, "possible": 1}

# What bulk merge does with a suggested pair by default (`bulk_merge_default`).
PRE_TICKED, REVIEW, NEVER = "pre-ticked", "review", "never"

# The Sign In App group permission the troubleshooting help names as the cause of new duplicates.
IPAD_SELF_ADD = "Allow new group members to be added via the iPad app"


@dataclass(frozen=True)
class BulkDefault:
    """What bulk merge does with one pair unless the person says otherwise, and why, in words."""

    choice: str  # PRE_TICKED, REVIEW or NEVER
    why: str
    conflicts: tuple = ()

    @property
    def ticked(self):
        return self.choice == PRE_TICKED

    @property
    def offered(self):
        """Whether the pair can be ticked for bulk merge at all (a conflicting pair is merged on its own)."""
        return self.choice != NEVER


@dataclass(frozen=True)
class Difference:
    """One field in which the two profiles of a pair differ, and what a merge with the defaults does."""

    label: str
    kept: str
    removed: str
    filled: bool  # the kept profile has no value: the merge takes the merged-in one

    @property
    def words(self):
        outcome = "the merge fills it in" if self.filled else f"the merge keeps {self.kept}"
        return f"{self.label}: {self.kept or 'none'} (kept) / {self.removed or 'none'} (merged in); {outcome}"


@dataclass(frozen=True)
class Suggestion:
    kept: Profile  # the unlinked profile the school already had
    removed: Profile  # the linked profile the import created
    score: str
    reason: str
    default: BulkDefault = None
    differences: tuple = ()

    @property
    def rank(self):
        return SCORES[self.score]


# One suggested pair, before its profiles are read: what `ranked_pairs` returns.
Pair = namedtuple("Pair", "kept_id removed_id score reason")
_COMPARED = (Profile.id, Profile.forename, Profile.surname, Profile.email, Profile.dob)


def normalise(value):
    return " ".join(str(value or "").split()).casefold()


def _date(value):
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value)[:10])


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
        return f"same name and date of birth ({_date(dob):%d %b %Y})"
    return "same name (no matching email or date of birth)"


def _ranked(candidates, sources):
    """Each unlinked candidate paired once per linked source profile, with its best score, most certain first."""
    by_email, by_name_dob, by_name = defaultdict(list), defaultdict(list), defaultdict(list)
    for candidate in candidates:
        _, name, email, dob = candidate
        if email:
            by_email[email].append(candidate)
        if name:
            by_name[name].append(candidate)
            if dob:
                by_name_dob[(name, dob)].append(candidate)
    found = []
    for removed_id, name, email, dob in sources:
        tiers = (
            ("certain", by_email.get(email) if email else None),
            ("likely", by_name_dob.get((name, dob)) if name and dob else None),
            ("possible", by_name.get(name) if name else None),
        )
        seen = set()
        for score, candidates_of_tier in tiers:
            for kept_id, kept_name, _, _ in candidates_of_tier or ():
                if kept_id not in seen:
                    seen.add(kept_id)
                    found.append((-SCORES[score], kept_name, kept_id, removed_id, score, email, dob))
    found.sort(key=lambda match: match[:4])
    return [Pair(kept_id, removed_id, score, _reason(score, email, dob)) for _, _, kept_id, removed_id, score, email, dob in found]


def ranked_pairs(organisation):
    """Every suggested pair of `organisation` as a Pair of ids, most certain first."""
    return _ranked(_compared(_unlinked(organisation)), _compared(_linked_from_sia(organisation)))


def _looking_like(profile):
    """A coarse condition on the profiles that may share `profile`'s email or name; `_ranked` decides exactly."""
    condition = Profile.id == 0
    email = normalise(profile.email)
    if email:
        condition |= Profile.email.contains(email)
    words = normalise(profile.name).split()
    if words:
        condition |= Profile.forename.contains(words[-1]) | Profile.surname.contains(words[-1])
    return condition


def suggestions_with(profile):
    """The suggested pairs `profile` is part of, with both profiles, most certain first.

    Reads only the profiles that look like it, not the organisation: the profile page asks it."""
    if profile.status != "active":
        return []
    organisation, itself = profile.organisation_id, Profile.id == profile.id
    rows = list(_compared(Profile.select().where(itself)))
    if _linked_from_sia(organisation).where(itself).exists():
        pairs = _ranked(_compared(_unlinked(organisation).where(_looking_like(profile))), rows)
    elif _unlinked(organisation).where(itself).exists():
        pairs = _ranked(rows, _compared(_linked_from_sia(organisation).where(_looking_like(profile))))
    else:
        return []  # linked but created in Central Record: never the duplicate an import made
    return suggestions(organisation, pairs)


def _shown(value):
    return f"{value:%d %b %Y}" if isinstance(value, datetime.date) else str(value).strip()


def _same(a, b):
    if isinstance(a, str) or isinstance(b, str):
        return normalise(a) == normalise(b)
    return a == b


def differences(kept, removed):
    """The fields in which `kept` and `removed` differ, in the merge form's words, as a merge with the
    default choices treats them (kept values win; an empty kept value is filled)."""
    found = []
    for field, label in MERGE_FIELDS.items():
        kept_value, removed_value = field_value(kept, field), field_value(removed, field)
        if (is_empty(kept_value) and is_empty(removed_value)) or _same(kept_value, removed_value):
            continue
        if field == "profile_type":
            kept_value, removed_value = kept.profile_type.name, removed.profile_type.name
        found.append(Difference(
            label, "" if is_empty(kept_value) else _shown(kept_value),
            "" if is_empty(removed_value) else _shown(removed_value), is_empty(kept_value),
        ))
    return tuple(found)


def bulk_merge_default(kept, removed, both_linked=False, on=None):
    """Whether bulk merge ticks the pair for the person (PRE_TICKED), leaves it to their review (REVIEW), or
    never merges it in bulk (NEVER), with why in words.

    A bulk merge keeps the kept profile's values, so it must not merge two people: a pair is pre-ticked only
    when names and email agree; one email shared by different first names is for review, never pre-ticked;
    a pair that conflicts is never merged in bulk, only on its own through the merge form:

    - different dates of birth: two people, or a mistake to correct before merging;
    - both linked to Sign In App members: the merge is refused, since one link would be lost;
    - a leaver (leaving date on or before `on`): the merged profile would be a leaver, and its link is
      severed at the next import; remove the leaving date first if they have returned.

    `kept` and `removed` need forename, surname, email, dob and leaving_date, nothing else.
    """
    on = on or datetime.date.today()
    conflicts = []
    if kept.dob and removed.dob and _date(kept.dob) != _date(removed.dob):
        conflicts.append(f"different dates of birth ({_date(kept.dob):%d %b %Y}, {_date(removed.dob):%d %b %Y})")
    if both_linked:
        conflicts.append("they are both linked to Sign In App members, so merging them would break one link")
    for profile in (kept, removed):
        if Profile.left_by(profile.leaving_date, on):
            conflicts.append(f"{Profile.name_of(profile.forename, profile.surname)} is a leaver from "
                             f"{profile.leaving_date:%d %b %Y}")
    if conflicts:
        return BulkDefault(
            NEVER,
            f"{'; '.join(conflicts)}. Compare and merge the pair on its own if it is one person.",
            tuple(conflicts),
        )
    same_email = bool(normalise(kept.email)) and normalise(kept.email) == normalise(removed.email)
    same_forename = normalise(kept.forename) == normalise(removed.forename)
    same_name = same_forename and normalise(kept.surname) == normalise(removed.surname)
    if same_email and same_name:
        return BulkDefault(PRE_TICKED, "names and email agree.")
    if same_email:
        differ = (f"different first names ({kept.forename.strip()}, {removed.forename.strip()})" if not same_forename
                  else f"different surnames ({kept.surname.strip()}, {removed.surname.strip()})")
        return BulkDefault(REVIEW, f"one email shared by {differ}; check they are one person before ticking.")
    if same_name:
        emails = "different emails" if normalise(kept.email) and normalise(removed.email) else "no email to compare"
        return BulkDefault(REVIEW, f"same name but {emails}; check they are one person before ticking.")
    return BulkDefault(REVIEW, "names and email differ; check they are one person before ticking.")


def suggestions(organisation, pairs=None):
    """Suggested (kept, removed) pairs for `organisation`, most certain first, with both profiles, their
    bulk-merge default and what differs.

    `pairs` (from `ranked_pairs`, e.g. one page of them) chooses which; by default every pair."""
    pairs = ranked_pairs(organisation) if pairs is None else pairs
    ids = {pair.kept_id for pair in pairs} | {pair.removed_id for pair in pairs}
    profiles = {
        p.id: p for p in Profile.select(Profile, ProfileType).join(ProfileType).where(Profile.id.in_(list(ids)))
    } if ids else {}
    found = []
    for pair in pairs:
        kept, removed = profiles[pair.kept_id], profiles[pair.removed_id]
        # A suggestion pairs an unlinked profile with a linked one: never both linked.
        found.append(Suggestion(
            kept, removed, pair.score, pair.reason, bulk_merge_default(kept, removed), differences(kept, removed),
        ))
    return found


@dataclass(frozen=True)
class PairResult:
    """How one pair of a bulk merge went: its MergeRecord, or why it was refused."""

    kept: Profile
    removed: Profile
    record: object = None  # the MergeRecord
    refusal: str = ""

    @property
    def merged(self):
        return self.record is not None


def bulk_merge(pairs, actor):
    """Merge each (kept, removed) pair in its own transaction with the default choices.

    Profiles are read afresh for each pair, so a profile already merged by an earlier pair is refused
    with its reason instead of being merged twice, and a pair that conflicts now (`bulk_merge_default`
    says NEVER) is refused with what conflicts; the other pairs go ahead.
    """
    results = []
    for kept, removed in pairs:
        kept, removed = Profile.get_by_id(kept.id), Profile.get_by_id(removed.id)
        try:
            both_linked = Link.active_for_profile(kept) is not None and Link.active_for_profile(removed) is not None
            default = bulk_merge_default(kept, removed, both_linked=both_linked)
            if not default.offered:
                raise ActionRefused(f"{removed.label} and {kept.label} are never merged in bulk: {default.why}")
            results.append(PairResult(kept, removed, record=merge(kept, removed, actor)))
        except ActionRefused as refusal:
            results.append(PairResult(kept, removed, refusal=str(refusal)))
    return results


# -- the likely cause of new duplicates -------------------------------------------------------------


@dataclass(frozen=True)
class LikelyCause:
    """Why new duplicates appear, from the troubleshooting help, and what to change in Sign In App."""

    title: str
    detail: str
    fix: str


def adds_members_via_ipad(group):
    """Whether the mirrored settings of Sign In App `group` say new members can be added via the iPad app."""
    return ((group.settings or {}).get("sign_in_options") or {}).get("allow_ipad_self_add") is True


def groups_adding_members_via_ipad(organisation):
    """The groups synced for `organisation` whose members can add themselves via the iPad app, by name."""
    return [g for g in SiaGroup.synced_for(organisation).order_by(SiaGroup.name) if adds_members_via_ipad(g)]


def ipad_self_add_cause(groups):
    """The help's likely cause of new duplicates, naming `groups` (SiaGroups with the setting on); None if none."""
    if not groups:
        return None
    names = ", ".join(g.name for g in groups)
    where = groups[0].name if len(groups) == 1 else "select each of these groups"
    plural = "s" if len(groups) > 1 else ""
    return LikelyCause(
        "New group members can be added via the iPad app",
        f"The Sign In App group{plural} {names} {'have' if plural else 'has'} “{IPAD_SELF_ADD}” toggled on. When "
        "this is selected, group members may accidentally create a second profile for themselves within the group, "
        "rather than signing in using their existing profile; the next import brings that profile in as a new "
        "duplicate.",
        f"From your Sign In App portal, head to Manage > Groups > {where} > Details and under Permissions, toggle "
        f"off “{IPAD_SELF_ADD}”. We recommend turning this off for integrated groups to avoid unnecessary duplicates.",
    )
