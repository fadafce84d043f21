"""The mirror: what Tether last saw in Sign In App, as SiaGroup rows and SiaMember shadows.

`read` asks Sign In App for everything a run needs before anything is written, so a Sign In App that is
down, slow or refuses the credentials changes nothing. Only returning groups linked to the organisation
have their members read (DESIGN §5) — linked as Tether keeps the links, confirmed by Sign In App where
it says (sync.group_links, DESIGN §3); admin and portal users are never asked for. `store_groups` and
`store_shadows` write what was read: groups upserted, members' shadows with a digest of their state, so
an unchanged member costs no write. `read_groups`/`read_group` and `store_groups`/`store_group` are
also how the pages and the safety check read groups live between imports (sync.live).

Member pages are read conditionally (DESIGN §3): `PageMemory` keeps, per page URL, the `ETag` of each
page the last successful import read and its members' ids and digests (SiaPage rows), so the next
import asks with `If-None-Match`. A page Sign In App answers 304 for is not read: its members come back
as `Remembered` (id and digest), checked against their shadows, and a plan loads one from its shadow
only when its link no longer agrees. The pages are forgotten before an import writes its first batch
and remembered once it has written its last, so a page is only ever remembered with the shadows it was
read into; a run that stops half-way leaves its groups to be read in full.

A NUL character in what Sign In App sends is removed as it is read: PostgreSQL refuses one in text, so
one member's field would fail the school's whole import. The run names the member and the fields in an
`invalid_text` problem instead, and the member is kept (left out, it would look gone from Sign In App).
"""
import hashlib
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import orjson

from connectors.sia import Member, PageRead, SiaNotFound
from store import database
from store.models import SiaConnection, SiaGroup, SiaMember, SiaPage, now

from . import custom_fields, group_links
from .runs import Problem

ROWS_PER_INSERT = 500
NUL = "\x00"


@dataclass
class Snapshot:
    """One read of a Sign In App account for one organisation."""

    groups: list  # every group of the account; `integrations` None where Sign In App did not give them
    members: dict = field(default_factory=dict)  # group id → [Member] for the groups synced for the organisation
    problems: list = field(default_factory=list)  # NUL characters removed; links unconfirmed or differing (group_links)
    shadows: dict | None = None  # shadows_of(connection) when the read needed them already (unchanged pages)
    custom_fields: list | None = None  # the account's custom field definitions (PersonalField); None: not said
    linked: set = field(default_factory=set)  # SIA ids of the organisation's linked Repeat groups (group_links.confirm)
    attention: list = field(default_factory=list)  # what a person must look at about the links, in words

    def synced_groups(self, organisation_id=None):
        """The Repeat groups linked to the organisation read for, as Tether keeps the links."""
        return [group for group in self.groups if group.is_returning and group.id in self.linked]


def read(client, organisation, memory=None, connection=None):
    """Every group of the account with its settings, and the members of the groups synced for `organisation`.

    Which groups sync is Tether's own record (group_links), confirmed by Sign In App's integration
    settings where it gives them; the differences and warnings are in `problems`, what needs a person in
    `attention`. With `memory` (a PageMemory), the members of a page unchanged since the last import are
    `Remembered`. Raises the connector's SiaError when Sign In App cannot answer; nothing has been
    written then.
    """
    snapshot = read_groups(client)
    if connection is None:
        connection = memory.connection if memory is not None else SiaConnection.for_organisation(organisation)
    confirmed = group_links.confirm(connection, snapshot.groups, organisation)
    snapshot.linked, snapshot.attention = confirmed.linked, confirmed.attention
    snapshot.problems.extend(confirmed.problems)
    for group in snapshot.synced_groups():
        members = client.members(group.id, memory) if memory is not None else client.members(group.id)
        # A remembered member was cleaned when its shadow was stored.
        snapshot.members[group.id] = [
            member if isinstance(member, Remembered) else _without_nul(member, snapshot.problems) for member in members
        ]
    if memory is not None:
        snapshot.shadows = memory.shadows
    return snapshot


