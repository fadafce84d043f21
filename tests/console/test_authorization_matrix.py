"""Who may reach every URL of the app (DESIGN §8): one declarative table, checked for every role.

Two schools share one database: Quokka Academy ("school one") and Zebu College ("school two"), each
with one record of every kind a URL can name, and each with support access open (DESIGN §12). Every
rule of the app is requested by anonymous, a viewer and an admin of school one, an admin of school
two, and support three times: with both schools' support access open, expired and closed. Against the records of each
school, against school one's URL naming school two's records ("cross"), and against school one's URL
and records with school two's ids in the form or query ("foreign"). The expected answer follows from
`MATRIX`:

- anonymous → 302 to the sign-in page (the JSON API answers 401 instead);
- a role the endpoint does not allow → 403, before anything is looked up;
- a record of an organisation the user may not see (for support: one whose support access has expired
  or was closed), or an id of another school inside this school's URL → 404, so the console never
  confirms that it exists;
- otherwise an answer of the action (200, 201, 302, 303 or 422), never a 500 — and a 200 never names
  the other school's records.

Every redirect answering a POST is a 303 (See Other), so the page it leads to can be reloaded without
posting again; the only 302 after a POST is the sign-in redirect for nobody signed in (flask-login's).

A rule without an entry fails `test_every_url_rule_has_an_entry_in_the_matrix`: add it to `MATRIX`.
The roles in `MATRIX` are the permission policy's (store/policy.py): each endpoint's `@allowed` action
must let in exactly those roles, and no module outside the policy compares a role to a name.
Every state-changing request without a CSRF token is refused with 400.

The schools are built once per database; every request runs in a transaction that is rolled back,
so each one meets the same world whatever the requests before it changed.
"""
import datetime
import io
import json
import pathlib
import re
import shutil
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable, Optional
from urllib.parse import urlparse, urlunparse

import pytest

import store
from compliance import templates, tokens
from console.auth import SignedInUser
from console.nav import action_of
from sandbox.models import SandboxAccount, SandboxGroup, SandboxMember, SandboxPersonalField
from store import policy, sealed
from store.db import open_database
from store.models import (
    AuditEvent,
    CheckRecord,
    IntegrationRequest,
    CheckType,
    Notification,
    RatingSystem,
    RatingTemplate,
    RunProblem,
    Student,
    SupportGrant,
    SyncRun,
    Trust,
    now,
)
from sync import links, mapping, merge
from sync.linking import create_link
from tests import factories as f
from tests.conftest import POSTGRES_URL, TetherClient, _migrate

VIEWERS = frozenset({"viewer", "admin", "support"})
EDITORS = frozenset({"admin", "support"})
ADMINS = frozenset({"admin"})
SUPPORT = frozenset({"support"})
PUBLIC = VIEWERS | {"anonymous"}

OK = frozenset({200, 201, 302, 303, 422})
TO_SIGN_IN = "redirect to /login"

# Endpoints that authenticate otherwise (the sandbox's client API stands in for Sign In App's, with its
# own key and secret) or serve files. The sandbox's pages are in the matrix: support only.
UNCHECKED_ENDPOINTS = {"static", "vendor"}
UNCHECKED_BLUEPRINTS = {"sandbox_api"}
# The JSON APIs authenticate with a token, not a session cookie: no CSRF token to send.
CSRF_EXEMPT_BLUEPRINTS = {"api", "sandbox_api"}

# Which record of a school fills each URL argument, unless an entry says otherwise.
RECORDS = {
    "org_id": "org",
    "profile_id": "profile",
    "check_id": "check",
    "exclusion_id": "exclusion",
    "merge_id": "merge",
    "notification_id": "notification",
    "system_id": "rating_system",
    "rule_id": "rule",
    "token_id": "token",
    "student_id": "student",
    "run_id": "sia_run",
    "user_id": "admin",
    "trust_id": "trust",
    "template_id": "template",
    "organisation_id": "org",  # the site-wide "Trusts and organisations" pages name a school by this
    "account_id": "sandbox_account",
    "group_id": "sandbox_group",
    "member_id": "sandbox_member",
    "personal_field_id": "sandbox_personal_field",
}

