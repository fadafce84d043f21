"""The console's side of the permission policy (store/policy.py), checked on every view and query.

`@allowed("merge")` refuses (403) a signed-in user whose role may not take the action; the templates
ask `can("merge")`. `organisation_or_404` and `record_or_404` scope every query: a record of an
organisation the user may not see answers 404, never 403, so the console does not confirm it exists.
"""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from playhouse.flask_utils import get_object_or_404

from store import policy
from store.models import Organisation


def can(action):
    """Whether the signed-in user may take `action` (the templates' question too); nobody signed in may not."""
    return current_user.is_authenticated and policy.may(current_user, action)


def allowed(action):
    """Refuse (403) a signed-in user who may not take `action`, before anything is looked up."""
    policy.roles_for(action)  # an action the policy does not know fails when the view is defined

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not can(action):
                abort(403)
            return view(*args, **kwargs)

        wrapped.action = action
        return wrapped

    return decorate


def guard_blueprint(app, blueprint, action):
    """Make every page of `blueprint` (mounted on `app`) need a signed-in user who may take `action`:
    nobody signed in is sent to sign in, anyone else refused (403). For the pages of a system that knows
    nothing of Tether's users (the sandbox); a page added to it later is guarded as well."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.partition(".")[0] == blueprint.name:
            app.view_functions[endpoint] = login_required(allowed(action)(view))


def organisation_or_404(organisation_id):
    """The organisation if the signed-in user may see it; 404 otherwise (whether it exists or not)."""
    if not policy.may_see(current_user, organisation_id):
        abort(404)
    return get_object_or_404(Organisation, Organisation.id == organisation_id)


def record_or_404(model, record_id, organisation, *conditions):
    """The `organisation`'s `model` record with `record_id` (meeting `conditions` too); 404 otherwise,
    whether it does not exist or belongs to another organisation."""
    return get_object_or_404(model, model.id == record_id, model.organisation == organisation, *conditions)
