"""The integration's state (DESIGN §12 item 4): setting up, active, paused.

The set-up help says profiles do not appear on their own: the school chooses Import (Settings > Sign In
App > Configuration > Import) or Push (Settings > Sign In App Upload > Push All). So an organisation is
`setting_up` until a person starts its first Sign In App import or push — in the console or at the
command line; the scheduler never does — and `active` from then on: its imports run on schedule. A
school admin (or support) may pause the schedule and resume it; a paused organisation still imports and
pushes when a person asks, and stays paused.

Every change records who made it and when on the organisation (the overview's "Paused by X on D") and
writes an audit event.
"""
from store import database
from store.models import AuditEvent, Organisation, now

SETTING_UP, ACTIVE, PAUSED = Organisation.STATES
# The runs that are the help's "Import" and "Push": a person starting one of them starts the integration.
STARTING_KINDS = ("sia_import", "sia_push")
SCHEDULER_TRIGGER = "schedule"


class StateRefused(Exception):
    """The organisation is not in a state this change applies to; the message says why and what to do."""


def _email(actor):
    return getattr(actor, "email", actor) or ""


def _move(organisation, expected, state, actor, action):
    """Move `organisation` from `expected` to `state` in one conditional write; False when it was not in `expected`."""
    at = now()
    moved = (
        Organisation.update(state=state, state_changed_by=_email(actor), state_changed_at=at)
        .where((Organisation.id == organisation.id) & (Organisation.state == expected))
        .execute()
    )
    if not moved:
        return False
    organisation.state, organisation.state_changed_by, organisation.state_changed_at = state, _email(actor), at
    AuditEvent.record(
        action, actor=actor, organisation=organisation, subject=f"organisation:{organisation.id}",
        before={"state": expected}, after={"state": state},
    )
    return True


def run_started(organisation, kind, *, actor, trigger, dry_run):
    """Called in the transaction that starts any run: the first import or push a person starts (not the
    scheduler, not a dry run, which changes nothing) makes a setting-up organisation active."""
    if organisation is None or kind not in STARTING_KINDS or trigger == SCHEDULER_TRIGGER or dry_run:
        return
    # Asked of the database, not of `organisation`, which may have been read before another run started.
    _move(organisation, SETTING_UP, ACTIVE, actor, "organisation.activated")


def pause(organisation, actor):
    """Stop the organisation's scheduled imports until someone resumes them."""
    with database.atomic():
        if not _move(organisation, ACTIVE, PAUSED, actor, "organisation.paused"):
            organisation = Organisation.get_by_id(organisation.id)
            if organisation.state == PAUSED:
                raise StateRefused(f"{organisation.name}'s scheduled imports are already paused.")
            raise StateRefused(
                f"{organisation.name} is still setting up: nothing imports on schedule until someone chooses "
                "Import or Push, so there is nothing to pause."
            )


def resume(organisation, actor):
    """Start the organisation's scheduled imports again."""
    with database.atomic():
        if not _move(organisation, PAUSED, ACTIVE, actor, "organisation.resumed"):
            organisation = Organisation.get_by_id(organisation.id)
            if organisation.state == ACTIVE:
                raise StateRefused(f"{organisation.name}'s scheduled imports are not paused.")
            raise StateRefused(
                f"{organisation.name} is still setting up: its scheduled imports start when someone chooses "
                "Import or Push."
            )