# URL arguments naming the organisation (or its trust) a page belongs to, rather than a record in it.
OWNER_ARGUMENTS = ("org_id", "trust_id")


@dataclass(frozen=True)
class Access:
    """Who may use one endpoint, and what a request to it carries.

    `get`/`post` are the roles allowed ("anonymous" for a public page); None means the endpoint does
    not answer that method. `form` and `query` build the request from a school's records. `scoped`
    says the endpoint belongs to an organisation although its URL has no org_id (it is in the query).
    `foreign` is the answer when school one's URL and records come with school two's ids in the form
    or query: the ids are checked too, so nothing of school two is shown or changed.
    `answers` are what an allowed request may get, when not the usual OK.
    """

    get: Optional[frozenset] = None
    post: Optional[frozenset] = None
    form: Optional[Callable] = None
    query: Optional[Callable] = None
    records: dict = field(default_factory=dict)
    scoped: bool = False
    foreign: Optional[int] = None
    token_only: bool = False
    site_wide: bool = False  # names a trust or school in its URL but is a site page (support's, no grant needed)
    answers: frozenset = frozenset(OK)

    def roles(self, method):
        return {"GET": self.get, "POST": self.post}.get(method)

    @property
    def methods(self):
        return {m for m in ("GET", "POST") if self.roles(m) is not None}


def _versioned(s, **extra):
    return {"version": s.profile.version, **extra}


def _profile_form(s):
    return {"forename": f"{s.marker.capitalize()}new", "surname": "Person", "profile_type": s.teaching.id,
            "leaving_date": "2024-08-31"}


def _sims_export(s):
    student = {"person_id": "9001", "admission_number": "009001", "forename": "Pat", "surname": "Upload",
               "emails": [{"type": "H", "address": f"pat@{s.marker}.test", "main": True, "primary": True}]}
    return {"export": (io.BytesIO(json.dumps({"students": [student]}).encode()), "students.json")}


