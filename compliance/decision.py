"""The safety check (DESIGN §6): may this Sign In App member sign in to this group, and with a shield?

`decide` is the whole decision table as a pure function of four plain values: the organisation's
safety-check toggle, the group's `safety_check` and `rating_check`, and whether the member is ready,
not ready or unavailable. Read as:

- toggle off, `dont_check`, or `rating_check` `none`: nothing is checked → `not_checked`, allow, no
  shield, no notification, whatever the member's state (Central Record's answer is not asked for, so a
  member it cannot find does not matter);
- otherwise ready → `compliant`, allow, green shield;
- otherwise not ready → `not_compliant`, unavailable → `unavailable`; `reject` rejects, `allow` allows;
  both notify the school.

`check_sign_in` is the service the API and the CLI call: it reads the group's settings from the
mirror (`SiaGroup.settings`, as Sign In App last gave them), finds the member's profile through its
active link, works out readiness in the rating systems the group checks, decides, and records a
Notification for every reject and every allow-when-not-ready.

The group's settings are current (DESIGN §12 item 5): the sign-in's row says whether the mirror read the
group less than `SETTINGS_FRESH_FOR` ago, and when it did not (or has no such group) the caller's
`read_group` (sync.live) reads it from Sign In App before the answer; a Sign In App that cannot be
reached does not fail the check, which answers from the mirror and says so in its message. The
organisation-wide toggle is Sign In App's "Manage > Safety Check > Sign In Central Record", which comes
with every group's integration settings (`central_record_safety_check`, docs/design.md §3).

Which rating systems a group checks (the group's own choice, Manage > Groups > Integrations in Sign In
App): `all` = every enabled system of the organisation, its own and those inherited from its trust;
`selected` = exactly the enabled systems the group selected; a group whose choice leaves no enabled
system has nothing to check.
"""
import datetime
from typing import NamedTuple

from peewee import JOIN, SQL, Alias, NodeList, fn

from store.group_commit import GroupCommit
from store.models import (
    Link,
    Notification,
    Organisation,
    Profile,
    SafetyCheckToken,
    SiaGroup,
    SiaMember,
    now,
)
from store.prepared import Prepared, param

from . import tokens
from .readiness import compliance_revision, enabled_requirements, readiness_in, record_facts_of_json, records_of

UNAVAILABLE_MESSAGE = (
    "We were unable to get this member's information from Central Record, "
    "please contact your portal administrator."
)

SAFETY_CHECKS = ("dont_check", "reject", "allow")
RATING_CHECKS = ("all", "none", "selected")
READY, NOT_READY, UNAVAILABLE = "ready", "not_ready", "unavailable"
MEMBER_STATES = (READY, NOT_READY, UNAVAILABLE)

# What a group whose settings say nothing does: the Sign In App defaults.
DEFAULT_SAFETY_CHECK = "dont_check"
DEFAULT_RATING_CHECK = "all"
# A Sign In App that does not send the account's toggle leaves the decision to the group's own options.
DEFAULT_CENTRAL_RECORD_SAFETY_CHECK = True
# The group settings a sign-in uses were read from Sign In App less than this long ago (else read again).
SETTINGS_FRESH_FOR = datetime.timedelta(minutes=5)


class Decision(NamedTuple):
    status: str  # compliant | not_compliant | not_checked | unavailable
    shield: bool
    decision: str  # allow | reject
    notify: bool


def checks_criteria(check_enabled, safety_check, rating_check):
    """Whether Central Record's criteria are checked at all for this organisation toggle and group."""
    return check_enabled and safety_check != "dont_check" and rating_check != "none"


