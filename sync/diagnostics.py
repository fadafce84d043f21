"""Diagnostics: "why isn't this person syncing / why is there no green shield?" answered for one search.

    found = diagnostics.diagnose(organisation, "ada lovelace")
    for person in found.people:
        for cause in person.causes: print(cause.code, cause.title, cause.detail, cause.fix)

`diagnose` looks for the person, by name or email in any case, among the organisation's profiles, the
Sign In App members in the mirror (the shadows of its connection), its exclusions and the Sign In App
portal users (asked of Sign In App at diagnose time: the mirror never keeps them) and, when nobody matches
in the mirror, the members of the groups Tether does not read for the organisation — Standard groups and
Repeat groups not linked to it — asked of Sign In App live, within bounds (`_live_members`). Records that belong
together — a profile and the members it was ever linked to, a member and its exclusion, records with the
same email or the same name — make one `Person`. Each person gets every `Cause` that applies, drawn from
the troubleshooting help page, each naming the record and carrying its `Fix`: an action in Central Record
named by its intent (`INTENTS`: "restore_exclusion", "relink"…) and the records it acts on, which the
console turns into its own form or link and the permission policy says who may take; or, when the fix
is in Sign In App, the words of what to change there. A person with no cause is syncing normally.

Reads only; a bounded number of queries per person found, never the whole organisation.
"""
import datetime
import time
from dataclasses import dataclass, field

from peewee import fn

from compliance.decision import UNAVAILABLE_MESSAGE, GroupSettings
from compliance.readiness import rating_systems_of, readiness_in_enabled_systems
from connectors.sia import Member, SiaError, client_for
from connectors.sia.client import connection_label
from rules import RuleError
from store import policy
from store.models import (
    Exclusion,
    Link,
    Organisation,
    Profile,
    ProfileType,
    SiaConnection,
    SiaGroup,
    SiaMember,
    SyncRun,
)
from store.search import search_terms

from . import custom_fields, live, sign_ins
from .duplicates import adds_members_via_ipad, ipad_self_add_cause, normalise
from .links import can_restore, previous_member
from .mapping import explain_member, shown_expression

MATCHES_PER_KIND = 25  # records of each kind a search looks at: a diagnosis is about one person
PORTAL_USERS_TIMEOUT = 5.0  # seconds
# Someone not in the mirror is looked for live in the groups Tether does not read (Standard, or not linked):
# a person is waiting for the page, so at most this many groups, members read per group, and seconds.
LIVE_GROUPS = 5
LIVE_MEMBERS_PER_GROUP = 250
LIVE_SECONDS = 6.0
HEALTHY = "Syncing normally; green shield shown when ready."


# What each fix does in Central Record, and the policy action (store/policy.py) a person needs to do it.
INTENTS = {
    "open_profile": "view",  # subject: profile_id
    "relink": "relink",  # subject: profile_id, version, member_id, restore_exclusion
    "restore_profile": "restore_profile",  # subject: profile_id, version
    "restore_exclusion": "restore_exclusion",  # subject: exclusion_id
    "run_import": "import",
    "edit_rules": "edit_rules",
    "merge": "merge",  # subject: kept_id, removed_id
    "push": "push",
    "edit_profile": "edit_profile",  # subject: profile_id, field (the form field to change)
    "create_profile": "edit_profile",  # subject: forename, surname, email, profile_type (to fill the form in)
    "record_checks": "record_checks",  # subject: profile_id
}


@dataclass(frozen=True)
class Fix:
    """What to do about a cause: an action in Central Record (`intent`, one of INTENTS, on the records
    named in `subject`), or only `text` when the fix is in Sign In App. `text` is also what a person who
    may not take the action reads instead."""

    label: str
    text: str = ""
    intent: str | None = None
    subject: dict = field(default_factory=dict)
    confirm: str = ""
    in_sign_in_app: bool = False  # the fix is made in Sign In App, not in Central Record

    def __post_init__(self):
        if self.intent is not None and self.intent not in INTENTS:
            raise ValueError(f"unknown fix intent '{self.intent}': add it to INTENTS and to the console's FIX_ROUTES")

    @property
    def roles(self):
        """The roles that may take the action (none when the fix is not an action in Central Record)."""
        return policy.roles_for(INTENTS[self.intent]) if self.intent else ()

    def allows(self, user):
        return self.intent is not None and policy.may(user, INTENTS[self.intent])

    def to_dict(self):
        return {
            "label": self.label, "text": self.text, "intent": self.intent, "subject": self.subject,
            "roles": list(self.roles), "in_sign_in_app": self.in_sign_in_app,
        }


@dataclass(frozen=True)
class Cause:
    code: str
    title: str
    detail: str
    fix: Fix | None = None
    trace: tuple = ()  # no_rule_matched: (rule, explanation) for every rule, in order

    def to_dict(self):
        answer = {"code": self.code, "title": self.title, "detail": self.detail,
                  "fix": self.fix.to_dict() if self.fix else None}
        if self.trace:
            answer["trace"] = [
                {"expression": explanation.rule, "profile_type": rule.profile_type.name, "enabled": rule.enabled,
                 **explanation.to_dict()}
                for rule, explanation in self.trace
            ]
        return answer


