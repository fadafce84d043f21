"""Who may see and change what: roles and organisation scoping, checked on every query.

An admin or viewer sees only their own organisations; a record of another organisation answers 404,
never 403, so the console does not confirm that it exists.
"""
from functools import wraps

from flask import abort
from flask_login import current_user

from store.models import Organisation


def can_see(organisation_id):
    allowed = current_user.organisation_ids()
    return allowed is None or organisation_id in allowed


def organisation_or_404(organisation_id):
    """The organisation if the signed-in user may see it; 404 otherwise (whether it exists or not)."""
    if not can_see(organisation_id):
        abort(404)
    organisation = Organisation.get_or_none(Organisation.id == organisation_id)
    if organisation is None:
        abort(404)
    return organisation


def require_role(*roles):
    """Refuse (403) a signed-in user whose role is not one of `roles`."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate
