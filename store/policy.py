"""Who may do what: Tether's one permission policy, asked by the console, the CLI and diagnostics.

Two halves, kept in this one module so that a new kind of access changes one place:

- **Actions.** `ACTIONS` names everything a person may do in Tether and the roles that may do it;
  `may(user, action)` answers. A viewer reads their school; an admin also manages it (rules, checks,
  merges, imports, pushes); support also restores, re-links and manages users (DESIGN §8).
- **Scope.** `organisation_ids(user)` is the set of organisations a user may see (None for every one);
  `may_see` and `visible_organisations` read it. An admin or viewer sees the organisations they belong
  to; support sees every organisation. Support access grants (DESIGN §12) narrow support's scope here.

Nothing outside this module compares a role to a name: a test reads the source to keep it so.
"""
from .models import Organisation, SupportGrant, User, UserOrganisation

VIEWER, ADMIN, SUPPORT = "viewer", "admin", "support"
EVERYONE = frozenset(User.ROLES)
MANAGERS = frozenset({ADMIN, SUPPORT})
SUPPORT_ONLY = frozenset({SUPPORT})

# What each role may do, in the words the users page shows beside it.
ROLE_SUMMARIES = {
    VIEWER: "reads their school",
    ADMIN: "manages their school: rules, merges, pushes",
    SUPPORT: "every organisation, restores and re-links",
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
    # Push without duplicates (issue 16): a profile "Push All" held back because it looks like a member
    # already in the group is linked to that member instead. An admin may: importing the member and
    # merging the two profiles, which admins do, ends in the same link.
    "link_existing_member": MANAGERS,
}


def roles_for(action):
    """The roles that may take `action`, support first; a KeyError names an action the policy does not know."""
    return tuple(role for role in User.ROLES if role in ACTIONS[action])


def may(user, action):
    """Whether `user` may take `action`."""
    return user.role in ACTIONS[action]


def sees_every_organisation(role):
    """Whether a user of `role` sees every organisation rather than the ones they belong to."""
    return role == SUPPORT


def organisation_ids(user):
    """The ids of the organisations `user` may see, or None when they may see every one."""
    if sees_every_organisation(user.role):
        return None
    return {membership.organisation_id for membership in user.memberships}


def may_see(user, organisation_id):
    allowed = organisation_ids(user)
    return allowed is None or organisation_id in allowed


def visible_organisations(user):
    """The organisations `user` may see, by name."""
    query = Organisation.select().order_by(Organisation.name)
    if sees_every_organisation(user.role):
        return query
    return query.join(UserOrganisation).where(UserOrganisation.user == user)


def grant_acted_under(actor, organisation):
    """The support access grant an action of `actor` on `organisation` runs under: the organisation's
    open grant when `actor` is a support user; None for anyone else (and for the CLI's named actors)."""
    if getattr(actor, "role", None) != SUPPORT:
        return None
    return SupportGrant.open_for(organisation)