def read_groups(client):
    """Every group of the account and the account's custom field definitions, and no members: what the pages that list an organisation's groups read
    when they load (sync.live). The list is the documented `GET /groups`; each group's integration
    settings and sign-in options come from the partner `GET /groups/{id}`. When that answers 404 the
    groups are kept as listed (`integrations` None) and it is not asked again in this read: Tether's
    own links decide, and the run says so. Raises SiaError as `read` does for anything else."""
    snapshot = Snapshot(groups=[])
    partner = True
    for summary in client.list_groups():
        group = summary
        if partner:
            try:
                group = client.group(summary.id)
            except SiaNotFound:
                partner = False
        snapshot.groups.append(_without_nul_in_name(group, snapshot.problems))
    snapshot.custom_fields = client.personal_fields()
    return snapshot


def read_group(client, group_id, problems):
    """One group with its integration settings and sign-in options; a NUL in its name is removed and
    reported in `problems`. Raises SiaError (SiaNotFound when the account has no such group)."""
    return _without_nul_in_name(client.group(group_id), problems)


class Remembered:
    """A member on a page Sign In App says is unchanged (304): as the last import read it, known by its id
    and digest. A plan that needs more than that (the member's link no longer agrees) `load`s it from its
    shadow, which holds what that import read."""

    __slots__ = ("id", "group_id", "digest", "archived", "name", "_memory")

    def __init__(self, memory, sia_id, group_id, digest, archived):
        self._memory = memory
        self.id, self.group_id, self.digest, self.archived = sia_id, group_id, digest, archived
        self.name = None  # known once loaded: a plan names a settled member only when it shows its decisions

    def load(self):
        """The member (connectors.sia.Member) as its shadow keeps it."""
        return self._memory.member(self.group_id, self.id)


class PageMemory:
    """The member pages of a connection as the last successful import read them (connectors.sia.PageMemory):
    per page URL its ETag and its members' ids and digests (SiaPage rows)."""

    def __init__(self, connection):
        self.connection = connection
        self.pages = {}  # path → PageRead as last remembered
        self.digests = {}  # path → {SIA member id: digest} of that page's members then
        for row in SiaPage.select().where(SiaPage.connection == connection):
            ids = tuple(sia_id for sia_id, _ in row.members)
            self.pages[row.path] = PageRead(row.group_sia_id, row.path, row.etag, ids, row.has_next)
            self.digests[row.path] = dict(row.members)
        self.read_now = {}  # path → PageRead: the pages this run read
        self.shadows = None  # shadows_of(connection), read when a page is found unchanged
        self._fields = {}  # SIA group id → {SIA member id: the member as its shadow keeps it}, read when loaded

    def last_read(self, path):
        return self.pages.get(path)

    def members_of(self, page):
        """The page's members as `Remembered`, in the page's order; None when a shadow no longer holds what
        the page held (missing, or with another digest), so the page must be read in full."""
        if self.shadows is None:
            self.shadows = shadows_of(self.connection)
        digests = self.digests[page.path]
        members = []
        for sia_id in page.member_ids:
            shadow = self.shadows.get(sia_id)
            if shadow is None or shadow.digest != digests[sia_id]:
                return None
            members.append(Remembered(self, sia_id, page.group_id, shadow.digest, shadow.gone))
        return members

    def member(self, group_id, sia_id):
        """The member with `sia_id` in the SIA group as its shadow keeps it (the group's shadows read once)."""
        if group_id not in self._fields:
            query = (
                SiaMember.select(SiaMember.sia_id.alias("id"), SiaMember.personal_fields, SiaMember.archived,
                                 SiaMember.sia_updated_at.alias("updated_at"), *DOCUMENTED_COLUMNS,
                                 SiaMember.mis)
                .join(SiaGroup)
                .where((SiaGroup.connection == self.connection) & (SiaGroup.sia_id == group_id))
                .dicts()
            )
            self._fields[group_id] = {row["id"]: Member.from_json({**row, "group_id": group_id}) for row in query}
        return self._fields[group_id][sia_id]

    def read(self, page):
        self.read_now[page.path] = page

    def forget(self, group_ids):
        """Forget the pages of these SIA groups: call it in the transaction of the first write to their shadows."""
        SiaPage.delete().where((SiaPage.connection == self.connection) & SiaPage.group_sia_id.in_(list(group_ids) or [0])).execute()

    def remember(self, group_ids, digests):
        """Remember the pages of these SIA groups read by this run, with `digests` ({SIA member id: digest}
        of the members as their shadows now keep them); call it with the last write to their shadows. A
        page with a member whose shadow took another value (Sign In App's answer to a change sent to it)
        is not remembered: it will have changed in Sign In App too."""
        self.forget(group_ids)
        wanted = set(group_ids)
        moment = now()
        rows = [
            {"connection": self.connection.id, "group_sia_id": page.group_id, "path": page.path, "etag": page.etag,
             "members": [[sia_id, digests[sia_id]] for sia_id in page.member_ids], "has_next": page.has_next,
             "read_at": moment}
            for page in self.read_now.values()
            if page.group_id in wanted and all(digests.get(sia_id) for sia_id in page.member_ids)
        ]
        for start in range(0, len(rows), ROWS_PER_INSERT):
            SiaPage.insert_many(rows[start:start + ROWS_PER_INSERT]).execute()


