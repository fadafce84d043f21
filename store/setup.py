"""Getting started with the integration (DESIGN §12 items 1-2; the set-up help's "Get Started").

Before support sets up a school's integration, the help asks for three things, in this order:

1. a Central Record user with Administrator access requests the integration (`request_integration`);
2. the school opens its Central Record portal for support access (`open_support_access`, and
   `close_support_access` at any time): a `SupportGrant` for a chosen number of days, which the
   permission policy (store/policy.py) reads to decide what support may see;
3. the Sign In App portal's Primary User confirms they are happy for support to set the integration
   up, and support records it (`record_confirmation`).

Each is one service function writing its audit event, called alike by the console, the CLI and the
demo seed. `may_create_connection(organisation)` is the question the connection page asks: all three
done, or which one is not, in words. `steps(organisation)` gives the three with their state.
"""
import datetime
from dataclasses import dataclass

from peewee import IntegrityError

from .db import database
from .models import AuditEvent, IntegrationRequest, Organisation, SupportGrant, now

NOTE_LIMIT = 1000  # characters of the note a school admin adds to the request
NAME_LIMIT = 200  # characters of the Primary User's name
PAST_GRANTS_SHOWN = 20  # earlier grants the support access page lists, latest first


class SetupRefused(ValueError):
    """A getting-started step that cannot be done as asked; the message says why and what to do."""


def actor_name(actor):
    return getattr(actor, "email", actor) or ""


def _day(moment):
    return f"{moment:%d %b %Y}"


def _time(moment):
    return f"{moment:%d %b %Y %H:%M} UTC"


def request_of(organisation):
    """The organisation's integration request, or None when nobody has requested it yet."""
    return IntegrationRequest.get_or_none(IntegrationRequest.organisation == organisation)


def _request_view(request):
    return {
        "requested_by": request.requested_by,
        "requested_at": request.requested_at.isoformat(),
        "note": request.note,
        "primary_user": request.primary_user,
        "confirmed_at": request.confirmed_at.isoformat() if request.confirmed_at else None,
        "confirmation_recorded_by": request.confirmation_recorded_by,
    }


def _grant_view(grant):
    return {
        "grant": grant.id,
        "opened_by": grant.opened_by,
        "opened_at": grant.opened_at.isoformat(),
        "until": grant.until.isoformat(),
        "closed_at": grant.closed_at.isoformat() if grant.closed_at else None,
        "closed_by": grant.closed_by,
    }


# --- step 1: the request -------------------------------------------------------------------------


def request_integration(organisation, actor, note=""):
    """Record that `actor` (an administrator of the school) requests the integration, with a note."""
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise SetupRefused(
            f"The note is {len(note)} characters long; shorten it to {NOTE_LIMIT} or fewer and request again."
        )
    with database.atomic():
        existing = request_of(organisation)
        if existing is None:
            try:
                with database.atomic():
                    request = IntegrationRequest.create(organisation=organisation, requested_by=actor_name(actor), note=note)
            except IntegrityError:
                existing = request_of(organisation)  # requested at the same moment by someone else
        if existing is not None:
            raise SetupRefused(
                f"{organisation.name} already requested the integration ({existing.requested_by}, "
                f"{_day(existing.requested_at)}): there is no need to ask again."
            )
        AuditEvent.record(
            "integration.request", actor=actor, organisation=organisation,
            subject=f"organisation:{organisation.id}", after=_request_view(request),
        )
    return request


# --- step 2: support access ----------------------------------------------------------------------


def parse_days(text):
    """A number of days of support access typed in a form: 1..MAX_DAYS, or SetupRefused saying so."""
    try:
        days = int((text or "").strip())
    except ValueError:
        days = None
    if days is None or not 1 <= days <= SupportGrant.MAX_DAYS:
        raise SetupRefused(
            f"Choose how many days support may have access: a whole number from 1 to {SupportGrant.MAX_DAYS} "
            f"({SupportGrant.DEFAULT_DAYS} is usual)."
        )
    return days


def open_support_access(organisation, actor, days=SupportGrant.DEFAULT_DAYS, at=None):
    """Open `organisation` to support for `days` from now, as its admin (`actor`) does. Access already
    open is replaced by the new period, so an admin who chooses again gets what they chose."""
    if not isinstance(days, int) or not 1 <= days <= SupportGrant.MAX_DAYS:
        raise SetupRefused(f"Support access opens for 1 to {SupportGrant.MAX_DAYS} days, not {days}.")
    at = at or now()
    with database.atomic():
        current = SupportGrant.open_for(organisation, at)
        if current is not None:
            _close(current, actor, at)
        grant = SupportGrant.create(
            organisation=organisation, opened_by=actor_name(actor), opened_at=at,
            until=at + datetime.timedelta(days=days),
        )
        AuditEvent.record(
            "support_access.open", actor=actor, organisation=organisation, subject=f"organisation:{organisation.id}",
            before=_grant_view(current) if current else None, after={**_grant_view(grant), "days": days},
            reason="replaces the access that was open" if current else "",
        )
    return grant


def close_support_access(organisation, actor, at=None):
    """Close the organisation's open support access now; SetupRefused when none is open."""
    at = at or now()
    with database.atomic():
        grant = SupportGrant.open_for(organisation, at)
        if grant is None:
            raise SetupRefused(f"Support access to {organisation.name} is not open, so there is nothing to close.")
        before = _grant_view(grant)
        # Written while the grant is still open, so support handing access back names the grant it ran under.
        event = AuditEvent.record(
            "support_access.close", actor=actor, organisation=organisation, subject=f"organisation:{organisation.id}",
            before=before,
        )
        _close(grant, actor, at)
        event.after = _grant_view(grant)
        event.save()
    return grant