MATRIX = {
    "overview.index": Access(get=VIEWERS),
    "overview.organisation": Access(get=VIEWERS),
    "overview.pause": Access(post=EDITORS),
    "overview.resume": Access(post=EDITORS),
    "operations.index": Access(get=SUPPORT, query=lambda s: {"show": "all"}),
    "auth.login": Access(get=PUBLIC, post=PUBLIC, form=lambda s: {"email": s.admin.email, "password": f.PASSWORD}),
    "auth.logout": Access(post=VIEWERS, answers=frozenset({TO_SIGN_IN})),
    "api.ping": Access(get=PUBLIC),
    "api.safety_check": Access(post=frozenset(), token_only=True),
    "audit.index": Access(get=VIEWERS, query=lambda s: {"organisation": s.org.id}, scoped=True),
    "audit.organisation": Access(get=VIEWERS),
    "compliance.summary": Access(get=VIEWERS),
    "compliance.add_check": Access(
        get=EDITORS, post=EDITORS, form=lambda s: {"check_type": s.check_type.id, "completed_on": "2024-09-01"},
        foreign=422,
    ),
    "compliance.edit_check": Access(
        get=EDITORS, post=EDITORS, form=lambda s: {"check_type": s.check_type.id, "completed_on": "2024-10-01"},
        foreign=422,
    ),
    "compliance.rating_systems": Access(get=EDITORS, post=EDITORS, form=lambda s: {"name": "School Ready"}),
    "compliance.rating_system": Access(
        get=EDITORS, post=EDITORS, form=lambda s: {"name": s.rating_system.name, "enabled": "on"}
    ),
    "compliance.trust_rating_systems": Access(get=EDITORS, post=EDITORS, form=lambda s: {"name": "Trust Ready"}),
    "compliance.trust_rating_system": Access(
        get=EDITORS, post=EDITORS, form=lambda s: {"name": s.template.name, "enabled": "on"}
    ),
    "compliance.delete_trust_rating_system": Access(post=EDITORS),
    "compliance.token_list": Access(get=EDITORS),
    "compliance.create_token": Access(post=EDITORS, form=lambda s: {"name": "front desk"}),
    "compliance.revoke_token": Access(post=EDITORS),
    "getting_started.index": Access(get=VIEWERS),
    "getting_started.request_integration": Access(post=ADMINS, form=lambda s: {"note": "Please set us up."}),
    "getting_started.record_confirmation": Access(
        post=SUPPORT, form=lambda s: {"primary_user": "Dawn Whitfield", "confirmed_on": now().date().isoformat()}
    ),
    "support_access.index": Access(get=VIEWERS),
    "support_access.open_access": Access(post=ADMINS, form=lambda s: {"days": "14"}),
    "support_access.close_access": Access(post=EDITORS),
    "diagnostics.index": Access(get=VIEWERS, query=lambda s: {"q": s.marker}, foreign=200),
    "duplicates.index": Access(get=VIEWERS),
    "duplicates.bulk_merge": Access(
        post=EDITORS, form=lambda s: {"pair": f"{s.twin.id}:{s.profile.id}"}, foreign=404
    ),
    "exclusions.index": Access(get=VIEWERS),
    "exclusions.restore": Access(post=SUPPORT),
    "fields.index": Access(get=VIEWERS),
    "fields.add": Access(
        post=EDITORS, form=lambda s: {"direction": "to_scr", "sia_field": "role", "scr_field": "role", "apply": "always"}
    ),
    "fields.remove": Access(post=EDITORS, form=lambda s: {"direction": "to_scr", "target": "email"}),
    "mapping.index": Access(get=VIEWERS),
    "mapping.edit": Access(
        get=EDITORS, post=EDITORS,
        form=lambda s: {"profile_type": s.teaching.id, "expression": "group == Staff", "version": s.rule.version},
        foreign=409,  # another school's profile type: refused with its reason
    ),
    "mapping.delete": Access(post=EDITORS),
    "mapping.toggle": Access(post=EDITORS, form=lambda s: {"enabled": "0", "version": s.rule.version}),
    "mapping.move": Access(post=EDITORS, form=lambda s: {"direction": "up"}),
    "mapping.apply_type_changes": Access(post=EDITORS),
    "mapping.explain": Access(get=VIEWERS, query=lambda s: {"q": s.marker, "member": s.member.id}, foreign=404),
    "mapping.preview": Access(
        post=EDITORS,
        form=lambda s: {"profile_type": s.teaching.id, "expression": "group == Staff", "rule_id": s.rule.id},
        foreign=404,
    ),
    "mapping.validate": Access(post=EDITORS, form=lambda s: {"expression": "group == Staff"}),
    "notifications.index": Access(get=VIEWERS),
    "notifications.mark_read": Access(post=VIEWERS),
    "notifications.mark_all_read": Access(post=VIEWERS),
    "profiles.index": Access(get=VIEWERS, query=lambda s: {"q": s.marker}, foreign=200),
    "profiles.show": Access(get=VIEWERS),
    "profiles.decouple": Access(post=EDITORS, form=lambda s: _versioned(s, reason="left the school")),
    "profiles.delete": Access(post=EDITORS, form=lambda s: _versioned(s, reason="entered twice")),
    "profiles.restore": Access(post=SUPPORT, form=_versioned),
    "profiles.relink": Access(post=SUPPORT, form=lambda s: _versioned(s, member=s.spare_member.id), foreign=303),
    "profiles.merge_with": Access(
        get=EDITORS, post=EDITORS, query=lambda s: {"removed": s.twin.id},
        form=lambda s: _versioned(s, removed=s.twin.id, removed_version=s.twin.version),
        foreign=404,
    ),
    "profiles.undo_merge": Access(post=EDITORS),
    # Creating and editing a profile; another school's profile type is refused with its reason.
    "profiles.new": Access(get=EDITORS, post=EDITORS, form=lambda s: _profile_form(s), foreign=422),
    "profiles.edit": Access(get=EDITORS, post=EDITORS, form=lambda s: _versioned(s, **_profile_form(s)), foreign=422),
    "settings.index": Access(get=EDITORS, post=EDITORS, form=lambda s: {"username_policy": "email", "disable_threshold": "10"}),
    "runs.index": Access(get=VIEWERS),
    "runs.show": Access(get=VIEWERS),
    "runs.progress": Access(get=VIEWERS),
    "runs.problems_csv": Access(get=VIEWERS),
    "runs.start_import": Access(post=EDITORS),
    "students.index": Access(get=VIEWERS, query=lambda s: {"q": s.marker}, foreign=200),
    "students.student": Access(get=VIEWERS),
    "students.upload": Access(get=EDITORS, post=EDITORS, form=_sims_export),
    "students.import_upload": Access(post=EDITORS, form=lambda s: {"upload": "0" * 64}),
    "students.runs": Access(get=VIEWERS),
    "students.run": Access(get=VIEWERS, records={"run_id": "sims_run"}),
    "students.problems_csv": Access(get=VIEWERS, records={"run_id": "sims_run"}),
    "students.confirm": Access(post=EDITORS, records={"run_id": "sims_run"}),
    "upload.index": Access(
        get=VIEWERS, query=lambda s: {"group": s.group.sia_id, "type": "Teaching Staff"}, foreign=200
    ),
    "upload.push_all": Access(
        post=EDITORS, form=lambda s: {"group": s.group.sia_id, "type": "Teaching Staff"}, foreign=303
    ),
    "upload.preview": Access(
        post=EDITORS, form=lambda s: {"group": s.group.sia_id, "type": "Teaching Staff"}, foreign=303
    ),
    "upload.link": Access(
        post=EDITORS, form=lambda s: {"profile": s.twin.id, "member": s.spare_member.sia_id, "run": s.sia_run.id},
        foreign=404,
    ),
    "users.index": Access(get=SUPPORT),
    "users.new": Access(
        get=SUPPORT, post=SUPPORT,
        form=lambda s: {"email": f"new@{s.marker}.test", "role": "viewer", "organisations": s.org.id},
    ),
    "users.edit": Access(
        get=SUPPORT, post=SUPPORT, form=lambda s: {"role": "admin", "organisations": s.org.id, "active": "on"}
    ),
    "users.reset": Access(post=SUPPORT),
    # Trusts and organisations: site-wide, support only.
    "trusts.index": Access(site_wide=True, get=SUPPORT, post=SUPPORT, form=lambda s: {"name": f"{s.marker} second trust"}),
    "trusts.show": Access(site_wide=True, get=SUPPORT, post=SUPPORT, form=lambda s: {"name": f"{s.marker} renamed trust"}),
    "trusts.add_organisation": Access(site_wide=True, post=SUPPORT, form=lambda s: {"name": f"{s.marker} new school", "urn": ""}),
    "trusts.edit_organisation": Access(site_wide=True, get=SUPPORT, post=SUPPORT, form=lambda s: {"name": s.org.name, "urn": ""}),
    # Settings → Sign In App → Connection. Creating is refused (422) here: each school has its connection.
    "connection.show": Access(get=EDITORS),
    "connection.create": Access(post=SUPPORT, form=lambda s: {"kind": "sandbox", "api_key": "key", "secret": "secret"}),
    "connection.update": Access(post=SUPPORT, form=lambda s: {"kind": "sandbox", "api_key": s.conn.api_key}),
    "connection.save_wonde": Access(post=EDITORS, form=lambda s: {"wonde": "on"}),
    "connection.test": Access(post=EDITORS),
    # Linked groups (issue 17): support ticks the school's groups; another school's group is refused (422).
    "connection.save_groups": Access(
        post=SUPPORT, form=lambda s: {"group": s.group.sia_id, "shown": s.group.sia_id}, foreign=422
    ),
    # The Sign In App sandbox's pages: another system, and a closed one.
    "sandbox_ui.index": Access(get=SUPPORT),
    "sandbox_ui.new_account": Access(get=SUPPORT),
    "sandbox_ui.create_account": Access(post=SUPPORT, form=lambda s: {"name": "Matrix Trust"}),
    "sandbox_ui.group": Access(get=SUPPORT),
    "sandbox_ui.save_group": Access(
        post=SUPPORT, form=lambda s: {"type": "returning", "organisation_id": "", "rating_check": "all", "safety_check": "reject"}
    ),
    "sandbox_ui.save_central_record": Access(post=SUPPORT, form=lambda s: {"url": "", "token": ""}),
    "sandbox_ui.save_safety_check": Access(post=SUPPORT, form=lambda s: {"central_record_safety_check": "on"}),
    "sandbox_ui.sign_in": Access(post=SUPPORT),
    "sandbox_ui.add_member": Access(post=SUPPORT, form=lambda s: {"name": "Matrix Member", "email": "m@matrix.test"}),
    "sandbox_ui.add_personal_field": Access(post=SUPPORT, form=lambda s: {"label": "Year group", "type": "text"}),
    "sandbox_ui.rename_personal_field": Access(post=SUPPORT, form=lambda s: {"label": "Faculty"}),
    "sandbox_ui.member_mis": Access(get=SUPPORT),
    "sandbox_ui.save_member_mis": Access(
        post=SUPPORT, form=lambda s: {"date_of_birth": "1980-02-03", "start_date": "2015-09-01", "leaving_date": ""}
    ),
}