def _holds_nul(value):
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _nul_removed(value):
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, dict):
        return {_nul_removed(key): _nul_removed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_nul_removed(item) for item in value]
    return value


def _without_nul(member, problems):
    """The member with NUL characters removed from its personal fields; a problem in `problems` names them."""
    fields = member.personal_fields
    texts = {"updated_at": member.updated_at, "last_in": member.last_in, "last_out": member.last_out,
             "photo_url": member.photo_url}
    if (not _holds_nul(fields) and not any(isinstance(value, str) and NUL in value for value in texts.values())
            and not (member.mis and _holds_nul(member.mis))):
        return member
    held = [_nul_removed(key) for key, value in fields.items() if _holds_nul(key) or _holds_nul(value)]
    held += [name for name, value in texts.items() if _holds_nul(value)]
    held += [f"MIS {key}" for key, value in member.mis.items() if _holds_nul(key) or _holds_nul(value)]
    cleaned = replace(member, personal_fields=_nul_removed(fields), mis=_nul_removed(member.mis),
                      **{name: _nul_removed(value) for name, value in texts.items()})
    problems.append(Problem(
        str(member.id), cleaned.name, "invalid_text",
        f"Sign In App member {member.id} ({cleaned.name or 'no name'}): a NUL character in "
        f"{', '.join(held)} was removed before saving; correct the field in Sign In App",
    ))
    return cleaned


def _without_nul_in_name(group, problems):
    """The group with NUL characters removed from its name; a problem in `problems` says so."""
    if not _holds_nul(group.name):
        return group
    cleaned = replace(group, name=_nul_removed(group.name))
    problems.append(Problem(
        str(group.id), cleaned.name, "invalid_text",
        f"Sign In App group {group.id} ({cleaned.name}): a NUL character in its name was removed before saving; "
        "rename the group in Sign In App",
    ))
    return cleaned


# The documented member fields a shadow keeps besides its personal fields (docs/design.md §3.1), by the
# Member attribute and SiaMember column they share a name with.
DOCUMENTED = ("site_id", "last_in", "last_out", "photo_url", "permissions", "qr_codes")
DOCUMENTED_COLUMNS = tuple(getattr(SiaMember, name) for name in DOCUMENTED)


def documented(member):
    """{name: value} of the member's documented fields that a shadow keeps."""
    return {
        "site_id": member.site_id, "last_in": member.last_in, "last_out": member.last_out,
        "photo_url": member.photo_url, "permissions": member.permissions, "qr_codes": member.qr_codes,
    }


