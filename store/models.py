"""Tether's domain model (DESIGN §2): the only module that knows the tables.

Queries that mean something to the domain live here as model methods, named for what they mean
(`Profile.active()`, `Link.active_for_profile(p)`), so services above never write raw SQL.
"""
import datetime
import secrets

from peewee import (
    OP,
    Expression,
    BooleanField,
    Check,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
    fn,
)
from werkzeug.security import check_password_hash, generate_password_hash

from . import sealed
from .db import BaseModel, JSONField, database
from .search import containing


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


ORGANISATION_DEFAULTS = {
    "username_policy": "email",  # or "admission_number", or "ad_username" (an Active Directory username column)
    "disable_threshold": 10,  # per cent of enabled students a SIMS run may disable unconfirmed
    "auto_link_exact_email": False,
    "safety_check_enabled": True,
    "sims_captions": {},  # Tether field name → the caption a school's CommandReporter report uses
    "sims_drop_folder": "",  # an absolute path; empty: TETHER_SIMS_DROP/<organisation id>
}

DEFAULT_PROFILE_TYPES = (
    "Teaching Staff",
    "Support Staff",
    "Governors",
    "Agency Staff",
    "Contractors",
    "Volunteers",
)


class Trust(BaseModel):
    name = CharField()


class Organisation(BaseModel):
    # The integration's life (DESIGN §12): `setting_up` until a person starts the first import or push,
    # then `active`; an admin may pause the schedule and resume it. Only `active` ones import on schedule.
    STATES = ("setting_up", "active", "paused")

    name = CharField()
    trust = ForeignKeyField(Trust, null=True, backref="organisations", on_delete="SET NULL")
    urn = CharField(null=True)
    settings = JSONField(default=dict)
    created_at = DateTimeField(default=now)
    state = CharField(default="setting_up", constraints=[Check("state in ('setting_up', 'active', 'paused')")])
    # Who moved it to `state`, and when: the person whose first import or push made it active, who paused
    # or resumed it (migration 0014). None until its state first changes.
    state_changed_by = CharField(null=True)
    state_changed_at = DateTimeField(null=True)

    @classmethod
    def scheduled(cls):
        """The organisations whose Sign In App imports run on schedule."""
        return cls.select().where(cls.state == "active")

    def setting(self, key):
        return self.setting_in(self.settings, key)

    @staticmethod
    def setting_in(settings, key):
        """The value of setting `key` in an organisation's `settings` (its default when not set)."""
        return (settings or {}).get(key, ORGANISATION_DEFAULTS[key])


def new_session_token():
    return secrets.token_urlsafe(16)


class User(BaseModel):
    """A console user. The login glue (Flask-Login) is the console's: see console/auth.py."""

    ROLES = ("support", "admin", "viewer")

    email = CharField(unique=True)
    name = CharField(default="")
    password_hash = CharField()
    role = CharField(constraints=[Check("role in ('support', 'admin', 'viewer')")])
    active = BooleanField(default=True)
    created_at = DateTimeField(default=now)
    # Every signed-in session carries this token and ends when it changes: on signing out and on a new
    # password. Random rather than a counter, so a user id reused after the demo is seeded again
    # (SQLite reuses ids) never matches a session from before.
    session_token = CharField(default=new_session_token)

    @classmethod
    def by_email(cls, email):
        return cls.get_or_none(fn.LOWER(cls.email) == (email or "").strip().lower())

    def set_password(self, password):
        """A new password with its own salt; every session signed in before it ends. Call save() after."""
        self.password_hash = generate_password_hash(password)
        self.session_token = new_session_token()

    def has_password(self, password):
        return check_password_hash(self.password_hash, password)

    def end_sessions(self):
        """Sign the user out everywhere: every session cookie issued so far stops working."""
        self.session_token = new_session_token()
        User.update(session_token=self.session_token).where(User.id == self.id).execute()


class UserOrganisation(BaseModel):
    user = ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    organisation = ForeignKeyField(Organisation, backref="memberships", on_delete="CASCADE")

    class Meta:
        indexes = ((("user", "organisation"), True),)