@dataclass
class Person:
    """The records found for one person, and every cause that keeps them from syncing or from a shield."""

    profiles: list = field(default_factory=list)
    members: list = field(default_factory=list)  # SiaMember shadows, each with its group
    exclusions: list = field(default_factory=list)
    portal_users: list = field(default_factory=list)  # connectors.sia.PortalUser
    live_members: list = field(default_factory=list)  # LiveMember: found in Sign In App now, in a group not read
    causes: list = field(default_factory=list)

    @property
    def name(self):
        for record in (*self.profiles, *self.members, *self.exclusions, *self.portal_users, *self.live_members):
            name = _name_of(record)
            if name:
                return name
        return "Unnamed"

    @property
    def healthy(self):
        return not self.causes

    @property
    def summary(self):
        return HEALTHY if self.healthy else f"{len(self.causes)} cause{'s' if len(self.causes) != 1 else ''} found"

    def add(self, cause):
        if all((c.code, c.detail) != (cause.code, cause.detail) for c in self.causes):
            self.causes.append(cause)

    def to_dict(self):
        return {
            "name": self.name,
            "summary": self.summary,
            "profiles": [{"id": p.id, "name": p.name, "email": p.email, "status": p.status} for p in self.profiles],
            "members": [
                {"id": m.id, "sia_id": m.sia_id, "name": m.display_name, "group": m.group.name,
                 "group_sia_id": m.group.sia_id, "site_id": m.site_id, "last_in": m.last_in, "last_out": m.last_out,
                 "last_signed_in": sign_ins.last_signed_in(m.last_in)}
                for m in self.members
            ],
            "exclusions": [{"id": e.id, "sia_member_id": e.sia_member_id, "name": e.display_name} for e in self.exclusions],
            "portal_users": [{"id": u.id, "name": u.name, "email": u.email, "role": u.role} for u in self.portal_users],
            "live_members": [
                {"sia_id": m.sia_id, "name": m.name, "email": m.email, "group": m.group.name,
                 "group_sia_id": m.group.sia_id, "group_type": m.group.type}
                for m in self.live_members
            ],
            "causes": [cause.to_dict() for cause in self.causes],
        }


@dataclass
class Diagnosis:
    query: str
    people: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # what could not be looked at, e.g. Sign In App did not answer

    def to_dict(self):
        return {"query": self.query, "people": [p.to_dict() for p in self.people], "notes": self.notes}


@dataclass(frozen=True)
class LiveMember:
    """A Sign In App member found live, at diagnose time, in a group of the connection that Tether does not
    read for the organisation (a Standard group, or a Repeat group not linked to it): never in the mirror."""

    member: Member
    group: SiaGroup

    @property
    def sia_id(self):
        return self.member.id

    @property
    def name(self):
        return self.member.name or f"member {self.member.id}"

    @property
    def email(self):
        return self.member.email or None


def _member_name(shadow):
    return Member(id=shadow.sia_id, group_id=0, personal_fields=shadow.personal_fields or {}).name


def _name_of(record):
    if isinstance(record, Profile):
        return record.name
    if isinstance(record, SiaMember):
        return _member_name(record)
    if isinstance(record, Exclusion):
        return record.display_name
    return record.name


def _email_of(record):
    if isinstance(record, Profile):
        return record.email
    if isinstance(record, SiaMember):
        return (record.personal_fields or {}).get("email")
    if isinstance(record, Exclusion):
        return None
    return record.email


def _mentions(terms, *values):
    text = " ".join(normalise(v) for v in values if v)
    return all(term in text for term in terms)


# -- finding the records ---------------------------------------------------------------------------


def _profiles_matching(organisation, terms):
    query = Profile.select(Profile, ProfileType).join(ProfileType).where(Profile.organisation == organisation)
    for term in terms:
        query = query.where(Profile.forename.contains(term) | Profile.surname.contains(term) | Profile.email.contains(term))
    return list(query.order_by(Profile.surname, Profile.forename, Profile.id).limit(MATCHES_PER_KIND))


def _members_query():
    return SiaMember.select(SiaMember, SiaGroup).join(SiaGroup)


def _members_matching(organisation, connection, terms, other_schools):
    query = _members_query().where(SiaMember.connection == connection)
    if not other_schools:
        # A trust's shared account holds every school's members: a school sees its own groups' and
        # the unlinked ones', never another school's people.
        query = query.where(SiaGroup.organisation.is_null() | (SiaGroup.organisation == organisation))
    for term in terms:
        query = query.where(SiaMember.id.in_(SiaMember.mentioning(term).select(SiaMember.id)))
    # The JSON text also holds roles and custom fields: keep the members whose name or email matches.
    candidates = query.order_by(SiaMember.id).limit(MATCHES_PER_KIND * 4)
    return [m for m in candidates if _mentions(terms, _member_name(m), _email_of(m))][:MATCHES_PER_KIND]


def _exclusions_matching(organisation, terms):
    query = Exclusion.active(organisation)
    for term in terms:
        query = query.where(Exclusion.display_name.contains(term))
    return list(query.order_by(Exclusion.id).limit(MATCHES_PER_KIND))


def _portal_users(connection, terms, client, notes):
    """The portal users matching `terms`, asked of Sign In App; a note instead when it cannot answer."""
    try:
        if client is None:
            # One quick attempt: a person is waiting for this page, and the rest of the answer does not need it.
            with client_for(connection, timeout=PORTAL_USERS_TIMEOUT, retry_delays=()) as sia:
                users = sia.portal_users()
        else:
            users = client.portal_users()
    except SiaError as error:
        notes.append(f"Sign In App portal users were not checked: {error}")
        return []
    return [u for u in users if _mentions(terms, u.name, u.email)][:MATCHES_PER_KIND]


