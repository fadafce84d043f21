"""Who may do what: Tether's one permission policy, asked by the console, the CLI and diagnostics.

Two halves, kept in this one module so that a new kind of access changes one place:

- **Actions.** `ACTIONS` names everything a person may do in Tether and the roles that may do it;
  `may(user, action)` answers. A viewer reads their school; an admin also manages it (rules, checks,
  merges, imports, pushes); support also restores, re-links and manages users (DESIGN §8).
- **Scope.** `organisation_ids(user)` is the set of organisations a user may see; `may_see` and
  `visible_organisations` answer the same question. An admin or viewer sees the organisations they
  belong to. Support sees an organisation only while the school has support access open for it (a
  `SupportGrant`, DESIGN §12, set-up help step 2): outside it every page of the organisation is 404 for
  support, and its name is only listed among the organisations support can ask access to.
  Support's site-wide work (users, creating organisations) needs no grant: it is not an organisation's.

Nothing outside this module compares a role to a name: a test reads the source to keep it so.
"""
from .models import Organisation, SupportGrant, User, UserOrganisation

VIEWER, ADMIN, SUPPORT = "viewer", "admin", "support"
EVERYONE = frozenset(User.ROLES)
MANAGERS = frozenset({ADMIN, SUPPORT})
ADMIN_ONLY = frozenset({ADMIN})
SUPPORT_ONLY = frozenset({SUPPORT})

# What each role may do, in the words the users page shows beside it.
ROLE_SUMMARIES = {
    VIEWER: "reads their school",
    ADMIN: "manages their school: rules, merges, pushes",
    SUPPORT: "organisations that opened support access to them; restores and re-links",
}

ACTIONS = {
    "view": EVERYONE,  # read an organisation's pages
    "mark_read": EVERYONE,  # mark notifications read
    "record_checks": MANAGERS,  # add and edit a profile's check records
    "manage_rating_systems": MANAGERS,
    "manage_tokens": MANAGERS,  # the safety-check tokens of the school's own connection
    "manage_trust_tokens": SUPPORT_ONLY,  # …and of a trust's connection, which answers for every school
    "edit_rules": MANAGERS,  # mapping rules, and applying the type changes they make
    "edit_fields": MANAGERS,  # field mapping
    "decouple": MANAGERS,
    "delete_profile": MANAGERS,
    "merge": MANAGERS,  # merge (one pair or many) and undo a merge
    "restore_profile": SUPPORT_ONLY,
    "relink": SUPPORT_ONLY,
    "restore_exclusion": SUPPORT_ONLY,
    "import": MANAGERS,  # start a Sign In App import; upload, import and confirm a SIMS export
    "push": MANAGERS,  # push profiles to Sign In App
    "manage_users": SUPPORT_ONLY,
    "search_other_schools": SUPPORT_ONLY,  # diagnostics also search the trust's other schools
    # Getting started and support access (DESIGN §12, the set-up help's "Get Started" steps).
    "request_integration": ADMIN_ONLY,  # step 1: the request comes from a Central Record administrator
    "open_support_access": ADMIN_ONLY,  # step 2: the school opens its portal to support
    "close_support_access": MANAGERS,  # the school closes it at any time; support may hand it back early
    "record_confirmation": SUPPORT_ONLY,  # step 3: the Sign In App Primary User's confirmation
    "read_site_audit": SUPPORT_ONLY,  # the audit log's site-wide events (users, organisations created)
    # Trusts, organisations and Sign In App connections (issue 13). Creating and renaming trusts and
    # organisations is a site-wide page, outside any one school's support access.
    "manage_organisations": SUPPORT_ONLY,
    "see_connection": MANAGERS,  # Settings → Sign In App → Connection: base URL, key, last test
    "test_connection": MANAGERS,  # "Test connection": ask Sign In App with the saved credentials
    "use_wonde": MANAGERS,  # the set-up help's step 3: "Use SIA Wonde Connection (if available)"
    "manage_connection": SUPPORT_ONLY,  # create the connection, change its base URL, key and secret
    # Live groups and a closed sandbox (issue 13): the Sign In App sandbox's pages stand in for another
    # system, so only Tether support may read or change anything in them.
    "use_sandbox": SUPPORT_ONLY,
    # Profiles and organisation settings (DESIGN §12 item 6): create and edit a profile (its names, email,
    # dates, leaving date and type); the organisation's SIMS settings; the SIMS drop folder's path, a
    # path on Tether's own server that a school could point at another school's folder, is support's.
    "edit_profile": MANAGERS,
    "edit_settings": MANAGERS,
    "set_drop_folder": SUPPORT_ONLY,
    # The integration's state (DESIGN §12 item 4): a school admin, or support, pauses the scheduled
    # Sign In App imports and resumes them.
    "pause_schedule": MANAGERS,
    # Jobs at scale (issue 14): the operations page, every organisation's scheduled work (next due times,
    # last runs, failures, abandoned runs): operational metadata, not a school's records.
    "view_operations": SUPPORT_ONLY,
    # Push without duplicates (issue 16): a profile "Push All" held back because it looks like a member
    # already in the group is linked to that member instead. An admin may: importing the member and
    # merging the two profiles, which admins do, ends in the same link.
    "link_existing_member": MANAGERS,
    # Linked groups kept by Tether (issue 17): which Sign In App Repeat groups sync for a school. Admins
    # and viewers see them on the connection page; support links and unlinks them there (a school links a
    # group in Sign In App, which Tether takes while no one has decided otherwise).
    "link_groups": SUPPORT_ONLY,
}