# --- the world: two schools with one record of every kind --------------------------------------


def _school(marker):
    """A school whose every name carries `marker`, with a record for every URL argument."""
    title = marker.capitalize()
    trust = Trust.create(name=f"{title} Trust")
    org = f.organisation(f"{title} Academy", trust=trust)
    conn = f.connection(org)
    group = f.group(conn, org, "Staff")
    s = SimpleNamespace(marker=marker, trust=trust, org=org, conn=conn, group=group, teaching=f.profile_type(org))
    s.template = RatingTemplate.create(trust=trust, name=f"{title} Trust Ready")
    templates.inherit(org)
    s.member = f.member(group, f"{title} Linked", email=f"linked@{marker}.test")
    s.spare_member = f.member(group, f"{title} Spare", email=f"spare@{marker}.test")
    s.profile = f.profile(org, f"{title}ann", f"{title}son", email=f"ann@{marker}.test", source="sia")
    create_link(s.profile, s.member, "test")
    s.twin = f.profile(org, f"{title}ann", f"{title}son", email=f"ann@{marker}.test")
    kept = f.profile(org, f"{title}kept", f"{title}ford")
    s.merge = merge.merge(kept, f.profile(org, f"{title}kept", f"{title}ford"), "test")
    leaver = f.profile(org, f"{title}gone", f"{title}ley", source="sia")
    create_link(leaver, f.member(group, f"{title} Gone"), "test")
    s.exclusion = links.delete_profile(leaver, "test", "entered twice")
    s.rule = mapping.create_rule(org, s.teaching.id, "group == Staff", "test")
    s.check_type = CheckType.create(organisation=org, code="enhanced_dbs", name=f"{title} DBS")
    s.check = CheckRecord.create(profile=s.profile, check_type=s.check_type, completed_on=datetime.date(2024, 9, 1))
    s.rating_system = RatingSystem.create(organisation=org, name=f"{title} Ready")
    s.token, _ = tokens.create(conn, actor="test", name=f"{title} desk")
    s.student = Student.create(
        organisation=org, person_id="1", username=f"pupil@{marker}.test", forename=f"{title}pupil", surname=f"{title}s"
    )
    s.sia_run = SyncRun.create(organisation=org, kind="sia_import", status="failed", error=f"{title} import failed")
    RunProblem.create(run=s.sia_run, external_id="7", name=f"{title} Held", code="held", message="held")
    s.sims_run = SyncRun.create(organisation=org, kind="sims_students", status="succeeded")
    RunProblem.create(run=s.sims_run, external_id="8", name=f"{title} Pupil", code="missing_email", message="no email")
    s.notification = Notification.create(
        organisation=org, kind="safety_reject", subject=f"{title} Linked", message="Rejected at sign-in"
    )
    AuditEvent.record("profile.update", actor=f"clerk@{marker}.test", organisation=org, subject=f"{title} audit")
    s.admin = f.user(f"admin@{marker}.test", "admin", [org])
    IntegrationRequest.create(organisation=org, requested_by=s.admin.email)
    f.support_access(org, opened_by=s.admin.email)
    s.sandbox_account = SandboxAccount.create(name=f"{title} Trust", api_key=conn.api_key, api_secret="secret")
    s.sandbox_group = SandboxGroup.create(account=s.sandbox_account, name="Staff", type="returning", organisation_id=org.id)
    s.sandbox_member = SandboxMember.create(group=s.sandbox_group, personal_fields={"name": f"{title} Signer"})
    s.sandbox_personal_field = SandboxPersonalField.create(
        account=s.sandbox_account, key=f"{marker[:4]}Dept01", label="Department", type="text"
    )
    return s