class IntegrationRequest(BaseModel):
    """Getting started (set-up help): a school admin asks for the integration; support records the Sign In
    App primary user's confirmation. Only then may support create the connection (DESIGN §12)."""

    organisation = ForeignKeyField(Organisation, unique=True, backref="integration_requests", on_delete="CASCADE")
    requested_by = CharField()  # the admin's email
    requested_at = DateTimeField(default=now)
    note = TextField(default="")
    primary_user = CharField(null=True)  # who confirmed: the Sign In App portal's 'Primary User'
    confirmed_at = DateTimeField(null=True)  # when they confirmed
    confirmation_recorded_by = CharField(null=True)  # the support engineer who recorded it

    @property
    def confirmed(self):
        return self.confirmed_at is not None


class SupportGrant(BaseModel):
    """Support access (set-up help step 2): an organisation opened to support from `opened_at` until
    `until`, or until an admin closes it. Support sees an organisation only inside an open grant."""

    DEFAULT_DAYS = 14
    MAX_DAYS = 90

    organisation = ForeignKeyField(Organisation, backref="support_grants", on_delete="CASCADE")
    opened_by = CharField()  # the admin's email
    opened_at = DateTimeField(default=now)
    until = DateTimeField()
    closed_at = DateTimeField(null=True)
    closed_by = CharField(null=True)

    class Meta:
        indexes = ((("organisation", "until"), False),)

    @classmethod
    def open_now(cls, at=None):
        """The grants open at `at` (now by default)."""
        at = at or now()
        return cls.select().where((cls.opened_at <= at) & (cls.until > at) & cls.closed_at.is_null())

    @classmethod
    def open_for(cls, organisation, at=None):
        """The organisation's grant open now (the latest to end), or None."""
        return cls.open_now(at).where(cls.organisation == organisation).order_by(cls.until.desc()).first()

    def is_open(self, at=None):
        at = at or now()
        return self.closed_at is None and self.opened_at <= at < self.until


class ProfileType(BaseModel):
    organisation = ForeignKeyField(Organisation, backref="profile_types", on_delete="CASCADE")
    name = CharField()
    position = IntegerField(default=0)

    class Meta:
        indexes = ((("organisation", "name"), True),)


class Profile(BaseModel):
    STATUSES = ("active", "deleted", "merged")
    SOURCES = ("manual", "sia", "mis")

    organisation = ForeignKeyField(Organisation, backref="profiles", on_delete="CASCADE")
    profile_type = ForeignKeyField(ProfileType, backref="profiles")
    forename = CharField()
    surname = CharField()
    email = CharField(null=True)
    mobile = CharField(null=True)
    role = CharField(null=True)
    dob = DateField(null=True)
    start_date = DateField(null=True)
    leaving_date = DateField(null=True)
    status = CharField(default="active", constraints=[Check("status in ('active', 'deleted', 'merged')")])
    deleted_at = DateTimeField(null=True)
    merged_into = ForeignKeyField("self", null=True, backref="merged_profiles", on_delete="SET NULL")
    source = CharField(default="manual", constraints=[Check("source in ('manual', 'sia', 'mis')")])
    version = IntegerField(default=1)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    class Meta:
        indexes = (
            (("organisation", "status"), False),
            (("organisation", "surname", "forename"), False),
            (("email",), False),
        )

    @property
    def name(self):
        return Profile.name_of(self.forename, self.surname)

    @staticmethod
    def name_of(forename, surname):
        return f"{forename} {surname}".strip()

    @property
    def label(self):
        """The profile as messages name it, told apart from another of the same name by id and email:
        "Sam Lee (#12, s.lee@hill.test)"."""
        email = (self.email or "").strip()
        return f"{self.name or 'Unnamed profile'} (#{self.id}{f', {email}' if email else ''})"

    def is_leaver(self, on=None):
        return self.left_by(self.leaving_date, on or datetime.date.today())

    @staticmethod
    def left_by(leaving_date, on):
        """Whether a profile leaving on `leaving_date` (None: not leaving) has left by `on`."""
        return leaving_date is not None and leaving_date <= on

    @classmethod
    def active(cls, organisation):
        return cls.select().where((cls.organisation == organisation) & (cls.status == "active"))


class CheckType(BaseModel):
    organisation = ForeignKeyField(Organisation, backref="check_types", on_delete="CASCADE")
    code = CharField()
    name = CharField()
    validity_months = IntegerField(null=True)

    class Meta:
        indexes = ((("organisation", "code"), True),)

    @classmethod
    def of_organisation(cls, organisation):
        return list(cls.select().where(cls.organisation == organisation).order_by(cls.name))