def digest(member):
    """A fingerprint of everything the shadow keeps about a member (orjson: every run digests every member)."""
    state = {
        "group": member.group_id, "fields": member.personal_fields, "archived": member.archived,
        "site": member.site_id, "in": member.last_in, "out": member.last_out, "photo": member.photo_url,
        "permissions": member.permissions, "qr": member.qr_codes,
    }
    if member.mis:  # only then: a member without MIS data keeps the digest it had before Tether read MIS data
        state["mis"] = member.mis
    return hashlib.sha256(orjson.dumps(state, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def store_groups(connection, snapshot):
    """Upsert a SiaGroup row per group read, mark the connection's groups missing from SIA gone, and keep
    the account's custom field definitions (sync.custom_fields), and the links taken from Sign In App's
    integration settings (group_links.adopt).

    Returns {SIA group id: SiaGroup row id}.
    """
    moment = now()
    custom_fields.store(connection, snapshot.custom_fields)
    for group in snapshot.groups:
        store_group(connection, group, moment)
    seen = [group.id for group in snapshot.groups]
    SiaGroup.update(gone_at=moment).where(
        (SiaGroup.connection == connection) & SiaGroup.gone_at.is_null() & SiaGroup.sia_id.not_in(seen or [0])
    ).execute()
    group_links.adopt(connection, group_links.adoptions(connection, snapshot.groups))
    return dict(
        SiaGroup.select(SiaGroup.sia_id, SiaGroup.id).where(SiaGroup.connection == connection).tuples()
    )


def store_group(connection, group, moment=None):
    """Upsert the SiaGroup row of one group read from Sign In App: its name and type, seen now (`moment`)
    and not gone, and its integration settings and sign-in options when Sign In App gave them (else
    those last read are kept). The organisation it is linked to is Tether's own (group_links)."""
    moment = moment or now()
    given = group.integrations is not None or group.sign_in_options is not None
    settings = {"integrations": group.integrations or {}, "sign_in_options": group.sign_in_options or {}}
    update = {SiaGroup.name: group.name, SiaGroup.type: group.type, SiaGroup.seen_at: moment, SiaGroup.gone_at: None}
    if given:
        update[SiaGroup.settings] = settings
    SiaGroup.insert(
        connection=connection.id,
        sia_id=group.id,
        name=group.name,
        type=group.type,
        settings=settings if given else {},
        seen_at=moment,
        gone_at=None,
    ).on_conflict(conflict_target=[SiaGroup.connection, SiaGroup.sia_id], update=update).execute()


class Shadow(NamedTuple):
    """A shadow as a plan reads it (a named tuple: a run makes one per member of the connection)."""

    id: int
    sia_id: int
    group_id: int
    digest: str
    gone: bool


def raw_rows(query):
    """The rows of `query` as the database driver gives them, without peewee's conversion of each value.

    For the reads a sync makes of every member: converting tens of thousands of rows value by value costs
    more than the query. Only use it for columns whose driver value is what the caller wants (integers,
    text, booleans compared for truth); convert anything else with the field's `python_value`."""
    return database.execute(query).fetchall()


def shadows_of(connection, sia_ids=None):
    """{SIA member id: Shadow} for every shadow of the connection, or for those of `sia_ids`."""
    query = SiaMember.select(
        SiaMember.id, SiaMember.sia_id, SiaMember.group, SiaMember.digest, SiaMember.gone_at.is_null(False)
    ).where(SiaMember.connection == connection)
    if sia_ids is not None:
        query = query.where(SiaMember.sia_id.in_(list(sia_ids)))
    return {row[1]: Shadow(*row[:4], bool(row[4])) for row in raw_rows(query)}


def names_of(shadow_ids):
    """{shadow id: the member's name as last seen}."""
    query = SiaMember.select(SiaMember.id, SiaMember.personal_fields, SiaMember.sia_id).where(SiaMember.id.in_(list(shadow_ids)))
    return {row.id: row.display_name for row in query} if shadow_ids else {}


def store_shadows(connection, members, shadows, group_rows, digests=None):
    """Write the shadows of `members` (Member records) that are new or changed; returns {SIA id: shadow id}.

    `shadows` is `shadows_of(connection)` from before the run (updated in place); `group_rows` maps SIA
    group ids to SiaGroup row ids. An archived member's shadow is gone; one that is back is not.
    `digests` ({SIA id: digest}) may hold digests already worked out; it is filled in for the rest.
    """
    moment = now()
    new_rows = []
    digests = {} if digests is None else digests
    for member in members:
        fingerprint = digests.get(member.id)
        if fingerprint is None:
            fingerprint = digests[member.id] = digest(member)
        shadow = shadows.get(member.id)
        group_row = group_rows[member.group_id]
        gone_at = moment if member.archived else None
        if shadow is None:
            new_rows.append(
                {
                    "connection": connection.id,
                    "sia_id": member.id,
                    "group": group_row,
                    "personal_fields": member.personal_fields,
                    "archived": member.archived,
                    "sia_updated_at": member.updated_at,
                    **documented(member),
                    "mis": member.mis or None,
                    "digest": fingerprint,
                    "seen_at": moment,
                    "gone_at": gone_at,
                }
            )
        elif shadow.digest != fingerprint or shadow.gone != member.archived or shadow.group_id != group_row:
            SiaMember.update(
                group=group_row,
                personal_fields=member.personal_fields,
                archived=member.archived,
                sia_updated_at=member.updated_at,
                **documented(member),
                mis=member.mis or None,
                digest=fingerprint,
                seen_at=moment,
                gone_at=gone_at if not (shadow.gone and member.archived) else SiaMember.gone_at,
            ).where(SiaMember.id == shadow.id).execute()
            shadows[member.id] = Shadow(shadow.id, member.id, group_row, fingerprint, member.archived)
    for row, shadow_id in zip(new_rows, insert_rows(SiaMember, new_rows)):
        shadows[row["sia_id"]] = Shadow(shadow_id, row["sia_id"], row["group"], row["digest"], row["gone_at"] is not None)
    return {member.id: shadows[member.id].id for member in members}


def _quoted(name):
    return '"' + name.replace('"', '""') + '"'


def insert_rows(model, rows):
    """Insert `rows` (dicts with the same keys) into `model`'s table; returns their new ids, in order.

    One parametrised multi-row INSERT per ROWS_PER_INSERT rows, its SQL built once from the model's
    columns: building it value by value through the query builder costs more than the database's work
    on a first import. Values go through each field's `db_value`, as the query builder would send them.
    """
    if not rows:
        return []
    fields = [model._meta.fields[name] for name in rows[0]]
    columns = ", ".join(_quoted(field.column_name) for field in fields)
    ids = []
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start:start + ROWS_PER_INSERT]
        placeholders = "(" + ", ".join([database.param] * len(fields)) + ")"
        sql = (
            f"INSERT INTO {_quoted(model._meta.table_name)} ({columns}) VALUES "
            + ", ".join([placeholders] * len(chunk))
            + f" RETURNING {_quoted(model._meta.primary_key.column_name)}"
        )
        params = [field.db_value(row[field.name]) for row in chunk for field in fields]
        # Both databases number the rows of one multi-row insert in the order given, though RETURNING
        # may list them in any order: sorted, the ids line up with the rows.
        ids.extend(sorted(row_id for (row_id,) in database.execute_sql(sql, params).fetchall()))
    return ids


def mark_gone(shadow_ids):
    """Mark shadows gone: their members left the synced groups or Sign In App."""
    if shadow_ids:
        SiaMember.update(gone_at=now()).where(SiaMember.id.in_(shadow_ids) & SiaMember.gone_at.is_null()).execute()


def touch_seen(groups):
    """Record that the members of `groups` (SiaGroup rows or a query of their ids) were seen, in one statement."""
    SiaMember.update(seen_at=now()).where(SiaMember.group.in_(groups) & SiaMember.gone_at.is_null()).execute()