def _world():
    one, two = _school("quokka"), _school("zebu")
    users = {
        "anonymous": None,
        "viewer": f.user("viewer@quokka.test", "viewer", [one.org]),
        "admin one": one.admin,
        "admin two": two.admin,
        "support": f.user("support@tether.test", "support"),
    }
    users["support (access expired)"] = users["support (access closed)"] = users["support"]
    return SimpleNamespace(one=one, two=two, users=users)


def _expire_support_access():
    SupportGrant.update(opened_at=now() - datetime.timedelta(days=15), until=now() - datetime.timedelta(days=1)).execute()


def _close_support_access():
    SupportGrant.update(closed_at=now() - datetime.timedelta(hours=1), closed_by="admin@quokka.test").execute()


# What each support client does to both schools' support access before its every request (and rolls back after).
SUPPORT_ACCESS = {"support (access expired)": _expire_support_access, "support (access closed)": _close_support_access}


def _fresh_database(backend, request, tmp_path_factory):
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("matrix") / "tether.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return open_database(str(path)), None
    admin = open_database(POSTGRES_URL)
    name = f"tether_matrix_{uuid.uuid4().hex[:10]}"
    with admin.connection_context():
        admin.execute_sql(f'CREATE DATABASE "{name}"')
    database = open_database(urlunparse(urlparse(POSTGRES_URL)._replace(path="/" + name)))
    _migrate(database)

    def drop():
        database.close()
        with admin.connection_context():
            admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return database, drop