class CheckRecord(BaseModel):
    profile = ForeignKeyField(Profile, backref="checks", on_delete="CASCADE")
    check_type = ForeignKeyField(CheckType, backref="records", on_delete="CASCADE")
    completed_on = DateField(null=True)
    expires_on = DateField(null=True)
    evidence = TextField(default="")
    not_required = BooleanField(default=False)

    class Meta:
        indexes = ((("profile", "check_type"), False),)


class RatingTemplate(BaseModel):
    """A trust's rating system, inherited by every school of the trust (compliance/templates.py).

    Requirements name profile types and check types by name and code, since each school has its own;
    each school holds a copy (`RatingSystem.template`), rewritten with the template in one transaction,
    so the safety check and the compliance pages read inherited and own systems alike."""

    trust = ForeignKeyField(Trust, backref="rating_templates", on_delete="CASCADE")
    name = CharField()
    ready_colour = CharField(default="#1b7f3b")
    not_ready_colour = CharField(default="#b42318")
    enabled = BooleanField(default=True)
    position = IntegerField(default=0)

    class Meta:
        indexes = ((("trust", "name"), True),)


class RatingTemplateRequirement(BaseModel):
    template = ForeignKeyField(RatingTemplate, backref="requirements", on_delete="CASCADE")
    profile_type = CharField()  # a profile type's name
    check_code = CharField()  # a check type's code; a school without it gets it, named and valid as below
    check_name = CharField()
    validity_months = IntegerField(null=True)

    class Meta:
        indexes = ((("template", "profile_type", "check_code"), True),)


class RatingSystem(BaseModel):
    organisation = ForeignKeyField(Organisation, backref="rating_systems", on_delete="CASCADE")
    name = CharField()
    ready_colour = CharField(default="#1b7f3b")
    not_ready_colour = CharField(default="#b42318")
    enabled = BooleanField(default=True)
    position = IntegerField(default=0)
    # Set on a school's copy of its trust's template: read-only in the school, changed with the template.
    template = ForeignKeyField(RatingTemplate, null=True, backref="copies", on_delete="CASCADE")

    class Meta:
        indexes = ((("organisation", "name"), True),)

    @property
    def inherited(self):
        return self.template_id is not None


class RatingRequirement(BaseModel):
    rating_system = ForeignKeyField(RatingSystem, backref="requirements", on_delete="CASCADE")
    profile_type = ForeignKeyField(ProfileType, backref="requirements", on_delete="CASCADE")
    check_type = ForeignKeyField(CheckType, backref="requirements", on_delete="CASCADE")

    class Meta:
        indexes = ((("rating_system", "profile_type", "check_type"), True),)


class SiaConnection(BaseModel):
    """Credentials for one Sign In App account, held by a school or by its trust.

    `api_secret` holds the secret sealed (store/sealed.py), never the secret itself: set it with
    `set_secret`, read it with `secret`. `tested_at`/`test_ok`/`test_message` keep the last
    "Test connection"; `wonde` is the set-up help's "Use SIA Wonde Connection (if available)";
    `custom_fields` the account's custom field definitions, read with its groups (sync.custom_fields).
    """

    organisation = ForeignKeyField(Organisation, null=True, backref="sia_connections", on_delete="CASCADE")
    trust = ForeignKeyField(Trust, null=True, backref="sia_connections", on_delete="CASCADE")
    name = CharField(default="Sign In App")
    base_url = CharField()
    api_key = CharField()
    api_secret = CharField()
    kind = CharField(default="http", constraints=[Check("kind in ('http', 'sandbox')")])
    created_at = DateTimeField(default=now)
    wonde = BooleanField(default=False)
    tested_at = DateTimeField(null=True)
    test_ok = BooleanField(null=True)
    test_message = TextField(default="")
    # The account's custom personal field definitions as last read ([{key, label, type}], DESIGN §3 partner
    # part), kept with the groups; None when Sign In App has not said (no definitions endpoint, or not read).
    custom_fields = JSONField(null=True)

    class Meta:
        constraints = [Check("(organisation_id IS NULL) <> (trust_id IS NULL)")]

    @classmethod
    def new(cls, *, secret, **fields):
        """Create a connection, its `secret` sealed."""
        return cls.create(api_secret=sealed.seal(secret), **fields)

    def set_secret(self, secret):
        """Seal a new secret in; call save() after."""
        self.api_secret = sealed.seal(secret)

    @property
    def secret(self):
        """The API secret; `sealed.SecretUnreadable` (re-enter it) when SECRET_KEY has changed since."""
        return sealed.unseal(self.api_secret, what=f"The secret of Sign In App connection {self.id}")

    @classmethod
    def seal_plain_secrets(cls):
        """Seal every secret still kept plain (saved before secrets were sealed); returns how many."""
        plain = [c for c in cls.select(cls.id, cls.api_secret) if not sealed.is_sealed(c.api_secret)]
        for connection in plain:
            cls.update(api_secret=sealed.seal(connection.api_secret)).where(cls.id == connection.id).execute()
        return len(plain)

    @classmethod
    def for_organisation(cls, organisation):
        """The connection an organisation syncs through: its own, else its trust's."""
        own = cls.get_or_none(cls.organisation == organisation)
        if own is not None or organisation.trust_id is None:
            return own
        return cls.get_or_none(cls.trust == organisation.trust_id)