def decide(*, check_enabled, safety_check, rating_check, member):
    """The §6 decision for one sign-in; every argument is a plain value."""
    if safety_check not in SAFETY_CHECKS:
        raise ValueError(f"safety_check must be one of {', '.join(SAFETY_CHECKS)}, not {safety_check!r}")
    if rating_check not in RATING_CHECKS:
        raise ValueError(f"rating_check must be one of {', '.join(RATING_CHECKS)}, not {rating_check!r}")
    if member not in MEMBER_STATES:
        raise ValueError(f"member must be one of {', '.join(MEMBER_STATES)}, not {member!r}")
    if not checks_criteria(check_enabled, safety_check, rating_check):
        return Decision("not_checked", shield=False, decision="allow", notify=False)
    if member == READY:
        return Decision("compliant", shield=True, decision="allow", notify=False)
    status = "unavailable" if member == UNAVAILABLE else "not_compliant"
    return Decision(status, shield=False, decision="reject" if safety_check == "reject" else "allow", notify=True)


class UnknownGroup(LookupError):
    """The connection has no group with that Sign In App id in Central Record's mirror."""


def _unindexed(column):
    """`+column`: the same value, but not a reason for the planner to use an index on `column`."""
    return NodeList((SQL("+"), column), glue="")


# A sign-in is one row, read by name: the group, its organisation, the member signing in with its link
# to a profile of that organisation (the active one, else the one severed last), the profile's check
# records, and the revision of the rating systems and requirements, which are kept in memory between
# sign-ins (readiness.enabled_requirements). Its SQL is generated once, and on SQLite the row travels
# packed as one JSON object (see store.prepared).
def _sign_in_columns():
    return (
        SiaGroup.id.alias("group_pk"),
        SiaGroup.name.alias("group_name"),
        SiaGroup.settings.alias("group_settings"),
        Alias(SiaGroup.seen_at >= param("fresh_since"), "group_fresh"),
        Organisation.id.alias("organisation_id"),
        Organisation.name.alias("organisation_name"),
        Organisation.settings.alias("organisation_settings"),
        SiaMember.id.alias("member_pk"),
        SiaMember.personal_fields.alias("personal_fields"),
        Link.id.alias("link_id"),
        Link.severed_at.alias("severed_at"),
        Link.sever_reason.alias("sever_reason"),
        Profile.profile_type.alias("profile_type_id"),
        Profile.forename.alias("forename"),
        Profile.surname.alias("surname"),
        Profile.status.alias("profile_status"),
        Profile.leaving_date.alias("leaving_date"),
        Alias(compliance_revision(), "compliance_revision"),
        Alias(records_of(Profile.id), "check_records"),
    )


def _sign_in(query):
    """`query` (with SiaGroup among its sources) joined to the rest of a sign-in's row."""
    return (
        query.join_from(SiaGroup, Organisation, JOIN.LEFT_OUTER, on=(SiaGroup.organisation == Organisation.id))
        .join_from(
            SiaGroup, SiaMember, JOIN.LEFT_OUTER,
            on=(SiaMember.connection == SiaGroup.connection) & (SiaMember.sia_id == param("member")),
        )
        .join(Link, JOIN.LEFT_OUTER, on=(Link.id == _link_of_member()))
        .join(Profile, JOIN.LEFT_OUTER, on=(Link.profile == Profile.id))
    )


def _link_of_member():
    """The id of the member's link to the group's organisation: the active one (there is at most one),
    else the one severed last. Two lookups, the second only for a member with no active link, so most
    sign-ins sort nothing."""
    links = Link.alias()

    def of_member():
        # `+organisation_id`: the member's links are found through their sia_member index, never by
        # scanning every link of the organisation (which SQLite's planner picks without statistics).
        return links.select(links.id).where(
            (links.sia_member == SiaMember.id) & (_unindexed(links.organisation) == SiaGroup.organisation)
        )

    active = of_member().where(links.severed_at.is_null()).limit(1)
    last_severed = of_member().order_by(links.severed_at.desc()).limit(1)
    return fn.COALESCE(active, last_severed)