class RolledBackClient(TetherClient):
    """A client whose every request runs in a transaction that is rolled back afterwards; `before` runs
    first inside that transaction (it sets the world's support access for this client)."""

    before = None

    def open(self, *args, **kwargs):
        with store.database.atomic() as transaction:
            try:
                if self.before:
                    self.before()
                return super().open(*args, **kwargs)
            finally:
                transaction.rollback()


@pytest.fixture(scope="module")
def world(backend, request, tmp_path_factory):
    """Both schools in a database of their own, and the app over it; every request is rolled back."""
    database, drop = _fresh_database(backend, request, tmp_path_factory)
    store.database.initialize(database)
    sealed.use_key("test-secret")  # the connections' secrets are sealed as the app below would seal them
    with database.connection_context():
        built = _world()
    from app import create_app

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TETHER_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
        # "Run now" and "Push all" carry on in a thread: here the run is started and left at that.
        patch.setattr("sync.runs.in_background", lambda app, started, work: None)
        # The connection stays open across requests (in-process Sign In App calls included): a request
        # ends by rolling its transaction back, not by closing the connection.
        patch.setattr(database, "close", lambda: False)
        app = create_app(
            {
                "TESTING": True,
                "DATABASE": database,
                "DATABASE_URL": "bound-by-test",
                "AUTO_MIGRATE": False,
                "SECRET_KEY": "test-secret",
                "TETHER_SCHEDULER": False,
            }
        )
        app.test_client_class = RolledBackClient
        built.app, built.database, built.clients = app, database, {}
        yield built
    database.close()
    if drop:
        drop()


@pytest.fixture(autouse=True)
def _bound(world):
    """Other test modules rebind the models between ours: point them back at this world's database."""
    store.database.initialize(world.database)


def _client(world, role):
    """The role's client, signed in (again, after a logout) and holding a CSRF token of its session."""
    client = world.clients.get(role)
    if client is None:
        client = world.clients[role] = world.app.test_client()
        client.before = SUPPORT_ACCESS.get(role)
    user = world.users[role]
    with client.session_transaction() as session:
        if user is None:
            session.pop("_user_id", None)
        else:
            session["_user_id"], session["_fresh"] = SignedInUser.get_by_id(user.id).get_id(), True
    if not hasattr(client, "token"):
        client.token = client.csrf_token()
    return client


# --- expectations ---------------------------------------------------------------------------------


def _rules(world, endpoint):
    return [r for r in world.app.url_map.iter_rules() if r.endpoint == endpoint]


def _checked_endpoints(app):
    return {
        r.endpoint for r in app.url_map.iter_rules()
        if r.endpoint not in UNCHECKED_ENDPOINTS and r.endpoint.partition(".")[0] not in UNCHECKED_BLUEPRINTS
    }


