"""Console accounts: the one place users are created and changed, used by the users page and the CLI."""
import secrets

from store import database, policy
from store.models import AuditEvent, Organisation, User, UserOrganisation


class AccountError(ValueError):
    """A request to create or change an account that cannot be done, with what to do instead."""


def _check(email, role, organisation_ids, *, user=None):
    if role not in User.ROLES:
        raise AccountError(f"unknown role '{role}'; choose one of {', '.join(User.ROLES)}.")
    if not email or "@" not in email:
        raise AccountError("enter the email address the person signs in with.")
    existing = User.by_email(email)
    if existing is not None and existing != user:
        raise AccountError(f"a user with email {email} already exists; choose another address.")
    known = {o.id for o in Organisation.select(Organisation.id).where(Organisation.id.in_(list(organisation_ids) or [0]))}
    missing = sorted(set(organisation_ids) - known)
    if missing:
        raise AccountError(f"no organisation with id {', '.join(map(str, missing))}; see the overview for ids.")
    if not policy.reaches_through_support_access(role) and not organisation_ids:
        raise AccountError(f"an {role} must belong to at least one organisation; choose their school.")


def _snapshot(user):
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "active": user.active,
        "organisations": sorted(m.organisation_id for m in user.memberships),
    }


def create_user(email, role, organisation_ids=(), *, name="", password=None, actor):
    """Create a user; returns (user, password) — the password is generated when not given."""
    email = (email or "").strip().lower()
    organisation_ids = sorted(set(organisation_ids))
    password = password or secrets.token_urlsafe(12)
    with database.atomic():
        _check(email, role, organisation_ids)
        user = User(email=email, name=name.strip(), role=role)
        user.set_password(password)
        user.save()
        for org_id in organisation_ids:
            UserOrganisation.create(user=user, organisation=org_id)
        AuditEvent.record("user.create", actor=actor, subject=f"user:{user.id}", after=_snapshot(user))
    return user, password


def update_user(user, *, role, organisation_ids, name, active, actor):
    organisation_ids = sorted(set(organisation_ids))
    # By id: the signed-in actor is the console's SignedInUser, never equal to a User by `==`.
    if user.id == getattr(actor, "id", None) and (not active or role != user.role):
        raise AccountError("you cannot change your own role or disable yourself; ask another support user.")
    with database.atomic():
        _check(user.email, role, organisation_ids, user=user)
        before = _snapshot(user)
        user.role, user.name, user.active = role, name.strip(), active
        user.save()
        UserOrganisation.delete().where(UserOrganisation.user == user).execute()
        for org_id in organisation_ids:
            UserOrganisation.create(user=user, organisation=org_id)
        AuditEvent.record("user.update", actor=actor, subject=f"user:{user.id}", before=before, after=_snapshot(user))
    return user


def reset_password(user, *, actor):
    """A new generated password, shown once to the support user who asked for it.

    Every session the user had ends with the old password (User.set_password)."""
    password = secrets.token_urlsafe(12)
    with database.atomic():
        user.set_password(password)
        user.save()
        AuditEvent.record("user.reset_password", actor=actor, subject=f"user:{user.id}")
    return password