def _unread_groups(organisation, connection):
    """The connection's groups (as the mirror last read them) whose members are not read for
    `organisation`: Standard groups, and Repeat groups linked to no organisation."""
    return (
        SiaGroup.select()
        .where(
            (SiaGroup.connection == connection) & SiaGroup.gone_at.is_null()
            & ((SiaGroup.type != "returning") | SiaGroup.organisation.is_null())
            & (SiaGroup.organisation.is_null() | (SiaGroup.organisation == organisation))
        )
        .order_by(SiaGroup.type == "returning", SiaGroup.name, SiaGroup.id)
    )


def _live_members(organisation, connection, terms, client, notes):
    """Members matching `terms` in the groups not read for `organisation`, asked of Sign In App now:
    at most LIVE_GROUPS groups, LIVE_MEMBERS_PER_GROUP members each, LIVE_SECONDS in all. A note says
    what was not searched."""
    groups = list(_unread_groups(organisation, connection).limit(LIVE_GROUPS + 1))
    if not groups:
        return []
    if len(groups) > LIVE_GROUPS:
        groups = groups[:LIVE_GROUPS]
        notes.append(
            f"Only {LIVE_GROUPS} of the Sign In App groups not linked to {organisation.name} were searched "
            f"({', '.join(g.name for g in groups)}); search by email to find someone in another one."
        )
    deadline = time.monotonic() + LIVE_SECONDS
    found, unfinished = [], []
    try:
        if client is None:
            with client_for(connection, timeout=live.PAGE_TIMEOUT, retry_delays=(), max_throttled=0) as sia:
                _search_groups(sia, groups, terms, deadline, found, unfinished)
        else:
            _search_groups(client, groups, terms, deadline, found, unfinished)
    except SiaError as error:
        notes.append(f"Sign In App groups not linked to {organisation.name} were not all searched: {error}")
        return found
    if unfinished:
        notes.append(
            f"Sign In App groups not linked to {organisation.name} were searched only in part "
            f"({', '.join(unfinished)}); search by email to narrow it down."
        )
    return found


def _search_groups(client, groups, terms, deadline, found, unfinished):
    for group in groups:
        if time.monotonic() > deadline:
            unfinished.append(group.name)
            continue
        for read, member in enumerate(client.members(group.sia_id), 1):
            if not member.archived and _mentions(terms, member.name, member.email):
                found.append(LiveMember(member, group))
                if len(found) >= MATCHES_PER_KIND:
                    return
            if read >= LIVE_MEMBERS_PER_GROUP or time.monotonic() > deadline:
                unfinished.append(group.name)
                break


@dataclass
class _Found:
    """Every record of the search, with the links among them."""

    profiles: dict
    members: dict
    exclusions: dict
    portal_users: list
    links: list = field(default_factory=list)
    live_members: list = field(default_factory=list)

    def links_of_profile(self, profile):
        return [link for link in self.links if link.profile_id == profile.id]

    def links_of_member(self, member):
        return [link for link in self.links if link.sia_member_id == member.id]

    def exclusion_of(self, member):
        return next(
            (e for e in self.exclusions.values()
             if e.connection_id == member.connection_id and e.sia_member_id == member.sia_id),
            None,
        )


def _links_among(organisation, profile_ids, member_ids):
    if not profile_ids and not member_ids:
        return []
    return list(
        Link.select()
        .where((Link.organisation == organisation) & (Link.profile.in_(profile_ids) | Link.sia_member.in_(member_ids)))
        .order_by(Link.linked_at, Link.id)
    )


def _find(organisation, connection, terms, client, notes, other_schools, live_client=None):
    """The records matching `terms`, completed with the records tied to them by links and exclusions."""
    profiles = {p.id: p for p in _profiles_matching(organisation, terms)}
    members = {m.id: m for m in _members_matching(organisation, connection, terms, other_schools)} if connection else {}
    exclusions = {e.id: e for e in _exclusions_matching(organisation, terms)}
    portal_users = _portal_users(connection, terms, client, notes) if connection else []

    links = _links_among(organisation, list(profiles), list(members))
    missing = {link.profile_id for link in links} - set(profiles)
    if missing:
        tied = Profile.select(Profile, ProfileType).join(ProfileType).where(Profile.id.in_(missing))
        profiles.update({p.id: p for p in tied})
    missing = {link.sia_member_id for link in links} - set(members)
    if missing:
        members.update({m.id: m for m in _members_query().where(SiaMember.id.in_(missing))})
    if members:
        for e in Exclusion.active(organisation).where(Exclusion.sia_member_id.in_({m.sia_id for m in members.values()})):
            if any(m.connection_id == e.connection_id and m.sia_id == e.sia_member_id for m in members.values()):
                exclusions[e.id] = e
    known = {(m.connection_id, m.sia_id) for m in members.values()}
    unmatched = [e for e in exclusions.values() if (e.connection_id, e.sia_member_id) not in known]
    if unmatched:
        for m in _members_query().where(
            SiaMember.connection.in_({e.connection_id for e in unmatched})
            & SiaMember.sia_id.in_([e.sia_member_id for e in unmatched])
        ):
            if any(m.connection_id == e.connection_id and m.sia_id == e.sia_member_id for e in unmatched):
                members[m.id] = m
    found = _Found(profiles, members, exclusions, portal_users)
    found.links = _links_among(organisation, list(profiles), list(members))
    if connection is not None and not members:
        # Not in the mirror: perhaps in a group Tether does not read. Ask Sign In App, to say why.
        found.live_members = _live_members(organisation, connection, terms, live_client, notes)
    return found


