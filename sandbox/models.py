"""The sandbox's own tables: a stand-in Sign In App account with its groups, members and portal users.

They live in the same database as Tether's tables (every name starts `sandbox_`) but nothing in
Tether reads them directly: Tether only sees them through the client API in `sandbox.api`, exactly as
it would see the real Sign In App.
"""
import datetime
import hmac
import secrets
import string

from peewee import BooleanField, Check, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from store.db import BaseModel, JSONField

GROUP_TYPES = ("returning", "non-returning", "delivery")
RATING_CHECKS = ("all", "none", "selected")
SAFETY_CHECKS = ("dont_check", "reject", "allow")
MEMBER_STATUSES = ("signed_out", "signed_in")
PERSONAL_FIELD_TYPES = ("text", "boolean", "number")
_KEY_ALPHABET = string.ascii_letters + string.digits


def mis_iso(value):
    """An MIS date as the client API sends it: YYYY-MM-DD, or None."""
    return None if value is None else str(value)[:10]


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class SandboxAccount(BaseModel):
    """One Sign In App customer: the API key and secret it issued, and where its Central Record is."""

    name = CharField()
    api_key = CharField(unique=True)
    api_secret = CharField()
    # The bearer token Central Record issued for the safety check, kept as Sign In App would keep it.
    central_record_token = CharField(null=True)
    # Blank means the Tether this sandbox is mounted in, reached in-process; else this Tether's own address.
    central_record_url = CharField(null=True)
    # Manage > Safety Check > Sign In Central Record: "Include Sign In Central Record's criteria for entry
    # to be included on the safety check." Off until the school turns it on (set-up help, step 5).
    central_record_safety_check = BooleanField(default=False)
    created_at = DateTimeField(default=now)

    class Meta:
        table_name = "sandbox_account"

    @classmethod
    def authenticate(cls, key, secret):
        """The account with this API key and secret, or None."""
        if not key or not secret:
            return None
        account = cls.get_or_none(cls.api_key == key)
        if account is None or not hmac.compare_digest(account.api_secret.encode(), secret.encode()):
            return None
        return account


class SandboxGroup(BaseModel):
    account = ForeignKeyField(SandboxAccount, backref="groups", on_delete="CASCADE")
    name = CharField()
    type = CharField(constraints=[Check("type in ('returning', 'non-returning', 'delivery')")])
    organisation_id = IntegerField(null=True)  # the Central Record organisation this group is linked to
    rating_check = CharField(default="all", constraints=[Check("rating_check in ('all', 'none', 'selected')")])
    rating_systems = JSONField(default=list)
    safety_check = CharField(
        default="dont_check", constraints=[Check("safety_check in ('dont_check', 'reject', 'allow')")]
    )
    allow_ipad_self_add = BooleanField(default=False)
    # "MIS sync (Wonde)": the group's members carry their MIS data (partner data, docs/design.md §3).
    mis_sync = BooleanField(default=False)
    created_at = DateTimeField(default=now)

    class Meta:
        table_name = "sandbox_group"
        indexes = ((("account", "name"), False),)

    @classmethod
    def of_account(cls, account):
        return cls.select().where(cls.account == account).order_by(cls.id)

    @property
    def is_returning(self):
        return self.type == "returning"

    def integrations(self):
        """The group's Central Record integration, with the account's safety-check toggle (our assumption
        of the partner API: docs/design.md §3)."""
        return {
            "organisation_id": self.organisation_id,
            "rating_check": self.rating_check,
            "rating_systems": list(self.rating_systems or []),
            "central_record_safety_check": self.account.central_record_safety_check,
        }

    def sign_in_options(self):
        return {"safety_check": self.safety_check, "allow_ipad_self_add": self.allow_ipad_self_add}


class SandboxMember(BaseModel):
    """A person in a group. `personal_fields` holds name, role, email, mobile and any custom field.

    `site_id`, `qr_codes`, `photo_url`, `last_in`, `last_out` and `permissions` are the documented
    Returning Visitor Resource's (docs/design.md §3.1); `last_in`/`last_out` are ISO-8601 text as the API
    sends them. An archived member is kept here (the sandbox's pages show it) but is no longer a
    member: the API's listing leaves it out, as Sign In App does with a removed one."""

    group = ForeignKeyField(SandboxGroup, backref="members", on_delete="CASCADE")
    personal_fields = JSONField(default=dict)
    status = CharField(default="signed_out", constraints=[Check("status in ('signed_out', 'signed_in')")])
    archived = BooleanField(default=False)
    site_id = IntegerField(null=True)  # the site the member is restricted to, if any
    qr_codes = JSONField(default=list)  # [{"id": 345, "contents": "ABC123DEF456"}]
    photo_url = TextField(null=True)
    last_in = CharField(null=True)
    last_out = CharField(null=True)
    permissions = JSONField(default=dict)  # the companion app's, e.g. {"can_pre_reg": true}
    # The member's MIS data, served when its group has "MIS sync (Wonde)" on.
    mis_date_of_birth = DateField(null=True)
    mis_start_date = DateField(null=True)
    mis_leaving_date = DateField(null=True)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    class Meta:
        table_name = "sandbox_member"

    MIS_FIELDS = {"date_of_birth": "mis_date_of_birth", "start_date": "mis_start_date",
                  "leaving_date": "mis_leaving_date"}

    def mis(self):
        """The member's MIS data as the client API sends it: {"date_of_birth", "start_date", "leaving_date"}."""
        return {key: mis_iso(getattr(self, column)) for key, column in self.MIS_FIELDS.items()}

    @property
    def name(self):
        return (self.personal_fields or {}).get("name") or f"member {self.id}"

    @classmethod
    def of_group(cls, group):
        return cls.select().where(cls.group == group).order_by(cls.id)

    @classmethod
    def of_account(cls, account):
        return cls.select().join(SandboxGroup).where(SandboxGroup.account == account)


class SandboxPersonalField(BaseModel):
    """A custom personal field, "defined within the client space": members carry its value under `key`,
    an opaque id the account made (e.g. c3YQ5d9wQi), shown to people by its `label`, which can change."""

    account = ForeignKeyField(SandboxAccount, backref="personal_fields", on_delete="CASCADE")
    key = CharField()
    label = CharField()
    type = CharField(default="text", constraints=[Check("type in ('text', 'boolean', 'number')")])
    created_at = DateTimeField(default=now)

    class Meta:
        table_name = "sandbox_personal_field"
        indexes = ((("account", "key"), True),)

    @staticmethod
    def new_key():
        """An opaque key as Sign In App makes them: a letter, then nine letters or digits."""
        return secrets.choice(string.ascii_letters) + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(9))

    @classmethod
    def of_account(cls, account):
        return cls.select().where(cls.account == account).order_by(cls.id)


class SandboxPortalUser(BaseModel):
    """An administrator of the Sign In App portal: never a group member, never synced."""

    account = ForeignKeyField(SandboxAccount, backref="portal_users", on_delete="CASCADE")
    name = CharField()
    email = CharField()
    role = CharField(default="admin")
    created_at = DateTimeField(default=now)

    class Meta:
        table_name = "sandbox_portal_user"


MODELS = [SandboxAccount, SandboxGroup, SandboxMember, SandboxPortalUser, SandboxPersonalField]
