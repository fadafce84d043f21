"""Look-alikes: the members of a Sign In App group that a profile looks like, so "Push All" offers to link
the profile to the existing member instead of creating a second one (DESIGN §5).

    index = LookAlikes(use_mis=connection.wonde)
    index.add(member, linked_to=(12, "Ada Lovelace"), excluded=False)
    index.matches(profile)   # [Candidate], the same email first

A profile looks like a member when they have the same email (any case, spaces ignored), or the same
first name, last name and date of birth when Sign In App has the member's date of birth: the MIS date of
birth the Wonde connection brings (`Member.mis`, used with the connection's Wonde toggle on), else a
personal field `date_of_birth`. Names alone are not enough: two people
of one name are common in a school. Pure functions of plain values: no database, no Sign In App.
"""
from dataclasses import dataclass

from .fields import mis_date

# The member's personal field that holds a date of birth (YYYY-MM-DD), when Sign In App has one.
DOB_FIELD = "date_of_birth"
SAME_EMAIL = "same email"
SAME_NAME_AND_DOB = "same first name, last name and date of birth"


def _plain(text):
    """Text as two people would compare it: case and runs of spaces ignored; None when empty."""
    return " ".join(str(text or "").split()).casefold() or None


def member_dob(member, use_mis=True):
    """The date of birth Sign In App has for `member` (a connector Member), or None when it has none: its
    MIS date of birth (with `use_mis`) when it has one, else its personal field `date_of_birth`."""
    return mis_date((use_mis and member.mis.get(DOB_FIELD)) or member.personal_fields.get(DOB_FIELD))


@dataclass(frozen=True)
class Candidate:
    """A member a profile looks like, why, and what stands in the way of linking the two."""

    sia_member_id: int | None  # None: a member this dry run would create
    name: str
    email: str
    why: str  # SAME_EMAIL or SAME_NAME_AND_DOB
    linked_to: tuple | None = None  # (profile id, name) of the profile the member is linked to
    excluded: bool = False  # on the organisation's exclusion list
    created_for: tuple | None = None  # (profile id, name) this push creates (or links) the member for

    @property
    def linkable(self):
        """Whether "link to the existing member" can be offered for it."""
        return self.linked_to is None and self.created_for is None and not self.excluded

    @property
    def advice(self):
        """What stands in the way of linking, and what to do instead; "" when the member can be linked."""
        if self.created_for is not None:
            profile_id, name = self.created_for
            return f"it goes to {name} (profile {profile_id}) in this push: if they are the same person, merge the two profiles"
        if self.linked_to is not None:
            profile_id, name = self.linked_to
            return f"it is linked to {name} (profile {profile_id}): if they are the same person, merge the two profiles"
        if self.excluded:
            return "it is on the exclusion list: ask support to restore it, and they can link it in the same step"
        return ""

    def to_dict(self):
        return {
            "sia_member_id": self.sia_member_id,
            "name": self.name,
            "email": self.email,
            "why": self.why,
            "linkable": self.linkable,
            "advice": self.advice,
        }


class LookAlikes:
    """The members of one group, found by email and by name and date of birth."""

    def __init__(self, use_mis=True):
        self.use_mis = use_mis  # the connection's Wonde toggle: whether the MIS date of birth is used
        self._by_email = {}
        self._by_name_and_dob = {}

    def add(self, member, *, linked_to=None, excluded=False, created_for=None, new=False):
        """Index a connector Member; `new` for one a dry run would create (it has no Sign In App id yet)."""
        entry = (member, linked_to, excluded, created_for, new)
        email = _plain(member.email)
        if email:
            self._by_email.setdefault(email, []).append(entry)
        key = _name_and_dob(member.first_name, member.last_name, member_dob(member, self.use_mis))
        if key:
            self._by_name_and_dob.setdefault(key, []).append(entry)

    def matches(self, profile):
        """The Candidates `profile` looks like: by email first, then by name and date of birth, each once."""
        found, seen = [], set()
        email = _plain(profile.email)
        key = _name_and_dob(profile.forename, profile.surname, profile.dob)
        for why, entries in ((SAME_EMAIL, self._by_email.get(email, []) if email else []),
                             (SAME_NAME_AND_DOB, self._by_name_and_dob.get(key, []) if key else [])):
            for member, linked_to, excluded, created_for, new in entries:
                if id(member) in seen:
                    continue
                seen.add(id(member))
                found.append(Candidate(None if new else member.id, member.name, member.email, why,
                                       linked_to, excluded, created_for))
        return found


def _name_and_dob(first, last, dob):
    first, last = _plain(first), _plain(last)
    return (first, last, dob) if first and last and dob else None