def _people(found):
    """The found records gathered into people: tied by a link or an exclusion, or sharing an email or a name."""
    parent = {}

    def root(key):
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def join(a, b):
        parent[root(a)] = root(b)

    records = (
        [(("profile", p.id), p) for p in found.profiles.values()]
        + [(("member", m.id), m) for m in found.members.values()]
        + [(("exclusion", e.id), e) for e in found.exclusions.values()]
        + [(("portal", u.id), u) for u in found.portal_users]
        + [(("live", i), m) for i, m in enumerate(found.live_members)]
    )
    for key, record in records:
        root(key)
        for identity in (("email", normalise(_email_of(record))), ("name", normalise(_name_of(record)))):
            if identity[1]:
                join(key, identity)
    for link in found.links:
        join(("profile", link.profile_id), ("member", link.sia_member_id))
    for m in found.members.values():
        exclusion = found.exclusion_of(m)
        if exclusion is not None:
            join(("member", m.id), ("exclusion", exclusion.id))

    people = {}
    for key, record in records:
        person = people.setdefault(root(key), Person())
        {"profile": person.profiles, "member": person.members, "exclusion": person.exclusions,
         "portal": person.portal_users, "live": person.live_members}[key[0]].append(record)
    return sorted(people.values(), key=lambda p: normalise(p.name))


# -- the causes --------------------------------------------------------------------------------------


class _Context:
    """What every person's causes are measured against: the organisation, its import runs and rating systems."""

    def __init__(self, organisation, connection, found, on):
        self.organisation = organisation
        self.connection = connection
        self.found = found
        self.on = on
        self.enabled_systems = rating_systems_of(organisation.id, enabled_only=True)
        imports = SyncRun.select().where(
            (SyncRun.organisation == organisation) & (SyncRun.kind == "sia_import")
            & (SyncRun.dry_run == False)  # noqa: E712
        )
        finished = imports.where(SyncRun.status != "running")
        self.last_import = finished.order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).first()
        self.ever_imported = imports.where(SyncRun.status.in_(SyncRun.DONE)).exists()
        self.synced_groups = list(SiaGroup.synced_for(organisation).order_by(SiaGroup.name))

    def is_synced(self, group):
        return group.organisation_id == self.organisation.id and group.type == "returning" and group.gone_at is None

    def organisation_name(self, organisation_id):
        other = Organisation.get_or_none(Organisation.id == organisation_id)
        return other.name if other else f"organisation {organisation_id}"


def _in_sign_in_app(label, text):
    return Fix(label, text, in_sign_in_app=True)


def _member_label(m):
    return f"Sign In App member {m.display_name} ({m.sia_id}) in the group {m.group.name}"


def _profile_label(p):
    return p.label


def _open_profile(ctx, profile, label="Open the profile", text=""):
    return Fix(label, text, "open_profile", {"profile_id": profile.id})


def _relink_fix(ctx, profile, member, excluded=False):
    return Fix(
        f"Re-link to {member.display_name} ({member.sia_id})",
        f"Ask Tether support to re-link {_profile_label(profile)} to Sign In App member {member.display_name} "
        f"({member.sia_id}).",
        "relink", {"profile_id": profile.id, "version": profile.version, "member_id": member.id, "restore_exclusion": excluded},
        f"Link {profile.name} to Sign In App member {member.display_name} ({member.sia_id})?"
        + (" Its exclusion is restored in the same step." if excluded else ""),
    )


def _organisation_causes(ctx, person):
    org = ctx.organisation
    if ctx.connection is None:
        person.add(Cause(
            "no_connection", "Not connected to Sign In App",
            f"{org.name} has no Sign In App connection, so nobody syncs and no safety check is asked.",
            Fix("Connect Sign In App", "Ask Tether support to add the school's Sign In App API key and secret."),
        ))
        return
    if not ctx.synced_groups and not person.members and not person.live_members:  # their own group says it otherwise
        person.add(Cause(
            "group_not_linked", "No Sign In App group is linked",
            f"No Repeat group of {connection_label(ctx.connection)} is linked to {org.name}, so no member is read.",
            _in_sign_in_app("Link a group in Sign In App",
                f"In Sign In App, go to Manage > Groups > select the Repeat group > Integrations and select {org.name}."),
        ))
    run = ctx.last_import
    if run is not None and run.status == "failed":
        person.add(Cause(
            "last_import_failed", "The last import failed",
            f"The Sign In App import of {run.started_at:%d %b %Y %H:%M} (run {run.id}) failed: {run.error}",
            Fix("Run the import again", "Fix what the error says, then ask an admin to run the import again.",
                "run_import"),
        ))
    if not org.setting("safety_check_enabled"):
        person.add(Cause(
            "safety_check_off", "The safety check is switched off",
            f"The safety check is switched off for {org.name}: nothing is checked at sign-in and no green shield "
            "shows, for anyone.",
            _in_sign_in_app("Switch the safety check on in Sign In App",
                "In Sign In App, go to Manage > Safety Check > Sign In Central Record and switch the toggle on."),
        ))


