"""Builders for sync tests: a school with a Sign In App sandbox account, and whole-database snapshots."""
import time
from dataclasses import dataclass

import store
from sandbox.models import MODELS as SANDBOX_MODELS
from sandbox.models import SandboxMember
from store.models import (
    SiaConnection,
    MODELS,
    AuditEvent,
    MappingRule,
    Notification,
    RunLease,
    RunProblem,
    StoreRevision,
    SyncRun,
)
from tests import factories
from tests.sandbox import helpers as sandbox_helpers

# A run's own record: a crashed run and its rerun leave two of these where a clean run leaves one.
# The store's revisions are random values a database writes itself (store.models.StoreRevision).
BOOKKEEPING = {SyncRun, RunProblem, RunLease, AuditEvent, Notification, StoreRevision}


@dataclass
class School:
    org: object
    connection: object
    account: object
    staff: object  # the sandbox's Staff group, linked to the school

    def group(self, name, type="returning", linked=True):
        return sandbox_helpers.group(self.account, name=name, type=type, organisation_id=self.org.id if linked else None)

    def member(self, name, group=None, archived=False, **fields):
        first, _, last = name.partition(" ")
        fields.setdefault("email", f"{first.lower()}.{last.lower().replace(' ', '')}@school.test")
        return sandbox_helpers.member(group or self.staff, name=name, archived=archived, **fields)

    def rule(self, expression, type_name, position=0):
        return MappingRule.create(
            organisation=self.org, profile_type=factories.profile_type(self.org, type_name),
            expression=expression, position=position,
        )


def school(name="Oakfield Academy", **settings):
    """A school whose sandbox Sign In App account has a linked Staff group, mapped to Teaching Staff."""
    org = factories.organisation(name, settings=settings)
    account = sandbox_helpers.account(name=f"{name} SIA", key=f"key-{name.lower().replace(' ', '-')}")
    connection = factories.connection(org, api_key=account.api_key, api_secret=account.api_secret)
    staff = sandbox_helpers.group(account, name="Staff", organisation_id=org.id)
    built = School(org, connection, account, staff)
    built.rule("group == Staff", "Teaching Staff")
    return built


def archive(member):
    SandboxMember.update(archived=True).where(SandboxMember.id == member.id).execute()


def rename(member, name):
    fields = dict(member.personal_fields)
    fields["name"] = name
    SandboxMember.update(personal_fields=fields).where(SandboxMember.id == member.id).execute()


def remove(member):
    SandboxMember.delete().where(SandboxMember.id == member.id).execute()


def empty_group(group):
    SandboxMember.delete().where(SandboxMember.group == group).execute()


class Snapshot:
    """Every row of every table (but a run's bookkeeping), ids replaced by what the rows hold.

    Timestamps count only as set or not; a foreign key becomes the referenced row's own values, so two
    databases that reached the same state by different paths compare equal.
    """

    def __init__(self, include_sandbox=False):
        self.models = [m for m in MODELS if m not in BOOKKEEPING] + (list(SANDBOX_MODELS) if include_sandbox else [])
        self._rows = {model: {row["id"]: row for row in model.select().dicts()} for model in self.models}
        self._natural = {}
        self.tables = {model.__name__: sorted(self._row(model, row) for row in self._rows[model].values())
                       for model in self.models}

    def _natural_key(self, model, row_id):
        if row_id is None:
            return None
        key = (model, row_id)
        if key not in self._natural:
            row = self._rows.get(model, {}).get(row_id)
            self._natural[key] = repr(self._row(model, row)) if row is not None else f"<missing {model.__name__}>"
        return self._natural[key]

    def _row(self, model, row):
        values = []
        for name, value in sorted(row.items()):
            if name == "id":
                continue
            field = model._meta.columns.get(name) or model._meta.fields.get(name)
            if field is not None and hasattr(field, "rel_model"):
                value = self._natural_key(field.rel_model, value) if field.rel_model is not model else value is not None
            if (name.endswith("_at") or name == "etag") and value is not None:
                # A moment, like Sign In App's updated_at, or an ETag (a hash that includes it): only
                # whether it is set counts.
                value = "<set>"
            if name == "api_secret" and model is SiaConnection:
                value = model.get_by_id(row["id"]).secret  # sealed anew each time: the secret itself counts
            values.append((name, repr(value)))
        return tuple(values)


def reset(database):
    """Empty every table and restart the ids, as a fresh database."""
    tables = [t for t in database.get_tables() if t not in {"schema_migration", "sandbox_migration"}]
    if store.is_postgres():
        database.execute_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        return
    database.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        for table in tables:
            database.execute_sql(f'DELETE FROM "{table}"')
        if "sqlite_sequence" in {row[0] for row in database.execute_sql("SELECT name FROM sqlite_master").fetchall()}:
            database.execute_sql("DELETE FROM sqlite_sequence")
    finally:
        database.execute_sql("PRAGMA foreign_keys = ON")




def differences(actual, expected):
    """The rows only one of two Snapshot tables has, per table, for a readable failure."""
    found = {}
    for table in expected:
        only_actual = set(actual[table]) - set(expected[table])
        only_expected = set(expected[table]) - set(actual[table])
        if only_actual or only_expected:
            found[table] = {"unexpected": sorted(only_actual), "missing": sorted(only_expected)}
    return found


def wait_for_run(run_id, seconds=20):
    """The run once it has finished (a console run goes on in a thread); AssertionError after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = SyncRun.get_by_id(run_id)
        if run.status != "running":
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} still running after {seconds} s")


def sign_in_as_role(client, school, role):
    """Sign `client` in as a new user with `role` in the school (role@school.test)."""
    factories.user(f"{role}@school.test", role=role, orgs=[school.org])
    client.login(f"{role}@school.test")
