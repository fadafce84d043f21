"""What the sync engine needs from Sign In App, as a protocol, and the records it reads.

`SiaSource` is the whole surface sync uses; `connectors.sia.client.SiaClient` implements it over the
client API (DESIGN §3), and a test may implement it with a list in memory.
"""
from dataclasses import dataclass, field
from typing import Iterator, Protocol

class _worked_out_once:
    """A property computed on first use and then kept in the instance's __dict__ (which a frozen
    dataclass still has). functools.cached_property does the same but takes a lock on every first
    use before Python 3.12, which cost a sync more than the values themselves."""

    def __init__(self, function):
        self.function = function
        self.name = function.__name__
        self.__doc__ = function.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.function(instance)
        return value


# Personal fields every member may have; anything else in `personal_fields` is a custom field.
STANDARD_FIELDS = ("name", "first_name", "last_name", "role", "email", "mobile")


@dataclass(frozen=True)
class Group:
    """A Sign In App group. `integrations` and `sign_in_options` are None when read from the list."""

    id: int
    name: str
    type: str
    integrations: dict | None = None
    sign_in_options: dict | None = None

    @classmethod
    def from_json(cls, data):
        return cls(
            id=int(data["id"]),
            name=data["name"],
            type=data["type"],
            integrations=data.get("integrations"),
            sign_in_options=data.get("sign_in_options"),
        )

    @property
    def is_returning(self):
        return self.type == "returning"

    @property
    def organisation_id(self):
        """The Central Record organisation the group is linked to, or None."""
        return (self.integrations or {}).get("organisation_id")


@dataclass(frozen=True)
class Member:
    """A returning visitor (member) of a group: Sign In App's documented "Returning Visitor Resource"
    (docs/design.md §3.1). `site_id`, `qr_codes`, `photo_url`, `last_in` and `last_out` are optional
    there: None or [] when absent. `last_in`/`last_out` are kept as the ISO-8601 text Sign In App sent.

    `archived` and `updated_at` are not documented: read when an answer has them (False / None
    otherwise), and nothing depends on them; a member missing from its group's listing is gone."""

    id: int
    group_id: int
    personal_fields: dict = field(default_factory=dict)
    status: str = "signed_out"
    archived: bool = False
    updated_at: str | None = None
    site_id: int | None = None
    last_in: str | None = None
    last_out: str | None = None
    photo_url: str | None = None
    permissions: dict = field(default_factory=dict)
    qr_codes: list = field(default_factory=list)
    # Partner data (docs/design.md §3, our assumption): what Sign In App's Wonde connection brings from the
    # school's MIS, {"date_of_birth", "start_date", "leaving_date"} (ISO dates or None); {} when the
    # member's group has no MIS data.
    mis: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data):
        # Filled in through __dict__: a frozen dataclass's __init__ sets each field through
        # object.__setattr__, which made building a member cost more than decoding it, and a sync
        # builds one per member on every run.
        get = data.get
        site_id, permissions, qr_codes = get("site_id"), get("permissions"), get("qr_codes")
        member = object.__new__(cls)
        member.__dict__.update(
            id=int(data["id"]),
            group_id=int(data["group_id"]),
            personal_fields=dict(get("personal_fields") or {}),
            status=get("status") or "signed_out",
            archived=bool(get("archived")),
            updated_at=get("updated_at"),
            site_id=None if site_id is None else int(site_id),
            last_in=get("last_in") or None,
            last_out=get("last_out") or None,
            photo_url=get("photo_url") or None,
            permissions=dict(permissions) if permissions else {},
            qr_codes=list(qr_codes) if qr_codes else [],
            mis=mis if isinstance(mis := get("mis"), dict) else {},
        )
        return member

    # The derived values are worked out once per member: a sync asks for each several times.
    def _field(self, name):
        value = self.personal_fields.get(name)
        return "" if value is None else str(value).strip()

    @_worked_out_once
    def name(self):
        return self._field("name") or f"{self._field('first_name')} {self._field('last_name')}".strip()

    @_worked_out_once
    def first_name(self):
        """The `first_name` field, else the name up to its last space."""
        return self._field("first_name") or self.name.rpartition(" ")[0].rstrip()

    @_worked_out_once
    def last_name(self):
        """The `last_name` field, else the last word of the name."""
        return self._field("last_name") or self.name.rpartition(" ")[2]

    @_worked_out_once
    def role(self):
        return self._field("role")

    @_worked_out_once
    def email(self):
        return self._field("email")

    @_worked_out_once
    def mobile(self):
        return self._field("mobile")

    @_worked_out_once
    def tidied(self):
        """{standard field: its value with runs of spaces made one, or None when empty}: what a sync copies.

        Worked out in one go, as the properties above would give them (and kept for them too): a sync
        asks every member for all of them."""
        get = self.personal_fields.get
        raw = {}
        for key in STANDARD_FIELDS:
            value = get(key)
            raw[key] = "" if value is None else str(value).strip()
        name = raw["name"] or f"{raw['first_name']} {raw['last_name']}".strip()
        values = {
            "name": name,
            "first_name": raw["first_name"] or name.rpartition(" ")[0].rstrip(),
            "last_name": raw["last_name"] or name.rpartition(" ")[2],
            "role": raw["role"],
            "email": raw["email"],
            "mobile": raw["mobile"],
        }
        self.__dict__.update(values)
        return {key: " ".join(value.split()) or None for key, value in values.items()}

    @_worked_out_once
    def custom(self):
        """The custom personal fields, e.g. {"department": "Science"}."""
        return {key: value for key, value in self.personal_fields.items() if key not in STANDARD_FIELDS}