def _group_causes(ctx, person, m):
    group, org = m.group, ctx.organisation
    if group.organisation_id is None:
        person.add(Cause(
            "group_not_linked", "The group is not linked",
            f"{_member_label(m)}: the group {group.name} is not linked to {org.name}, so its members are not read.",
            _in_sign_in_app("Link the group in Sign In App",
                f"In Sign In App, go to Manage > Groups > {group.name} > Integrations and select {org.name}; "
                "Central Record takes the link unless support unlinked the group, in which case support links it "
                "at Settings > Sign In App > Configuration > Connection."),
        ))
    elif group.organisation_id != org.id:
        other = ctx.organisation_name(group.organisation_id)
        person.add(Cause(
            "group_linked_elsewhere", "The group is linked to another organisation",
            f"{_member_label(m)}: the group {group.name} is linked to {other}, not {org.name}, so it syncs there.",
            _in_sign_in_app("Change the group's organisation in Sign In App",
                f"In Sign In App, go to Manage > Groups > {group.name} > Integrations and select {org.name}, or move "
                f"{m.display_name} to a Repeat group linked to {org.name}."),
        ))
    if group.type != "returning":
        person.add(Cause(
            "group_not_returning", "The group is a Standard group",
            f"{_member_label(m)}: {group.name} is a Standard ({group.type}) group. Only Repeat groups can be "
            "linked; Standard groups do not sync.",
            _in_sign_in_app("Move the member to a Repeat group",
                f"In Sign In App, add {m.display_name} to a Repeat group linked to {org.name}."),
        ))
    if group.organisation_id == org.id and group.type == "returning":
        _sign_in_option_causes(ctx, person, group)


def _sign_in_option_causes(ctx, person, group):
    settings = GroupSettings.of(group)
    if not settings.central_record:
        person.add(Cause(
            "central_record_not_included", "Sign In App does not include Central Record's criteria",
            "In Sign In App, Manage > Safety Check > Sign In Central Record is off: nobody's compliance on Central "
            f"Record is checked at sign-in, in {group.name} or any other group, so the green shield does not appear.",
            _in_sign_in_app("Switch the safety check on in Sign In App",
                "In Sign In App, go to Manage > Safety Check > Sign In Central Record, toggle on “Include Sign In "
                "Central Record's criteria for entry to be included on the safety check.” and click Save."),
        ))
    if settings.safety_check == "dont_check":
        person.add(Cause(
            "group_dont_check", "The group is set to “Don't check”",
            f"The group {group.name} is set to “Don't check”: no Central Record criteria are checked at sign-in, "
            "so the green shield does not appear.",
            _in_sign_in_app("Change the group's sign-in options in Sign In App",
                f"In Sign In App, go to Manage > Groups > {group.name} > Sign in options > Safety Check and choose "
                "“Reject sign in when entry criteria not met” or “Allow sign in when entry criteria not met”."),
        ))
    if settings.rating_check == "none":
        person.add(Cause(
            "group_rating_none", "The group checks no rating systems",
            f"The group {group.name} is set to “Do not check rating systems”, so the green shield does not appear.",
            _in_sign_in_app("Choose rating systems in Sign In App",
                f"In Sign In App, go to Manage > Groups > {group.name} > Integrations and select the rating "
                "systems to check."),
        ))
    elif not any(settings.checks(system) for system in ctx.enabled_systems):
        person.add(Cause(
            "no_rating_system", "The group checks no enabled rating system",
            f"The group {group.name} checks only rating systems that are disabled or gone in {ctx.organisation.name}, "
            "so nothing is checked and the green shield does not appear.",
            _in_sign_in_app("Choose rating systems in Sign In App",
                f"In Sign In App, go to Manage > Groups > {group.name} > Integrations and select an enabled rating "
                "system, or enable one under Rating systems."),
        ))


def _member_causes(ctx, person, m):
    _group_causes(ctx, person, m)
    if m.archived:
        person.add(Cause(
            "member_archived", "Archived in Sign In App",
            f"{_member_label(m)} is archived in Sign In App: it is no longer synced; its profile is kept as it is.",
            _in_sign_in_app("Unarchive the member in Sign In App",
                f"If {m.display_name} is still with the school, unarchive them in Sign In App under Manage > Groups > "
                f"{m.group.name}; the next import picks them up again."),
        ))
    elif m.gone_at is not None or m.group.gone_at is not None:
        person.add(Cause(
            "member_gone", "No longer in Sign In App",
            f"{_member_label(m)} was not in Sign In App at the import of {(m.gone_at or m.group.gone_at):%d %b %Y}: "
            "it was deleted or moved out of the group there; its profile is kept as it is.",
            _in_sign_in_app("Add the member back in Sign In App",
                f"If {m.display_name} is still with the school, add them to a Repeat group linked to "
                f"{ctx.organisation.name} in Sign In App, or push the profile from the upload page."),
        ))
    exclusion = ctx.found.exclusion_of(m)
    if not ctx.is_synced(m.group) or m.archived or m.gone_at is not None:
        return
    member_links = ctx.found.links_of_member(m)
    active = next((link for link in member_links if link.severed_at is None), None)
    profile = ctx.found.profiles.get(active.profile_id) if active else None
    if profile is not None and profile.status == "active" and not profile.is_leaver(ctx.on):
        return
    person.add(Cause(
        "link_broken", "The link to Central Record is broken",
        f"{_member_label(m)} is not linked to a current profile of {ctx.organisation.name}, so the safety check "
        f"cannot get their record. At sign-in Sign In App shows: “{UNAVAILABLE_MESSAGE}”",
        _link_broken_fix(ctx, person, m, member_links, exclusion),
    ))
    if not member_links and exclusion is None:
        _import_causes(ctx, person, m)