class SafetyCheckToken(BaseModel):
    """A bearer token Sign In App presents to the safety check, for one connection's groups and members.

    Only the sha256 of the secret is kept: the secret is shown once, when the token is created.
    """

    connection = ForeignKeyField(SiaConnection, backref="safety_check_tokens", on_delete="CASCADE")
    name = CharField(default="")
    token_hash = CharField(unique=True)
    prefix = CharField()  # the secret's first characters, so a person can tell tokens apart
    created_at = DateTimeField(default=now)
    created_by = CharField(default="")
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)
    revoked_by = CharField(null=True)

    @classmethod
    def of_connection(cls, connection):
        return cls.select().where(cls.connection == connection).order_by(cls.created_at.desc(), cls.id.desc())


class SiaGroup(BaseModel):
    TYPES = ("returning", "non-returning", "delivery")

    connection = ForeignKeyField(SiaConnection, backref="groups", on_delete="CASCADE")
    sia_id = IntegerField()
    name = CharField()
    type = CharField()
    # The organisation Tether keeps the group linked to (DESIGN §3, "Linked groups: kept by Tether"): set
    # by support on the connection page, or taken from Sign In App's integration settings while no person
    # has decided. `linked_by`/`linked_at`: who last linked or unlinked it, and when (None: nobody yet).
    # What Sign In App itself says is in `settings["integrations"]`.
    organisation = ForeignKeyField(Organisation, null=True, backref="sia_groups", on_delete="SET NULL")
    linked_by = CharField(null=True)
    linked_at = DateTimeField(null=True)
    settings = JSONField(default=dict)
    seen_at = DateTimeField(default=now)
    gone_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("connection", "sia_id"), True),)

    @property
    def decided(self):
        """Whether a person (or the upgrade that first kept the links) has linked or unlinked the group in
        Tether: Sign In App's integration settings then only confirm it."""
        return self.linked_at is not None

    @property
    def sia_organisation_id(self):
        """The organisation Sign In App's integration settings last linked the group to; None when they
        link it to none or were never given."""
        return ((self.settings or {}).get("integrations") or {}).get("organisation_id")

    @classmethod
    def synced_for(cls, organisation):
        """The groups a sync reads for `organisation`: returning, linked to it, still in SIA."""
        return cls.select().where(
            (cls.organisation == organisation) & (cls.type == "returning") & cls.gone_at.is_null()
        )


class SiaMember(BaseModel):
    """The shadow of a Sign In App member: the state Tether last saw."""

    connection = ForeignKeyField(SiaConnection, backref="members", on_delete="CASCADE")
    sia_id = IntegerField()
    group = ForeignKeyField(SiaGroup, backref="members", on_delete="CASCADE")
    personal_fields = JSONField(default=dict)
    archived = BooleanField(default=False)
    sia_updated_at = CharField(null=True)
    # The documented Returning Visitor Resource's other fields, as last read (docs/design.md §3.1).
    site_id = IntegerField(null=True)
    last_in = CharField(null=True)  # ISO-8601 text as Sign In App sent it
    last_out = CharField(null=True)
    photo_url = TextField(null=True)
    permissions = JSONField(default=dict)
    qr_codes = JSONField(default=list)
    # The member's MIS data through Sign In App's Wonde connection ({"date_of_birth", "start_date",
    # "leaving_date"}), None when its group has none (docs/design.md §3).
    mis = JSONField(null=True)
    digest = CharField(default="")
    seen_at = DateTimeField(default=now)
    gone_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("connection", "sia_id"), True), (("group",), False))

    @property
    def display_name(self):
        return SiaMember.display_name_of(self.sia_id, self.personal_fields)  # also borrowed by sync.mapping._Shadow

    @staticmethod
    def display_name_of(sia_id, personal_fields):
        return (personal_fields or {}).get("name") or f"member {sia_id}"

    @classmethod
    def mentioning(cls, text):
        """Shadows whose personal fields contain `text` (any case): a search by name, email or role."""
        return cls.select().where(Expression(cls.personal_fields, OP.ILIKE, containing(text)))


