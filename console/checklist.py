"""The set-up checklist on an organisation's overview (DESIGN §12 item 3), read from the data, never ticked.

The set-up help walks a school from "request the integration" to "manage your safety check". Each step
here is one function of the organisation's records that says whether the step is done, in words what
the data shows, what to do next in the help's own words, and where in the console (or in Sign In App)
it is done:

1. the integration requested (IntegrationRequest), with the Sign In App primary user's confirmation;
2. support access opened (a SupportGrant, open now or opened before);
3. the connection tested (the organisation's own or its trust's SiaConnection, last test OK);
4. groups linked (Repeat groups of Sign In App linked to the organisation, as the mirror last saw them);
5. the profile type map (a mapping rule for a profile type other than Teaching Staff);
6. Wonde fields (optional: the connection's Wonde toggle on and an MIS field mapped);
7. the first import or push chosen (the organisation no longer setting up, or a run of either);
8. duplicates merged (no duplicate pair left on the duplicates page);
9. the safety check on (`safety_check_on`: the organisation's toggle, and a linked group that checks).

A step links to the pages where it is done, those the signed-in user may open (`_places`).
"""
from dataclasses import dataclass, field

from flask import url_for

from compliance.decision import GroupSettings
from store.models import (
    FieldMapping, IntegrationRequest, MappingRule, ProfileType, RatingSystem, SiaConnection, SiaGroup, SupportGrant, SyncRun,
)
from sync import duplicates, integration

from .access import can
from .nav import action_of

TEACHING_STAFF = "Teaching Staff"  # Sign In App's Staff come across as Teaching Staff without a mapping
SIA_GROUP_INTEGRATIONS = "Manage > Groups > Select Staff group > Integrations"
REPEAT_ONLY = (
    "You will not be able to link any 'Standard' SIA groups, the integration will work for 'Repeat' SIA groups only."
)

# The page a step is done on, as (endpoint, label).
GETTING_STARTED = ("getting_started.index", "Getting started")
SUPPORT_ACCESS = ("support_access.index", "Support access")
CONNECTION = ("connection.show", "Connection")
WONDE_TOGGLE = CONNECTION  # the toggle lives there and nowhere else
PROFILE_TYPE_MAP = ("mapping.index", "Profile Type Map")
FIELD_MAPPING = ("fields.index", "Field Mapping")
IMPORT = ("runs.index", "Import")
UPLOAD = ("upload.index", "Sign In App Upload")
DUPLICATES = ("duplicates.index", "Duplicates")
SAFETY_CHECK_TOKENS = ("compliance.token_list", "Sign In App tokens")


@dataclass(frozen=True)
class Place:
    label: str
    url: str


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    shows: str  # what the data shows, in words
    todo: str = ""  # what to do next, in the help's words; empty once done
    places: list = field(default_factory=list)  # Place: where in the console it is done
    optional: bool = False

    @property
    def state(self):
        return "done" if self.done else "optional" if self.optional else "todo"


def _day(moment):
    return f"{moment:%d %b %Y}"


def _places(org, *pages):
    """A Place for each of `pages` ((endpoint, label) each) that the signed-in user may open."""
    return [Place(label, url_for(endpoint, org_id=org.id)) for endpoint, label in pages if can(action_of(endpoint))]


def request_step(org):
    request = IntegrationRequest.get_or_none(IntegrationRequest.organisation == org)
    if request is None:
        shows = "Nobody has requested the integration yet."
    elif request.confirmed:
        shows = (f"Requested by {request.requested_by} on {_day(request.requested_at)}. The Sign In App primary user "
                 f"({request.primary_user}) confirmed; recorded by {request.confirmation_recorded_by} on "
                 f"{_day(request.confirmed_at)}.")
    else:
        shows = (f"Requested by {request.requested_by} on {_day(request.requested_at)}. Waiting for the Sign In App "
                 "primary user's confirmation that they are happy for support to set up the integration.")
    return Step(
        "request", "Request the integration", request is not None, shows,
        "" if request else "A Central Record user with Administrator access requests the integration.",
        _places(org, GETTING_STARTED),
    )