def _link_broken_fix(ctx, person, m, member_links, exclusion):
    """Re-link the member's last profile when it is free; restore it first when it was deleted; else re-link
    the profile it was merged into, or the one current profile of the person free to take it. Support
    re-links on the spot (the "relink" intent); anyone else is told to ask support."""
    excluded = exclusion is not None
    last = ctx.found.profiles.get(member_links[-1].profile_id) if member_links else None
    if last is not None and _free(ctx, last):
        return _relink_fix(ctx, last, m, excluded=excluded)
    if last is not None and can_restore(last):
        return Fix(
            f"Restore {_profile_label(last)}",
            f"Ask Tether support to restore {_profile_label(last)} (deleted profiles can be restored within 90 days), "
            "then re-link it to this member.",
            "restore_profile", {"profile_id": last.id, "version": last.version},
            f"Restore {last.name}? It becomes active again; then re-link it to the member, restoring the exclusion "
            "in the same step.",
        )
    if member_links:
        kept = _merged_into(ctx, last)
        if kept is not None and _free(ctx, kept):
            return _relink_fix(ctx, kept, m, excluded=excluded)
        free = [p for p in person.profiles if (last is None or p.id != last.id) and _free(ctx, p)]
        email = normalise(_email_of(m) or "")
        same_email = [p for p in free if email and normalise(p.email or "") == email]
        if len(same_email) == 1 or len(free) == 1:
            return _relink_fix(ctx, (same_email or free)[0], m, excluded=excluded)
        if free:
            names = " or ".join(_profile_label(p) for p in free[:5])
            return Fix("Re-link the right profile",
                       f"Ask Tether support to re-link the right profile ({names}) to Sign In App member "
                       f"{m.display_name} ({m.sia_id}), from that profile's page.")
    return Fix("Link the member", "Merge the member's new profile with the school's profile after the next import, "
               "or ask Tether support to re-link the right profile.")


def _free(ctx, profile):
    """Whether `profile` may take a link now: active, not a leaver, linked to no member."""
    if profile.status != "active" or profile.is_leaver(ctx.on):
        return False
    if profile.id in ctx.found.profiles:
        return not any(link.severed_at is None for link in ctx.found.links_of_profile(profile))
    return Link.active_for_profile(profile) is None


def _merged_into(ctx, profile):
    """The profile `profile` was merged into (one query when it is not among the records found), or None."""
    if profile is None or profile.status != "merged" or profile.merged_into_id is None:
        return None
    kept = ctx.found.profiles.get(profile.merged_into_id)
    if kept is None:
        kept = Profile.get_or_none((Profile.id == profile.merged_into_id) & (Profile.organisation == ctx.organisation))
    return kept


def _import_causes(ctx, person, m):
    """An unlinked, never-linked member of a synced group: does a rule take it, and has it been imported?"""
    try:
        traced, winner = explain_member(ctx.organisation, m)
    except RuleError as error:
        person.add(Cause(
            "no_rule_matched", "A mapping rule is not valid",
            f"{_member_label(m)} could not be matched: a mapping rule does not compile ({error.message}).",
            Fix("Correct the mapping rules", "Ask an admin to correct the mapping rules.", "edit_rules"),
        ))
        return
    if winner is None:
        person.add(Cause(
            "no_rule_matched", "No mapping rule matches",
            f"{_member_label(m)} matches no enabled mapping rule of {ctx.organisation.name} "
            f"({len(traced)} rule{'s' if len(traced) != 1 else ''} tried), so it is not imported.",
            Fix("Edit the mapping rules", "Ask an admin to add a mapping rule for this member's group or role.",
                "edit_rules"),
            tuple(traced),
        ))
        return
    if not ctx.ever_imported:
        return  # the person's "never imported" cause already says no import has succeeded
    person.add(Cause(
        "never_imported", "Not imported yet",
        f"{_member_label(m)} was not imported by the last import ({ctx.last_import.started_at:%d %b %Y %H:%M}). "
        f"The rule “{shown_expression(winner.expression, custom_fields.for_organisation(ctx.organisation))}” maps it "
        f"to {winner.profile_type.name}, so the next import creates its profile.",
        Fix("Run the import now", "Ask an admin to run the import, or wait for the next scheduled one.",
            "run_import"),
    ))


def _exclusion_cause(ctx, person, exclusion):
    person.add(Cause(
        "excluded", "On the exclusion list",
        f"{exclusion.display_name or 'The member'} (Sign In App member {exclusion.sia_member_id}) is on the exclusion "
        f"list since {exclusion.created_at:%d %b %Y}{f' ({exclusion.reason})' if exclusion.reason else ''}, so it is "
        "never imported.",
        Fix("Restore the exclusion",
            f"Contact Tether support with the name {exclusion.display_name} to have the exclusion restored.",
            "restore_exclusion", {"exclusion_id": exclusion.id},
            f"Restore {exclusion.display_name}? The member imports again on the next run, as a new profile unless "
            "you re-link it."),
    ))