class Link(BaseModel):
    """A tie between a profile and an SIA member. At most one active link per side; history kept."""

    SEVER_REASONS = ("decoupled", "deleted", "leaver", "merged")

    profile = ForeignKeyField(Profile, backref="links", on_delete="CASCADE")
    sia_member = ForeignKeyField(SiaMember, backref="links", on_delete="CASCADE")
    organisation = ForeignKeyField(Organisation, backref="links", on_delete="CASCADE")
    linked_at = DateTimeField(default=now)
    linked_by = CharField(default="")
    severed_at = DateTimeField(null=True)
    sever_reason = CharField(null=True)
    # "<member digest>:<profile's mapped values fingerprint>:<field mapping fingerprint>" when an SIA
    # import last found or left both sides in agreement; while all three stay the same, so do they.
    reconciled = CharField(null=True)

    @classmethod
    def active(cls):
        return cls.select().where(cls.severed_at.is_null())

    @classmethod
    def active_for_profile(cls, profile):
        return cls.active().where(cls.profile == profile).first()

    @classmethod
    def active_for_member(cls, member):
        return cls.active().where(cls.sia_member == member).first()


# One active link per profile and per member, enforced by the database (partial unique indexes).
Link.add_index(Link.profile, unique=True, where=Link.severed_at.is_null(), name="link_one_active_per_profile")
Link.add_index(Link.sia_member, unique=True, where=Link.severed_at.is_null(), name="link_one_active_per_member")
Link.add_index(Link.organisation, Link.severed_at, name="link_organisation_severed_at")


class Exclusion(BaseModel):
    """An SIA member that is never imported again until support restores it."""

    organisation = ForeignKeyField(Organisation, backref="exclusions", on_delete="CASCADE")
    connection = ForeignKeyField(SiaConnection, backref="exclusions", on_delete="CASCADE")
    sia_member_id = IntegerField()
    display_name = CharField(default="")
    reason = TextField(default="")
    created_at = DateTimeField(default=now)
    created_by = CharField(default="")
    restored_at = DateTimeField(null=True)
    restored_by = CharField(null=True)

    @classmethod
    def active(cls, organisation):
        return cls.select().where((cls.organisation == organisation) & cls.restored_at.is_null())


Exclusion.add_index(
    Exclusion.organisation,
    Exclusion.connection,
    Exclusion.sia_member_id,
    unique=True,
    where=Exclusion.restored_at.is_null(),
    name="exclusion_one_active_per_member",
)


class MappingRule(BaseModel):
    organisation = ForeignKeyField(Organisation, backref="mapping_rules", on_delete="CASCADE")
    profile_type = ForeignKeyField(ProfileType, backref="mapping_rules", on_delete="CASCADE")
    expression = TextField()
    position = IntegerField(default=0)
    enabled = BooleanField(default=True)
    updated_at = DateTimeField(default=now)
    updated_by = CharField(default="")
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("organisation", "position"), False),)

    @classmethod
    def ordered(cls, organisation):
        return cls.select().where(cls.organisation == organisation).order_by(cls.position, cls.id)


class FieldMapping(BaseModel):
    organisation = ForeignKeyField(Organisation, backref="field_mappings", on_delete="CASCADE")
    source_field = CharField()
    target_field = CharField()
    direction = CharField(constraints=[Check("direction in ('to_scr', 'to_sia')")])
    apply = CharField(default="always", constraints=[Check("apply in ('always', 'on_create')")])

    class Meta:
        indexes = ((("organisation", "direction", "target_field"), True),)


class MergeRecord(BaseModel):
    organisation = ForeignKeyField(Organisation, backref="merges", on_delete="CASCADE")
    kept = ForeignKeyField(Profile, backref="merges_kept", on_delete="CASCADE")
    removed = ForeignKeyField(Profile, backref="merges_removed", on_delete="CASCADE")
    before = JSONField(default=dict)
    choices = JSONField(default=dict)
    at = DateTimeField(default=now)
    by = CharField(default="")
    undone_at = DateTimeField(null=True)
    undone_by = CharField(null=True)