@dataclass(frozen=True)
class PortalUser:
    """An administrator of the Sign In App portal: never synced, shown by diagnostics."""

    id: int
    name: str
    email: str
    role: str

    @classmethod
    def from_json(cls, data):
        return cls(id=int(data["id"]), name=data.get("name", ""), email=data.get("email", ""), role=data.get("role", ""))


@dataclass(frozen=True)
class PersonalField:
    """One of the account's custom personal fields (partner assumption, DESIGN §3): the opaque `key` a
    member's `personal_fields` carry its value under, the `label` the school gave it, and its `type`
    (text, boolean or number; anything else is read as text)."""

    key: str
    label: str
    type: str = "text"

    TYPES = ("text", "boolean", "number")

    @classmethod
    def from_json(cls, data):
        kind = data.get("type")
        return cls(key=str(data["key"]), label=str(data.get("label") or data["key"]),
                   type=kind if kind in cls.TYPES else "text")


@dataclass(frozen=True)
class PageRead:
    """A page of a group's members as read: its URL below the base URL, its `ETag`, the ids of its
    members in order, and whether another page follows."""

    group_id: int
    path: str
    etag: str | None  # None when Sign In App sent none: such a page is not remembered
    member_ids: tuple
    has_next: bool


class PageMemory(Protocol):
    """What a reader remembers of the member pages it read before, for conditional reads (DESIGN §3).

    The client asks for a remembered page with `If-None-Match`; when Sign In App answers 304 (the
    page is unchanged) the page's members come from `members_of` instead of being read again."""

    def last_read(self, path: str) -> PageRead | None:
        """The page at `path` as last read, or None."""

    def members_of(self, page: PageRead) -> list | None:
        """The members of `page` as they were when it was read (Members, or stand-ins with an `id` that the
        memory's owner understands); None when they cannot all be given."""

    def read(self, page: PageRead) -> None:
        """`page` was read now (in full, or found unchanged)."""


class SiaSource(Protocol):
    """One Sign In App account, as the sync engine reads and writes it."""

    def list_groups(self) -> list[Group]:
        """Every group of the account, without integration settings."""

    def group(self, group_id: int) -> Group:
        """One group with its integrations and sign-in options."""

    def members(self, group_id: int, memory: PageMemory | None = None) -> Iterator[Member]:
        """Every member of a group, archived ones included, across all pages; with `memory`, a page
        unchanged since it was last read is not read again."""

    def member(self, member_id: int) -> Member:
        """One member."""

    def create_member(self, group_id: int, personal_fields: dict) -> Member:
        """Add a member to a returning group (push)."""

    def update_member(self, member_id: int, fields: dict) -> Member:
        """Change some personal fields of a member; a None value clears that field."""

    def portal_users(self) -> list[PortalUser]:
        """The portal's admin users."""

    def personal_fields(self) -> list[PersonalField] | None:
        """The account's custom personal field definitions; None when Sign In App does not say (404)."""