# A connection's sign-in (the CLI, the console).
_SIGN_IN = Prepared(
    lambda: _sign_in(
        SiaGroup.select(*_sign_in_columns()).where(
            (SiaGroup.connection == param("connection")) & (SiaGroup.sia_id == param("group"))
        )
    ),
    packed=True,
)
# Sign In App's: the live token and its connection, then that connection's sign-in (NULLs for a group
# it does not have) — one query, and so one read of the database, per call of the API.
_TOKEN_SIGN_IN = Prepared(
    lambda: _sign_in(
        tokens.live_token(
            SafetyCheckToken.select(*tokens.token_columns(), *_sign_in_columns()), param("token_hash")
        ).join_from(
            SafetyCheckToken, SiaGroup, JOIN.LEFT_OUTER,
            on=(SiaGroup.connection == SafetyCheckToken.connection) & (SiaGroup.sia_id == param("group")),
        )
    ),
    packed=True,
)


_NOTIFICATION_FIELDS = ("organisation", "kind", "subject", "message", "at")
_INSERT_NOTIFICATIONS = {}  # number of rows -> the Prepared insert of that many notifications


def _insert_notifications(rows):
    """Insert notifications (dicts of `_NOTIFICATION_FIELDS`, as stored) in one statement."""
    count = len(rows)
    insert = _INSERT_NOTIFICATIONS.get(count)
    if insert is None:
        placeholders = [{name: param(f"{name}_{i}") for name in _NOTIFICATION_FIELDS} for i in range(count)]
        insert = _INSERT_NOTIFICATIONS.setdefault(count, Prepared(lambda: Notification.insert_many(placeholders)))
    insert.execute(**{f"{name}_{i}": row[name] for i, row in enumerate(rows) for name in _NOTIFICATION_FIELDS})


# Every reject and allow-when-not-ready is committed before its answer goes back; those of concurrent
# sign-ins are committed together (see store.group_commit).
_NOTIFICATIONS = GroupCommit(_insert_notifications)


class GroupSettings(NamedTuple):
    """The safety-check settings of one SIA group, read from the mirror; `central_record` is the
    account's "Manage > Safety Check > Sign In Central Record" toggle, as the group's settings carry it."""

    safety_check: str
    rating_check: str
    selected: frozenset
    central_record: bool = DEFAULT_CENTRAL_RECORD_SAFETY_CHECK

    @classmethod
    def of(cls, group):
        return cls.of_settings(group.settings)

    @classmethod
    def of_settings(cls, settings):
        """The settings of a group whose mirrored `SiaGroup.settings` are `settings`."""
        settings = settings or {}
        options = settings.get("sign_in_options") or {}
        integrations = settings.get("integrations") or {}
        safety_check = options.get("safety_check")
        rating_check = integrations.get("rating_check")
        selected = {int(i) for i in integrations.get("rating_systems") or [] if str(i).isdigit()}
        central_record = integrations.get("central_record_safety_check")
        return cls(
            safety_check if safety_check in SAFETY_CHECKS else DEFAULT_SAFETY_CHECK,
            rating_check if rating_check in RATING_CHECKS else DEFAULT_RATING_CHECK,
            frozenset(selected),
            central_record if isinstance(central_record, bool) else DEFAULT_CENTRAL_RECORD_SAFETY_CHECK,
        )

    def checks(self, rating_system):
        """Whether this group checks `rating_system` (an enabled one)."""
        return self.rating_check == "all" or rating_system.id in self.selected


def _linked_profile(member_id, row, on):
    """(name, profile type id, reason) of the profile the member signs in as, from a sign-in's `row`: the
    profile type is None when Central Record cannot answer for the member, and `reason` then says why,
    for the school's notification."""
    if row["member_pk"] is None:
        name = f"Sign In App member {member_id}"
        return name, None, f"{name} has not been imported into Central Record."
    name = SiaMember.display_name_of(member_id, row["personal_fields"])
    if row["link_id"] is None:
        return name, None, f"{name} is not linked to a profile of {row['organisation_name']}."
    profile_name = Profile.name_of(row["forename"], row["surname"])
    if row["severed_at"] is not None:
        return name, None, (
            f"{name}'s link to the profile of {profile_name} was severed ({row['sever_reason'] or 'no reason given'}) "
            f"on {row['severed_at']:%d %b %Y}."
        )
    if row["profile_status"] != "active":
        return name, None, f"{name} is linked to the profile of {profile_name}, which is {row['profile_status']}."
    if Profile.left_by(row["leaving_date"], on):
        return name, None, f"{profile_name} is a leaver from {row['leaving_date']:%d %b %Y}."
    return profile_name, row["profile_type_id"], ""


