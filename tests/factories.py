"""Small builders for test data: an organisation with its defaults, profiles, members, users, and the
support access a test signing in as support needs to work on an organisation."""
import datetime
import itertools

from werkzeug.security import generate_password_hash

from store.models import (
    DEFAULT_PROFILE_TYPES,
    Organisation,
    Profile,
    ProfileType,
    SiaConnection,
    SiaGroup,
    SiaMember,
    SupportGrant,
    User,
    UserOrganisation,
    now,
)

_seq = itertools.count(1)
PASSWORD = "password"
_PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def organisation(name=None, **fields):
    org = Organisation.create(name=name or f"School {next(_seq)}", **fields)
    for position, type_name in enumerate(DEFAULT_PROFILE_TYPES):
        ProfileType.create(organisation=org, name=type_name, position=position)
    return org


def profile_type(org, name="Teaching Staff"):
    return ProfileType.get((ProfileType.organisation == org) & (ProfileType.name == name))


def profile(org, forename="Ada", surname="Lovelace", type_name="Teaching Staff", **fields):
    return Profile.create(
        organisation=org, profile_type=profile_type(org, type_name), forename=forename, surname=surname, **fields
    )


def connection(org=None, trust=None, kind="sandbox", **fields):
    fields.setdefault("base_url", "http://sandbox.internal/sandbox/client-api/v1")
    fields.setdefault("api_key", f"key-{next(_seq)}")
    secret = fields.pop("api_secret", "secret")
    return SiaConnection.new(organisation=org, trust=trust, kind=kind, secret=secret, **fields)


def group(conn, org=None, name="Staff", type="returning", sia_id=None):
    return SiaGroup.create(connection=conn, sia_id=sia_id or next(_seq), name=name, type=type, organisation=org)


def member(grp, name="Ada Lovelace", sia_id=None, **personal):
    fields = {"name": name, **personal}
    return SiaMember.create(connection=grp.connection, group=grp, sia_id=sia_id or next(_seq), personal_fields=fields)


def user(email, role="admin", orgs=()):
    u = User.create(email=email, role=role, password_hash=_PASSWORD_HASH)
    for org in orgs:
        UserOrganisation.create(user=u, organisation=org)
    return u


def support_access(org, opened_by="admin@school.test", days=SupportGrant.DEFAULT_DAYS):
    """Support access to `org`, open from a minute ago for `days`: the school opened its portal to
    support, so support may see and act on `org` (DESIGN §12)."""
    opened_at = now() - datetime.timedelta(minutes=1)
    return SupportGrant.create(
        organisation=org, opened_by=opened_by, opened_at=opened_at, until=opened_at + datetime.timedelta(days=days)
    )