def _profile_causes(ctx, person, p):
    if p.status == "merged":
        person.add(Cause(
            "profile_merged", "Merged into another profile",
            f"{_profile_label(p)} was merged into profile {p.merged_into_id}: that profile carries the link now.",
            Fix("Open the profile it was merged into", "", "open_profile", {"profile_id": p.merged_into_id}),
        ))
        return
    if p.status == "deleted":
        fix = (Fix("Restore the profile", "Ask Tether support to restore it (within 90 days of its deletion).",
                   "restore_profile", {"profile_id": p.id, "version": p.version},
                   f"Restore {p.name}? It becomes active again, without its link: re-link it afterwards.")
               if can_restore(p) else
               Fix("Create the profile again",
                   "It was deleted more than 90 days ago and cannot be restored: ask an admin to create it again.",
                   "create_profile", {"forename": p.forename, "surname": p.surname, "email": p.email or "",
                                      "profile_type": p.profile_type.name}))
        integrated = any(link.sever_reason == "deleted" for link in ctx.found.links_of_profile(p))
        person.add(Cause(
            "profile_deleted", "The profile is deleted",
            f"{_profile_label(p)} was deleted on {p.deleted_at:%d %b %Y}"
            + (": its link was severed and its member put on the exclusion list. Duplicates should be merged, never "
               "deleted." if integrated else "."),
            fix,
        ))
        return
    profile_links = ctx.found.links_of_profile(p)
    active = next((link for link in profile_links if link.severed_at is None), None)
    last = profile_links[-1] if profile_links else None
    if p.is_leaver(ctx.on):
        person.add(Cause(
            "leaver", "A leaver",
            f"{_profile_label(p)} is a leaver from {p.leaving_date:%d %b %Y}: "
            + ("its link is severed, so " if active is None else "its link is severed at the next import, and ")
            + "no further updates sync.",
            Fix("Remove the leaving date if they have returned",
                f"If {p.name} has returned, ask an admin to remove the leaving date (in the MIS and on the profile), "
                "then ask Tether support to re-link the profile: the console offers its previous member.",
                "edit_profile", {"profile_id": p.id, "field": "leaving_date"}),
        ))
    elif active is None and last is not None and last.sever_reason in ("leaver", "decoupled"):
        previous = previous_member(p)
        if previous is not None:
            fix = _relink_fix(ctx, p, previous, excluded=ctx.found.exclusion_of(previous) is not None)
        else:
            fix = _open_profile(ctx, p)
        if last.sever_reason == "leaver":
            person.add(Cause(
                "leaver", "A returned leaver whose link is still severed",
                f"{_profile_label(p)} has no leaving date now, but its link was severed on {last.severed_at:%d %b %Y} "
                "when it left: removing the date does not re-link it.",
                fix,
            ))
        else:
            person.add(Cause(
                "decoupled", "Decoupled from Sign In App",
                f"{_profile_label(p)} was decoupled from its Sign In App member on {last.severed_at:%d %b %Y}. The member "
                "comes back as a new profile on the next import unless it is deleted or archived in Sign In App.",
                fix,
            ))
    if active is None and not person.members and not p.is_leaver(ctx.on):
        read = ", ".join(g.name for g in ctx.synced_groups) or "none"
        person.add(Cause(
            "not_in_sign_in_app", "Not a member of a linked Sign In App group",
            f"{_profile_label(p)} has no Sign In App member: nobody in the Repeat groups linked to "
            f"{ctx.organisation.name} (read: {read}) has this name or email.",
            Fix("Push the profile to Sign In App", "Ask an admin to push it from the Sign In App upload page, or add "
                "the person to a linked Repeat group in Sign In App.", "push"),
        ))


def _duplicate_causes(ctx, person):
    """Pairs of active profiles with the same email or name: one of the person's and any other of the school."""
    mine = [p for p in person.profiles if p.status == "active"]
    if not mine:
        return
    emails = {normalise(p.email) for p in mine if normalise(p.email)}
    surnames = {normalise(p.surname) for p in mine}
    others = list(
        Profile.active(ctx.organisation).where(
            Profile.id.not_in([p.id for p in mine])
            & (fn.LOWER(Profile.email).in_(emails or {""}) | fn.LOWER(Profile.surname).in_(surnames))
        ).limit(MATCHES_PER_KIND)
    )
    candidates = mine + others
    linked = {link.profile_id for link in Link.active().where(Link.profile.in_([p.id for p in candidates]))}
    seen = set()
    for p in mine:
        for other in candidates:
            pair = frozenset((p.id, other.id))
            same_email = normalise(p.email) and normalise(p.email) == normalise(other.email)
            if other.id == p.id or pair in seen or not (same_email or normalise(p.name) == normalise(other.name)):
                continue
            seen.add(pair)
            person.add(_duplicate_cause(ctx, p, other, linked, "email" if same_email else "name"))
    if seen:
        _ipad_self_add_cause(ctx, person)


def _ipad_self_add_cause(ctx, person):
    """A person with a duplicate, in a synced group that lets members add themselves via the iPad app: the
    help's likely cause of new duplicates. Their own groups when they have members there, else the school's."""
    own = {m.group_id: m.group for m in person.members if ctx.is_synced(m.group)}
    groups = sorted(own.values(), key=lambda g: g.name) if own else ctx.synced_groups
    cause = ipad_self_add_cause([g for g in groups if adds_members_via_ipad(g)])
    if cause is not None:
        person.add(Cause("ipad_self_add", cause.title, cause.detail, _in_sign_in_app(
            "Turn off adding members via the iPad app in Sign In App", cause.fix,
        )))


def _duplicate_cause(ctx, a, b, linked, by):
    detail = f"{_profile_label(a)} and {_profile_label(b)} have the same {by}."
    if a.id in linked and b.id in linked:
        fix = Fix("Decouple the wrong one, then merge",
                  "Both profiles are linked to Sign In App members, so they cannot be merged: decouple the wrong one "
                  "first (or keep both if the person has two roles).", "open_profile", {"profile_id": b.id})
    else:
        # The school's own (unlinked) profile is kept; the link moves to it.
        kept, removed = (a, b) if b.id in linked or (a.id not in linked and a.id < b.id) else (b, a)
        fix = Fix(f"Merge {_profile_label(removed)} into {_profile_label(kept)}",
                  "Ask an admin to merge the two profiles (never delete the duplicate).",
                  "merge", {"kept_id": kept.id, "removed_id": removed.id})
    return Cause("duplicate", "A duplicate profile exists", detail + " Merge them: deleting one breaks the link.", fix)