def _summarise(readiness):
    parts = []
    for r in readiness:
        if r.ready:
            continue
        gaps = []
        if r.missing:
            gaps.append("missing " + ", ".join(r.missing))
        if r.expired:
            gaps.append("expired " + ", ".join(r.expired))
        parts.append(f"{r.rating_system.name}: {'; '.join(gaps) or 'not ready'}")
    return "; ".join(parts)


def _not_checked_reason(organisation_name, group_name, check_enabled, settings):
    if organisation_name is None:
        return f"Group {group_name} is not linked to a Central Record organisation, so nothing was checked."
    if not settings.central_record:
        return (
            "Sign In App's safety check does not include Sign In Central Record's criteria (Manage > Safety Check > "
            "Sign In Central Record is off), so nothing was checked."
        )
    if not check_enabled:
        return f"The safety check is turned off for {organisation_name}, so nothing was checked."
    if settings.safety_check == "dont_check":
        return f"Group {group_name} does not check Central Record criteria."
    if settings.rating_check == "none":
        return f"Group {group_name} does not check rating systems."
    return f"Group {group_name} has no enabled rating system to check."


def _message(decision, name, readiness):
    if decision.status == "unavailable":
        return UNAVAILABLE_MESSAGE
    if decision.status == "compliant":
        return f"{name} meets the entry criteria: {', '.join(r.rating_system.name for r in readiness)}."
    outcome = "Sign in refused" if decision.decision == "reject" else "Signed in"
    return f"{name} does not meet the entry criteria ({_summarise(readiness)}). {outcome}; the school has been notified."


def _notify(organisation_id, group_name, decision, name, detail):
    refused = decision.decision == "reject"
    outcome = "Sign in was refused" if refused else "They were signed in"
    _NOTIFICATIONS.submit({
        "organisation": organisation_id,
        "kind": "safety_reject" if refused else "safety_warning",
        "subject": f"Sign-in refused: {name}" if refused else f"Signed in without meeting the entry criteria: {name}",
        "message": f"{detail} {outcome} to group {group_name} at {datetime.datetime.now():%d %b %Y %H:%M}.",
        "at": Notification.at.db_value(now()),
    })


def _id(record_or_id):
    return getattr(record_or_id, "id", record_or_id)


def check_sign_in(connection, member_id, group_id, *, on=None, notify=True, read_group=None):
    """The safety-check answer for SIA member `member_id` signing in to SIA group `group_id`.

    Returns the §6 JSON answer as a dict. `read_group(connection id, group id, fresh_since)` (sync.live's
    `read_group_for_sign_in`) brings a group the mirror has not read since `fresh_since` up to date first,
    returning "" or the words saying it could not; without it the mirror answers as it is. Raises
    UnknownGroup when the connection has no such group, even then. With `notify=False` (the CLI's
    diagnostic) no Notification is recorded; the answer's `notify` still says whether Sign In App's call
    would have recorded one.
    """
    values = {"connection": _id(connection), "group": group_id, "member": member_id, "fresh_since": now() - SETTINGS_FRESH_FOR}
    row = _SIGN_IN.first(**values)
    note = ""
    if read_group is not None and (row is None or not row["group_fresh"]):
        note = read_group(_id(connection), group_id, values["fresh_since"])
        row = _SIGN_IN.first(**values)
    return _answer_sign_in(connection, member_id, group_id, row, on, notify, note)