class SyncRun(BaseModel):
    KINDS = ("sia_import", "sia_push", "sims_students", "sever_leavers", "purge_deleted")
    # needs_attention: the run did its work but left something a person must look at (run.attention says
    # what: a group held back because Sign In App answered it empty, profiles a push held back…).
    STATUSES = ("running", "succeeded", "failed", "halted", "abandoned", "needs_attention")
    DONE = ("succeeded", "needs_attention")  # the run did its work

    organisation = ForeignKeyField(Organisation, null=True, backref="runs", on_delete="CASCADE")
    kind = CharField()
    trigger = CharField(default="manual")  # manual, schedule, cli, console
    status = CharField(default="running")
    dry_run = BooleanField(default=False)
    started_at = DateTimeField(default=now)
    finished_at = DateTimeField(null=True)
    done = IntegerField(default=0)
    total = IntegerField(default=0)
    counts = JSONField(default=dict)
    details = JSONField(default=dict)
    error = TextField(null=True)
    actor = CharField(default="")

    class Meta:
        indexes = ((("organisation", "kind", "started_at"), False),)

    @property
    def attention(self):
        """What a person must look at, in words, when the run finished `needs_attention`; else []."""
        return list((self.details or {}).get("attention") or [])


class RunProblem(BaseModel):
    run = ForeignKeyField(SyncRun, backref="problems", on_delete="CASCADE")
    external_id = CharField(default="")
    name = CharField(default="")
    code = CharField()
    message = TextField()


class RunLease(BaseModel):
    """One run per (organisation, kind) at a time, across processes: the holder owns this row."""

    organisation_id = IntegerField(default=0)  # 0 for runs that span every organisation
    kind = CharField()
    holder = CharField()
    run = ForeignKeyField(SyncRun, null=True, on_delete="SET NULL")
    acquired_at = DateTimeField(default=now)
    expires_at = DateTimeField()

    class Meta:
        indexes = ((("organisation_id", "kind"), True),)


class JobSchedule(BaseModel):
    """When a scheduled job is next due for an organisation, and how its last runs went (DESIGN §13).

    Every app process sweeps these rows: it claims the oldest due one (PostgreSQL `FOR UPDATE SKIP
    LOCKED`, SQLite's one writer at a time), pushes `next_due` ahead so no other process takes it, runs
    the job under its lease and writes the outcome back (jobs/sweep.py). `last_run` is the run the
    schedule or `tether jobs run` last made; `failures_in_a_row` counts its failed runs since the last
    that succeeded."""

    organisation = ForeignKeyField(Organisation, backref="job_schedules", on_delete="CASCADE")
    job = CharField()
    next_due = DateTimeField()
    last_run = ForeignKeyField(SyncRun, null=True, on_delete="SET NULL")
    failures_in_a_row = IntegerField(default=0)

    class Meta:
        indexes = ((("organisation", "job"), True), (("next_due",), False))

    @classmethod
    def of(cls, organisation_id, job):
        return (cls.organisation == organisation_id) & (cls.job == job)

    @classmethod
    def record(cls, organisation_id, job, status, run_id, next_due):
        """Write how a run of `job` for the organisation went (the row is made when missing): the run,
        the failures in a row (a success ends them, a failure adds one; busy or halted leave them), and
        when the job is next due."""
        changes = {cls.next_due: next_due}
        if run_id is not None:
            changes[cls.last_run] = run_id
        if status == "succeeded":
            changes[cls.failures_in_a_row] = 0
        elif status == "failed":
            changes[cls.failures_in_a_row] = cls.failures_in_a_row + 1
        with database.atomic():
            cls.insert(organisation=organisation_id, job=job, next_due=next_due).on_conflict_ignore().execute()
            cls.update(changes).where(cls.of(organisation_id, job)).execute()


class SiaPage(BaseModel):
    """A page of a Sign In App group's members as the last successful import read it: its `ETag`, and the
    members on it with their digests, so the next import asks with `If-None-Match` and knows an
    unchanged page's members (304) without reading it again (DESIGN §3, sync/mirror.py). `path` is the
    page's URL below the connection's base URL, e.g. `/groups/12/members?page=2`."""

    connection = ForeignKeyField(SiaConnection, backref="pages", on_delete="CASCADE")
    group_sia_id = IntegerField()
    path = CharField()
    etag = CharField()
    members = JSONField(default=list)  # [[SIA member id, digest], …] in the page's order
    has_next = BooleanField(default=False)
    read_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("connection", "path"), True), (("connection", "group_sia_id"), False))