def _readiness_cause(ctx, person, p):
    """Not ready in the rating systems the profile's group checks (every enabled one when it has no group)."""
    if p.status != "active" or p.is_leaver(ctx.on):
        return
    active = next((link for link in ctx.found.links_of_profile(p) if link.severed_at is None), None)
    member = ctx.found.members.get(active.sia_member_id) if active else None
    settings = GroupSettings.of(member.group) if member is not None and ctx.is_synced(member.group) else None
    readiness = readiness_in_enabled_systems(p, ctx.on)
    if settings is not None and settings.rating_check != "none":
        readiness = [r for r in readiness if settings.checks(r.rating_system)]
    gaps = []
    for r in readiness:
        if r.ready:
            continue
        parts = [f"{state} {', '.join(names)}" for state, names in (("missing", r.missing), ("expired", r.expired)) if names]
        gaps.append(f"{r.rating_system.name}: {'; '.join(parts) or 'not ready'}")
    if gaps:
        person.add(Cause(
            "not_ready", "Not ready",
            f"{_profile_label(p)} is not ready — {' · '.join(gaps)}. The green shield shows only when every checked "
            "rating system is ready.",
            Fix("Add the missing checks", "Ask an admin to record the missing or expired checks on the profile.",
                "record_checks", {"profile_id": p.id}),
        ))


def _live_member_causes(ctx, person, m):
    """A member found live in a group Tether does not read, told why, in the troubleshooting help's words."""
    org, group = ctx.organisation, m.group
    where = f"{m.name} (Sign In App member {m.sia_id}, read from Sign In App just now)"
    if group.type != "returning":
        person.add(Cause(
            "group_not_returning", "In a Standard group",
            f"{where} is in the Standard group {group.name}: the integration works for Repeat Sign In App groups "
            "only. Only Repeat groups can be linked — Standard groups will not sync.",
            _in_sign_in_app("Move the member to a Repeat group",
                f"In Sign In App, add {m.name} to a Repeat group linked to {org.name}."),
        ))
    else:
        person.add(Cause(
            "group_not_linked", "In a group not linked to this organisation",
            f"{where} is in the group {group.name}, which is not linked to {org.name}: link it under Manage > "
            f"Groups > {group.name} > Integrations.",
            _in_sign_in_app("Link the group in Sign In App",
                f"In Sign In App, go to Manage > Groups > {group.name} > Integrations and select {org.name}, then "
                "run the import."),
        ))


def _portal_cause(ctx, person):
    if person.portal_users and not person.members and not person.live_members:
        user = person.portal_users[0]
        person.add(Cause(
            "portal_user_only", "A portal user only",
            f"{user.name} ({user.email}) is a Sign In App portal user ({user.role}), not a member of a group. Admin and "
            "portal users are never synced.",
            _in_sign_in_app("Add them as a group member", f"In Sign In App, add {user.name} to a Repeat group linked to "
                f"{ctx.organisation.name}, or add their profile in Central Record."),
        ))


def _diagnose_person(ctx, person):
    _organisation_causes(ctx, person)
    if ctx.connection is not None and not ctx.ever_imported and not any(
        link.severed_at is None for p in person.profiles for link in ctx.found.links_of_profile(p)
    ):
        person.add(Cause(
            "never_imported", "Never imported",
            f"No Sign In App import of {ctx.organisation.name} has succeeded yet: profiles do not appear "
            "automatically on first setup.",
            Fix("Run the import now", "Ask an admin to run the import.", "run_import"),
        ))
    for m in person.members:
        _member_causes(ctx, person, m)
    for m in person.live_members:
        _live_member_causes(ctx, person, m)
    for exclusion in person.exclusions:
        _exclusion_cause(ctx, person, exclusion)
    for p in person.profiles:
        _profile_causes(ctx, person, p)
    # The shield is the linked profile's: a duplicate's checks count only once merged into it.
    linked = [p for p in person.profiles if any(link.severed_at is None for link in ctx.found.links_of_profile(p))]
    for p in linked or person.profiles:
        _readiness_cause(ctx, person, p)
    _duplicate_causes(ctx, person)
    _portal_cause(ctx, person)


def diagnose(organisation, query, on=None, client=None, other_schools=False, live_client=None):
    """Every person matching `query` (name or email, any case) and every cause that applies to each.

    `client` answers `portal_users()` in place of the connection's own Sign In App client; `live_client`
    answers `members(group id)` for the live search of the groups Tether does not read (`_live_members`).
    `other_schools` also searches members of groups linked to the trust's other schools (support only:
    it is how "the group is linked to another organisation" is found).
    """
    searched = search_terms(normalise(query))
    terms = searched.words
    diagnosis = Diagnosis(query=" ".join(terms))
    if searched.notice:
        diagnosis.notes.append(searched.notice)
    if not terms:
        return diagnosis
    on = on or datetime.date.today()
    connection = SiaConnection.for_organisation(organisation)
    found = _find(organisation, connection, terms, client, diagnosis.notes, other_schools, live_client)
    diagnosis.people = _people(found)
    ctx = _Context(organisation, connection, found, on) if diagnosis.people else None
    for person in diagnosis.people:
        _diagnose_person(ctx, person)
    return diagnosis