def support_access_step(org):
    grants = SupportGrant.select().where(SupportGrant.organisation == org)
    open_grant = SupportGrant.open_for(org)
    latest = grants.order_by(SupportGrant.opened_at.desc()).first()
    if open_grant is not None:
        shows = f"Open to support until {_day(open_grant.until)} (opened by {open_grant.opened_by})."
    elif latest is not None:
        ended = latest.closed_at or latest.until
        shows = f"Opened by {latest.opened_by} on {_day(latest.opened_at)}; closed since {_day(ended)}."
    else:
        shows = "Your Central Record portal has not been opened for support access."
    return Step(
        "support_access", "Open your portal for support access", latest is not None, shows,
        "" if latest else "A school admin opens the Central Record portal for support access, for a chosen period.",
        _places(org, SUPPORT_ACCESS),
    )


def connection_step(org):
    connection = SiaConnection.for_organisation(org)
    done = connection is not None and connection.test_ok is True
    if connection is None:
        shows = "There is no Sign In App connection for this organisation or its trust."
    elif connection.tested_at is None:
        shows = f"The connection {connection.name} has not been tested."
    elif connection.test_ok:
        shows = f"The connection {connection.name} answered the test on {_day(connection.tested_at)}."
    else:
        shows = f"The last test of {connection.name}, on {_day(connection.tested_at)}, failed: {connection.test_message}"
    todo = "" if done else (
        "Support creates the Sign In App connection at Settings > Sign In App > Configuration > Connection "
        "and tests it."
    )
    return Step("connection", "Connect and test Sign In App", done, shows, todo,
                _places(org, CONNECTION))


def _linked_groups(org):
    """The groups Tether keeps linked to `org` (sync.group_links), still in Sign In App."""
    return list(
        SiaGroup.select().where((SiaGroup.organisation == org) & SiaGroup.gone_at.is_null()).order_by(SiaGroup.name)
    )


def groups_step(org, groups):
    repeat = [g for g in groups if g.type == "returning"]
    standard = [g for g in groups if g.type != "returning"]
    if repeat:
        shows = f"Repeat groups linked: {', '.join(g.name for g in repeat)}."
    else:
        shows = "No Repeat group of Sign In App is linked to this organisation."
    if standard:
        shows += f" Standard groups linked, which will not sync: {', '.join(g.name for g in standard)}."
    todo = "" if repeat else (
        f"In Sign In App, head to {SIA_GROUP_INTEGRATIONS} and select {org.name} from the dropdown. {REPEAT_ONLY} "
        "Then refresh the Profile Type Map to see the group. Support can also link it under Linked groups at "
        "Settings > Sign In App > Configuration > Connection."
    )
    return Step("groups", "Link groups to the organisation", bool(repeat), shows, todo,
                _places(org, PROFILE_TYPE_MAP, CONNECTION))


def profile_type_map_step(org):
    ruled = MappingRule.select(MappingRule.profile_type).where((MappingRule.organisation == org) & MappingRule.enabled)
    mapped = [
        t.name for t in ProfileType.select()
        .where((ProfileType.organisation == org) & (ProfileType.name != TEACHING_STAFF) & ProfileType.id.in_(ruled))
        .order_by(ProfileType.position, ProfileType.name)
    ]
    done = bool(mapped)
    shows = (f"Mapped: {', '.join(mapped)}." if done else
             "No profile type other than Teaching Staff is mapped to a Sign In App group.")
    todo = "" if done else (
        "Staff in Sign In App come across as Teaching Staff; for other profile types, map a profile type to a group "
        "at Settings > Sign In App > Configuration > Profile Type Map."
    )
    return Step("profile_type_map", "Map profile types", done, shows, todo,
                _places(org, PROFILE_TYPE_MAP))


def wonde_step(org):
    connection = SiaConnection.for_organisation(org)
    wonde = connection is not None and connection.wonde
    # What the toggle brings are the MIS fields (sync.fields.MIS_FIELDS): the step is done once one is mapped.
    fields = (FieldMapping.select()
              .where((FieldMapping.organisation == org) & FieldMapping.source_field.startswith("mis."))
              .count())
    done = wonde and fields > 0
    shows = (
        ("Use SIA Wonde Connection is on" if wonde else "Use SIA Wonde Connection is off")
        + (f"; {fields} MIS field{'s' if fields != 1 else ''} mapped." if fields else "; no MIS field is mapped.")
    )
    todo = "" if done else (
        "UK education only, if you want it: toggle on 'Use SIA Wonde Connection (if available)' at Settings > Sign In "
        "App > Configuration > Connection, then set up the fields in the Field Mapping tab."
    )
    return Step("wonde", "Wonde fields", done, shows, todo,
                _places(org, WONDE_TOGGLE, FIELD_MAPPING), optional=True)