def roles_for(action):
    """The roles that may take `action`, support first; a KeyError names an action the policy does not know."""
    return tuple(role for role in User.ROLES if role in ACTIONS[action])


def may(user, action):
    """Whether `user` may take `action`."""
    return user.role in ACTIONS[action]


def reaches_through_support_access(role):
    """Whether a user of `role` reaches organisations through support access grants rather than by
    belonging to them (support: no memberships, every school it works on opened to it for a while)."""
    return role == SUPPORT


def organisation_ids(user, at=None):
    """The ids of the organisations `user` may see (at `at`, now by default)."""
    if reaches_through_support_access(user.role):
        return {grant.organisation_id for grant in SupportGrant.open_now(at).select(SupportGrant.organisation)}
    return {membership.organisation_id for membership in user.memberships}


def may_see(user, organisation_id, at=None):
    """Whether `user` may see the organisation with `organisation_id`: one question, one query."""
    if reaches_through_support_access(user.role):
        return SupportGrant.open_now(at).where(SupportGrant.organisation == organisation_id).exists()
    return UserOrganisation.select().where(
        (UserOrganisation.user == user.id) & (UserOrganisation.organisation == organisation_id)
    ).exists()


def visible_organisations(user, at=None):
    """The organisations `user` may see, by name."""
    query = Organisation.select().order_by(Organisation.name, Organisation.id)
    if reaches_through_support_access(user.role):
        return query.where(Organisation.id.in_(SupportGrant.open_now(at).select(SupportGrant.organisation)))
    return query.join(UserOrganisation).where(UserOrganisation.user == user.id)


def organisations_to_ask(user, at=None):
    """The organisations support could work on once the school opens access: every one without an
    open grant, by name. Nobody else asks: an admin or viewer belongs to their school or does not."""
    if not reaches_through_support_access(user.role):
        return Organisation.select().where(Organisation.id.in_([]))
    return (
        Organisation.select()
        .where(Organisation.id.not_in(SupportGrant.open_now(at).select(SupportGrant.organisation)))
        .order_by(Organisation.name, Organisation.id)
    )


def grant_acted_under(actor, organisation):
    """The support access grant an action of `actor` on `organisation` runs under: the organisation's
    open grant when `actor` is a support user; None for anyone else (and for the CLI's named actors)."""
    if getattr(actor, "role", None) != SUPPORT:
        return None
    return SupportGrant.open_for(organisation)


def may_manage_trust(user, trust_id):
    """Whether `user` may change `trust_id`'s rating-system templates, which every school of the trust
    inherits: someone who manages rating systems and sees every school of the trust (an admin of each
    of them, or support with access to each); support alone for a trust with no school yet."""
    if not may(user, "manage_rating_systems"):
        return False
    schools = [o.id for o in Organisation.select(Organisation.id).where(Organisation.trust == trust_id)]
    if not schools:
        return reaches_through_support_access(user.role)
    return all(may_see(user, school) for school in schools)