class Gender(BaseModel):
    organisation = ForeignKeyField(Organisation, backref="genders", on_delete="CASCADE")
    code = CharField()
    name = CharField()

    class Meta:
        indexes = ((("organisation", "code"), True),)


class Student(BaseModel):
    organisation = ForeignKeyField(Organisation, backref="students", on_delete="CASCADE")
    person_id = CharField()
    admission_number = CharField(null=True)
    username = CharField()
    forename = CharField()
    surname = CharField()
    dob = DateField(null=True)
    gender = ForeignKeyField(Gender, null=True, on_delete="SET NULL")
    fsm = BooleanField(null=True)
    address = TextField(null=True)
    postcode = CharField(null=True)
    home_phone = CharField(null=True)
    mobile = CharField(null=True)
    personal_email = CharField(null=True)
    work_email = CharField(null=True)
    email_preference = CharField(null=True)
    sen_information = TextField(null=True)
    enabled = BooleanField(default=True)
    disabled_at = DateTimeField(null=True)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    class Meta:
        indexes = (
            (("organisation", "person_id"), True),
            (("organisation", "username"), True),
            (("organisation", "enabled"), False),
            (("organisation", "surname", "forename"), False),
        )


class Notification(BaseModel):
    # No index on organisation alone: the two below serve its queries (migration 0005).
    organisation = ForeignKeyField(Organisation, backref="notifications", on_delete="CASCADE", index=False)
    kind = CharField()  # safety_reject, safety_warning, sync_failed, sync_needs_attention
    subject = CharField(default="")
    message = TextField()
    at = DateTimeField(default=now)
    read_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("organisation", "read_at"), False), (("organisation", "at"), False))


class StoreRevision(BaseModel):
    """The revision of a part of the store that processes keep a copy of in memory: a new random value
    at every change, written by database triggers (migration 0005). 'compliance': the rating systems,
    their requirements and the check types (see compliance.readiness.enabled_requirements)."""

    name = CharField(primary_key=True)
    revision = CharField()


class AuditEvent(BaseModel):
    """Append-only: every console, CLI and job action writes one."""

    at = DateTimeField(default=now, index=True)
    actor = CharField(default="")
    organisation = ForeignKeyField(Organisation, null=True, backref="audit_events", on_delete="SET NULL")
    action = CharField(index=True)
    subject = CharField(default="")
    before = JSONField(null=True)
    after = JSONField(null=True)
    reason = TextField(default="")
    # The support access grant a support user's action ran under (DESIGN §12); NULL for everyone else.
    grant = ForeignKeyField(SupportGrant, null=True, backref="audit_events", on_delete="SET NULL")

    class Meta:
        indexes = ((("organisation", "at"), False),)

    @classmethod
    def record(cls, action, *, actor, organisation=None, subject="", before=None, after=None, reason="", grant=None):
        if grant is None and organisation is not None:
            from .policy import grant_acted_under

            grant = grant_acted_under(actor, organisation)
        return cls.create(
            action=action,
            actor=getattr(actor, "email", actor) or "",
            organisation=organisation,
            subject=subject,
            before=before,
            after=after,
            reason=reason,
            grant=grant,
        )


MODELS = [
    Trust,
    Organisation,
    User,
    UserOrganisation,
    IntegrationRequest,
    SupportGrant,
    ProfileType,
    Profile,
    CheckType,
    CheckRecord,
    RatingTemplate,
    RatingTemplateRequirement,
    RatingSystem,
    RatingRequirement,
    SiaConnection,
    SafetyCheckToken,
    SiaGroup,
    SiaMember,
    Link,
    Exclusion,
    MappingRule,
    FieldMapping,
    MergeRecord,
    SyncRun,
    RunProblem,
    RunLease,
    JobSchedule,
    SiaPage,
    Gender,
    Student,
    Notification,
    StoreRevision,
    AuditEvent,
]

__all__ = [m.__name__ for m in MODELS] + ["MODELS", "now", "ORGANISATION_DEFAULTS", "DEFAULT_PROFILE_TYPES"]