def _home(world, role):
    return {"viewer": world.one, "admin one": world.one, "admin two": world.two}.get(role)


def _sees(world, role, school):
    """Whether `role` sees `school`: its own, for an admin or viewer; for support, while access is open."""
    return role == "support" or _home(world, role) is school


def _record_arguments(rule):
    return [a for a in rule.arguments if a not in OWNER_ARGUMENTS]


def _is_scoped(access, rule):
    if access.site_wide:
        return False
    return access.scoped or any(a in rule.arguments for a in OWNER_ARGUMENTS)


def _target(world, access, rule, target):
    """(URL values, the school whose ids fill the form and query, the school the URL belongs to)."""
    school = world.two if target in ("two", "cross", "foreign") else world.one
    owner = world.one if target in ("cross", "foreign") else school
    values = {}
    for argument in rule.arguments:
        record = access.records.get(argument) or RECORDS.get(argument)
        assert record, f"{rule.rule}: say in RECORDS which record fills <{argument}>"
        values[argument] = getattr(owner if argument in OWNER_ARGUMENTS or target == "foreign" else school, record).id
    return values, school, owner


def _targets(access, method, rule):
    if not _is_scoped(access, rule):
        return ["one", "two"] if rule.arguments else ["one"]
    targets = ["one", "two"] + (["cross"] if _record_arguments(rule) else [])
    if access.foreign is not None and (access.query if method == "GET" else access.form) is not None:
        targets.append("foreign")
    return targets


def _expected(world, access, method, role, rule, target):
    if access.token_only:
        return 401
    allowed = access.roles(method)
    if role == "anonymous" and "anonymous" not in allowed:
        return TO_SIGN_IN
    kind = role.split()[0]
    if role != "anonymous" and kind not in allowed:
        return 403
    if _is_scoped(access, rule):
        _, school, owner = _target(world, access, rule, target)
        if not _sees(world, role, owner):
            return 404
        if target == "cross":
            return 404
        if target == "foreign":
            return access.foreign
    return access.answers


def _answer(response):
    if response.status_code in (302, 303) and urlparse(response.headers["Location"]).path == "/login":
        return TO_SIGN_IN
    return response.status_code


def _request(world, access, method, role, rule, target):
    values, school, _ = _target(world, access, rule, target)
    client = _client(world, role)
    path = rule.build(values, append_unknown=False)[1]
    query = access.query(school) if access.query else {}
    if method == "GET":
        return client.get(path, query_string=query)
    data = {**(access.form(school) if access.form else {}), "csrf_token": client.token}
    return client.open(path, method=method, query_string=query, data=data)


def _redirects_a_post_without_303(method, role, response):
    """A POST answered by a redirect other than 303, besides flask-login's 302 for nobody signed in."""
    if method != "POST" or response.status_code not in (301, 302, 307, 308):
        return False
    return role != "anonymous" or _answer(response) != TO_SIGN_IN


def _names_the_other_school(world, role, response):
    """Whether a page shown to a school's user names the other school (beyond the search it echoes)."""
    home = _home(world, role)
    if home is None:
        return False
    other = world.two if home is world.one else world.one
    body = response.get_data(as_text=True).lower()
    for value in response.request.args.values():
        body = body.replace(value.lower(), "")
    return other.marker in body


# --- tests -------------------------------------------------------------------------------------------


def test_every_url_rule_has_an_entry_in_the_matrix(world):
    missing = sorted(_checked_endpoints(world.app) - set(MATRIX))
    assert not missing, f"add these endpoints to MATRIX in {__name__} (who may GET / POST them): {missing}"
    stale = sorted(set(MATRIX) - _checked_endpoints(world.app))
    assert not stale, f"these MATRIX entries name no endpoint any more: {stale}"
    for endpoint, access in MATRIX.items():
        methods = set().union(*(r.methods for r in _rules(world, endpoint))) - {"HEAD", "OPTIONS"}
        assert methods == access.methods, f"{endpoint} answers {sorted(methods)}: say in MATRIX who may use each"