def _first_run(org):
    return (
        SyncRun.select()
        .where((SyncRun.organisation == org) & SyncRun.kind.in_(integration.STARTING_KINDS) & (SyncRun.dry_run == False))  # noqa: E712
        .order_by(SyncRun.started_at, SyncRun.id)
        .first()
    )


def first_sync_step(org, first_run):
    done = org.state != integration.SETTING_UP or first_run is not None
    if first_run is not None:
        what = "import" if first_run.kind == "sia_import" else "push"
        shows = f"First {what} started by {first_run.actor or first_run.trigger} on {_day(first_run.started_at)}."
    elif done:
        shows = "The integration is under way."
    else:
        shows = "Profiles do not appear until you choose Import or Push."
    todo = "" if done else (
        "Import from Sign In App (Settings > Sign In App > Configuration > Import) if you have profiles in Sign In "
        "App, or Push from Central Record (Settings > Sign In App Upload > Push All)."
    )
    return Step("first_sync", "Choose Import or Push", done, shows, todo,
                _places(org, IMPORT, UPLOAD))


def duplicates_step(org, first_run):
    left = len(duplicates.ranked_pairs(org))
    done = first_run is not None and left == 0
    if first_run is None:
        shows = "Duplicate profiles appear after the first import."
    elif left:
        shows = f"{left} duplicate pair{'s' if left != 1 else ''} left to merge."
    else:
        shows = "No duplicate pair is left."
    todo = "" if done or first_run is None else "Merge the duplicates with your existing profiles: do not delete them."
    return Step("duplicates", "Merge duplicate profiles", done, shows, todo,
                _places(org, DUPLICATES))


def safety_check_on(org, groups):
    """(checked groups, why not) for the safety check: the groups that check Central Record at sign-in, and
    when there are none, the reason in words. Reads the organisation's "Sign In Central Record" toggle and
    each linked Repeat group's sign-in options as Tether last saw them."""
    if not org.setting("safety_check_enabled"):
        return [], "The Sign In Central Record safety check is switched off for the organisation."
    repeat = [g for g in groups if g.type == "returning"]
    if repeat and not RatingSystem.select().where((RatingSystem.organisation == org) & RatingSystem.enabled).exists():
        return [], ("The organisation has no enabled rating system yet, so there is nothing to check at sign-in: "
                    "add one under Settings > Rating systems.")
    if repeat and not any(GroupSettings.of(g).central_record for g in repeat):
        return [], ("Sign In App does not include Central Record on the safety check: toggle on 'Include Sign In "
                    "Central Record's criteria for entry to be included on the safety check.' under Manage > "
                    "Safety Check > Sign In Central Record.")
    checking = [g for g in repeat if GroupSettings.of(g).safety_check != "dont_check"]
    if checking:
        return checking, ""
    if not repeat:
        return [], "No Repeat group is linked yet, so nobody is checked at sign-in."
    return [], "No linked Repeat group checks Central Record at sign-in: each is set to 'Don't check'."


SAFETY_CHECK_WORDS = {"reject": "reject sign in when entry criteria not met", "allow": "allow sign in when entry criteria not met"}


def safety_check_step(org, groups):
    checking, why_not = safety_check_on(org, groups)
    if checking:
        shows = "Checked at sign-in in " + ", ".join(
            f"{g.name} ({SAFETY_CHECK_WORDS.get(GroupSettings.of(g).safety_check, GroupSettings.of(g).safety_check)})"
            for g in checking
        ) + "."
    else:
        shows = why_not
    todo = "" if checking else (
        "In Sign In App, navigate to Manage > Safety Check > Sign In Central Record and toggle it on, then choose the "
        "safety check at Manage > Groups > Select Staff group > Sign in options."
    )
    return Step("safety_check", "Turn the safety check on", bool(checking), shows, todo,
                _places(org, SAFETY_CHECK_TOKENS))


def steps(org):
    """The checklist of `org`, in the set-up help's order."""
    groups = _linked_groups(org)
    first_run = _first_run(org)
    return [
        request_step(org),
        support_access_step(org),
        connection_step(org),
        groups_step(org, groups),
        profile_type_map_step(org),
        wonde_step(org),
        first_sync_step(org, first_run),
        duplicates_step(org, first_run),
        safety_check_step(org, groups),
    ]