def _close(grant, actor, at):
    closed = (
        SupportGrant.update(closed_at=at, closed_by=actor_name(actor))
        .where((SupportGrant.id == grant.id) & SupportGrant.closed_at.is_null())
        .execute()
    )
    if closed != 1:
        raise SetupRefused("Support access was closed by someone else a moment ago; reload the page to see it.")
    grant.closed_at, grant.closed_by = at, actor_name(actor)


def grants_of(organisation, limit=PAST_GRANTS_SHOWN):
    """The organisation's grants, latest first (the open one among them)."""
    return (
        SupportGrant.select()
        .where(SupportGrant.organisation == organisation)
        .order_by(SupportGrant.opened_at.desc(), SupportGrant.id.desc())
        .limit(limit)
    )


def open_grants(at=None):
    """Every grant open now, with its organisation, by organisation name."""
    return (
        SupportGrant.open_now(at)
        .select(SupportGrant, Organisation)
        .join(Organisation)
        .order_by(Organisation.name, Organisation.id)
    )


# --- step 3: the Primary User's confirmation -----------------------------------------------------


def parse_day(text):
    """A date typed in a form (YYYY-MM-DD, as a date input sends it), or SetupRefused saying so."""
    try:
        return datetime.date.fromisoformat((text or "").strip())
    except ValueError:
        raise SetupRefused("Enter the day the Primary User confirmed, as a date (for example 2024-09-02).") from None


def record_confirmation(organisation, actor, primary_user, confirmed_on):
    """Record that `primary_user`, the Sign In App portal's Primary User, confirmed on `confirmed_on`
    (a date) that support may access the portal to set up the integration; `actor` is support.

    Recording it again corrects it: the audit event keeps what it said before."""
    primary_user = " ".join((primary_user or "").split())
    if not primary_user:
        raise SetupRefused("Enter the name of the Primary User on the school's Sign In App portal who confirmed.")
    if len(primary_user) > NAME_LIMIT:
        raise SetupRefused(f"The Primary User's name is longer than {NAME_LIMIT} characters; enter their name only.")
    if confirmed_on > now().date():
        raise SetupRefused(f"{confirmed_on:%d %b %Y} is in the future: enter the day the Primary User confirmed.")
    with database.atomic():
        request = request_of(organisation)
        if request is None:
            raise SetupRefused(
                f"{organisation.name} has not requested the integration yet: a school admin requests it on "
                "the Getting started page first."
            )
        if confirmed_on < request.requested_at.date():
            raise SetupRefused(
                f"{confirmed_on:%d %b %Y} is before the integration was requested ({_day(request.requested_at)}): "
                "enter the day the Primary User confirmed."
            )
        before = _request_view(request)
        request.primary_user = primary_user
        request.confirmed_at = datetime.datetime.combine(confirmed_on, datetime.time.min)
        request.confirmation_recorded_by = actor_name(actor)
        request.save()
        AuditEvent.record(
            "integration.confirm", actor=actor, organisation=organisation, subject=f"organisation:{organisation.id}",
            before=before, after=_request_view(request),
        )
    return request


# --- where the organisation is -------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    title: str  # the help's own words
    done: bool
    state: str  # where it stands, in words


def steps(organisation, at=None):
    """The help's three getting-started steps for `organisation`, each with its state."""
    request = request_of(organisation)
    grant = SupportGrant.open_for(organisation, at)
    if request is None:
        asked = Step("Request the integration", False, "Not requested yet.")
    else:
        asked = Step("Request the integration", True, f"Requested by {request.requested_by} on {_day(request.requested_at)}.")
    if grant is None:
        access = Step("Open your Central Record portal for support access", False, "Support access is not open.")
    else:
        access = Step(
            "Open your Central Record portal for support access", True,
            f"Open until {_time(grant.until)}, opened by {grant.opened_by}.",
        )
    if request is None or not request.confirmed:
        confirmed = Step("Confirmation from the Primary User on your Sign In App portal", False, "Not recorded yet.")
    else:
        confirmed = Step(
            "Confirmation from the Primary User on your Sign In App portal", True,
            f"{request.primary_user} confirmed on {_day(request.confirmed_at)}; "
            f"recorded by {request.confirmation_recorded_by}.",
        )
    return [asked, access, confirmed]


def may_create_connection(organisation, at=None):
    """Whether support may create `organisation`'s Sign In App connection now: (True, why) once the
    integration is requested, support access is open and the Primary User's confirmation is recorded;
    (False, the first step missing and where it is done) otherwise."""
    asked, access, confirmed = steps(organisation, at)
    if not asked.done:
        return False, (
            f"{organisation.name} has not requested the integration yet: a school admin requests it on the "
            "Getting started page."
        )
    if not access.done:
        return False, (
            f"Support access to {organisation.name} is not open: a school admin opens it on the Support access page."
        )
    if not confirmed.done:
        return False, (
            "The Sign In App Primary User's confirmation is not recorded yet: support records it on the "
            "Getting started page."
        )
    return True, (
        f"{organisation.name} requested the integration, support access is open and the Primary User confirmed."
    )