@pytest.mark.parametrize(
    "endpoint, method", [(e, m) for e, access in MATRIX.items() for m in sorted(access.methods)]
)
def test_each_role_gets_the_expected_answer_and_no_other_schools_names(world, endpoint, method):
    access = MATRIX[endpoint]
    wrong = []
    for rule in _rules(world, endpoint):
        if method not in rule.methods:
            continue
        for target in _targets(access, method, rule):
            for role in world.users:
                expected = _expected(world, access, method, role, rule, target)
                response = _request(world, access, method, role, rule, target)
                answer = _answer(response)
                if answer not in (expected if isinstance(expected, frozenset) else {expected}):
                    wrong.append(f"{method} {rule.rule} as {role} on {target}: {answer}, expected {expected}")
                elif _redirects_a_post_without_303(method, role, response):
                    wrong.append(f"{method} {rule.rule} as {role} on {target}: {response.status_code}, redirect with 303")
                elif answer == 200 and _names_the_other_school(world, role, response):
                    wrong.append(f"{method} {rule.rule} as {role} on {target}: the page names the other school")
    assert not wrong, "\n".join(wrong)


def test_every_state_changing_request_without_a_csrf_token_is_refused(world):
    unprotected = []
    for rule in world.app.url_map.iter_rules():
        if rule.endpoint.partition(".")[0] in CSRF_EXEMPT_BLUEPRINTS:
            continue
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            access = MATRIX.get(rule.endpoint, Access())
            values = {argument: 1 for argument in rule.arguments}
            if rule.endpoint in MATRIX:
                values, _, _ = _target(world, access, rule, "one")
            client = _client(world, "support")
            response = client.open(rule.build(values, append_unknown=False)[1], method=method, data={})
            if response.status_code != 400 or "security token" not in response.get_data(as_text=True):
                unprotected.append(f"{method} {rule.rule}: {response.status_code}")
    assert not unprotected, "state changes accepted without a CSRF token:\n" + "\n".join(unprotected)


def test_the_safety_check_api_never_lets_a_signed_in_user_in(world):
    client = _client(world, "support")
    response = client.post(
        "/api/v1/safety-check", json={"member_id": world.one.member.sia_id, "group_id": world.one.group.sia_id}, csrf=False
    )
    assert response.status_code == 401 and response.is_json


def test_each_endpoint_lets_in_the_roles_its_policy_action_names(world):
    wrong = []
    with world.app.app_context():
        for endpoint, access in MATRIX.items():
            for method in sorted(access.methods):
                expected = access.roles(method)
                if access.token_only or "anonymous" in expected:
                    continue
                action = action_of(endpoint)
                if set(policy.roles_for(action)) != expected:
                    wrong.append(f"{method} {endpoint}: @allowed({action!r}) lets in {list(policy.roles_for(action))}, "
                                 f"the matrix expects {sorted(expected)}")
    assert not wrong, "\n".join(wrong)


ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLE_NAMES = r"['\"](?:support|admin|viewer)['\"]"
# A role compared with a name or a list of names, or a tuple of role names (the old `EDITORS = ("admin",
# "support")`, `require_role("support")`, `nav.register(roles=…)`).
ROLE_COMPARISONS = re.compile(
    rf"\brole\s*(?:==|!=)\s*{ROLE_NAMES}|{ROLE_NAMES}\s*(?:==|!=)\s*[\w.]*\brole\b"
    rf"|\brole\s+(?:not\s+)?in\s*(?:[(\[{{]\s*{ROLE_NAMES}|[A-Z_]{{3,}}\b)"
    rf"|\(\s*{ROLE_NAMES}\s*,"
)
# The roles there are, and the users table's CHECK constraint on them: lists that decide nothing.
ROLE_LISTS = ("ROLES = (", "Check(")


def test_no_module_outside_the_policy_compares_a_role_to_a_name():
    sources = [p for folder in ("console", "sync", "compliance", "jobs", "store", "connectors")
               for p in (ROOT / folder).rglob("*.py")] + [ROOT / "app.py"] + list((ROOT / "console").rglob("*.html"))
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources if path != ROOT / "store" / "policy.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if ROLE_COMPARISONS.search(line) and not any(allowed in line for allowed in ROLE_LISTS)
    ]
    assert not found, "ask store.policy (may, roles_for, reaches_through_support_access) instead:\n" + "\n".join(found)