def check_sign_in_with_token(secret, member_id, group_id, *, on=None, read_group=None):
    """Sign In App's call: (token, answer) for the bearer token `secret`, or (None, None) when it is not a
    live token. The token is found, and noted as used, in the same query as the sign-in; the answer is
    `check_sign_in`'s for the token's connection (UnknownGroup and `read_group` included), recording its
    Notification."""
    token_hash = tokens.hash_of(secret)
    if token_hash is None:
        return None, None
    values = {"token_hash": token_hash, "group": group_id, "member": member_id, "fresh_since": now() - SETTINGS_FRESH_FOR}
    row = _TOKEN_SIGN_IN.first(**values)
    if row is None:
        return None, None
    note = ""
    if read_group is not None and not row["group_fresh"]:  # NULL too: the connection has no such group
        note = read_group(row["connection_id"], group_id, values["fresh_since"])
        row = _TOKEN_SIGN_IN.first(**values) or row
    token = tokens.token_of(row)
    sign_in = row if row["group_pk"] is not None else None  # NULLs: the connection has no such group
    return token, _answer_sign_in(token.connection, member_id, group_id, sign_in, on, True, note)


def _answer_sign_in(connection, member_id, group_id, row, on, notify, note=""):
    """The answer for a sign-in's `row`; `note` says, when not empty, that Sign In App could not be reached
    to read the group, and ends the answer's message."""
    on = on or datetime.date.today()
    if row is None:
        raise UnknownGroup(
            f"Central Record has no group {group_id} for the Sign In App connection {connection.name!r}. "
            + (f"{note} " if note else "")
            + "Link the group to an organisation in Sign In App, then try again."
        )
    answer = _answer_of_row(member_id, row, on, notify)
    if note:
        answer["message"] = f"{answer['message']} {note}"
    return answer


def _answer_of_row(member_id, row, on, notify):
    group_name, organisation_id, organisation_name = row["group_name"], row["organisation_id"], row["organisation_name"]
    settings = GroupSettings.of_settings(row["group_settings"])
    check_enabled = (
        organisation_id is not None
        and settings.central_record
        and Organisation.setting_in(row["organisation_settings"], "safety_check_enabled")
    )
    checked = checks_criteria(check_enabled, settings.safety_check, settings.rating_check)
    name, profile_type_id, reason, readiness = "", None, "", []
    if checked:
        requirements = enabled_requirements(organisation_id, row["compliance_revision"])
        name, profile_type_id, reason = _linked_profile(member_id, row, on)
        if profile_type_id is not None:
            records = record_facts_of_json(row["check_records"])
            readiness = [
                r for r in readiness_in(requirements, profile_type_id, records, on)
                if settings.checks(r.rating_system)
            ]
            checked = bool(readiness)
        else:
            checked = any(settings.checks(system) for system in requirements.systems)
    # Nothing to check (and a group whose choice leaves no enabled rating system) decides as `none`.
    rating_check = settings.rating_check if checked else "none"
    if profile_type_id is None:
        state = UNAVAILABLE
    else:
        state = READY if all(r.ready for r in readiness) else NOT_READY
    decision = decide(
        check_enabled=check_enabled, safety_check=settings.safety_check, rating_check=rating_check, member=state
    )
    if decision.status == "not_checked":
        return _answer(decision, [], _not_checked_reason(organisation_name, group_name, check_enabled, settings))
    message = _message(decision, name, readiness)
    if decision.notify and notify:
        detail = reason or f"{name} does not meet the entry criteria ({_summarise(readiness)})."
        _notify(organisation_id, group_name, decision, name, detail)
    return _answer(decision, readiness, message)


def _answer(decision, readiness, message):
    return {
        "status": decision.status,
        "shield": decision.shield,
        "decision": decision.decision,
        "notify": decision.notify,
        "rating_systems": [
            {"id": r.rating_system.id, "name": r.rating_system.name, "ready": r.ready, "missing": r.missing, "expired": r.expired}
            for r in readiness
        ],
        "message": message,
    }
