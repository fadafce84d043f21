"""Seeding the sandbox's own tables: a Sign In App account exactly as it is described to us.

The sandbox knows nothing of the demo's story or of Tether's records: the app's demo seed (the
`demo` package) decides the account's credentials, groups, members and portal users and hands them
over as plain values; this module only writes them, and empties the sandbox tables again.
"""
from store.db import database, empty_tables

from .models import MODELS, SandboxAccount, SandboxGroup, SandboxMember, SandboxPersonalField, SandboxPortalUser

_BATCH = 500  # members per INSERT: one round trip each would make seeding slow


def seed_account(
    *, name, api_key, api_secret, central_record_token=None, central_record_safety_check=False, portal_users=(),
    groups=(), personal_fields=(),
):
    """Create one account with its portal users and groups; returns the account.

    `central_record_safety_check` is the account's Manage > Safety Check > Sign In Central Record toggle.
    `personal_fields`: the custom fields `{key, label, type}` each; members carry their values under `key`.
    `portal_users`: `{name, email, role}` each. `groups`: `{name, type, organisation_id?, rating_check?,
    rating_systems?, safety_check?, allow_ipad_self_add?, mis_sync?, members: [{personal_fields, archived?,
    site_id?, last_in?, last_out? (ISO-8601 text), mis?: {date_of_birth?, start_date?, leaving_date?}
    (datetime.date each)}]}`
    each, created in the order given, every group's members just after it.
    """
    with database.atomic():
        account = SandboxAccount.create(
            name=name, api_key=api_key, api_secret=api_secret, central_record_token=central_record_token,
            central_record_safety_check=central_record_safety_check,
        )
        for user in portal_users:
            SandboxPortalUser.create(account=account, **user)
        for definition in personal_fields:
            SandboxPersonalField.create(account=account, **definition)
        for description in groups:
            settings = {key: value for key, value in description.items() if key != "members"}
            group = SandboxGroup.create(account=account, **settings)
            rows = [
                {"group": group.id, "personal_fields": m["personal_fields"], "archived": m.get("archived", False),
                 "site_id": m.get("site_id"), "last_in": m.get("last_in"), "last_out": m.get("last_out"),
                 **{column: (m.get("mis") or {}).get(key) for key, column in SandboxMember.MIS_FIELDS.items()}}
                for m in description.get("members", ())
            ]
            for start in range(0, len(rows), _BATCH):
                SandboxMember.insert_many(rows[start : start + _BATCH]).execute()
    return account


def account_count():
    return SandboxAccount.select().count()


def wipe():
    """Delete every row of the sandbox's tables (not its migration history)."""
    empty_tables(MODELS)
