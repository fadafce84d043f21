"""What Sign In App's documented member says about sign-ins, site and companion app, in a school's words.

`last_in`/`last_out` arrive as ISO-8601 text (docs/design.md §3.1) and are kept as sent; these turn them
into "Monday 30 November 2026 at 08:01" in school time (Europe/London, as the jobs run). A value that
is not ISO-8601 is shown as sent rather than dropped: it is what Sign In App said.
"""
import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

SCHOOL_TIME = ZoneInfo("Europe/London")

# The companion app's permissions, in the words of Sign In App's portal and companion app help.
PERMISSIONS = {
    "can_mobile_sign_in": "Mobile sign in",
    "can_auto_sign_in": "Auto sign in",
    "can_pre_reg": "Pre-register visitors",
    "can_access_firelist": "Access the fire list",
    "can_view_sign_in_history": "View sign in history",
    "can_access_today": "View today's sign ins",
}


def moment(text):
    """The aware datetime in school time that `text` (ISO-8601) names, or None when it names none."""
    if not text or not isinstance(text, str):
        return None
    try:
        value = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(SCHOOL_TIME)


def in_words(text):
    """'Monday 30 November 2026 at 08:01', the text as sent when it is not ISO-8601, or None when empty."""
    when = moment(text)
    if when is None:
        return str(text).strip() or None if text else None
    return f"{when:%A} {when.day} {when:%B %Y} at {when:%H:%M}"


def last_signed_in(text):
    """'last signed in on Monday 30 November 2026 at 08:01', or that Sign In App has no sign-in for them."""
    words = in_words(text)
    return f"last signed in on {words}" if words else "no sign-in recorded in Sign In App"


def permissions_in_words(permissions):
    """[(label, granted)] of the companion app's permissions, known ones first in the help's order, then
    any others by their key; values that are not true/false are left out."""
    permissions = permissions if isinstance(permissions, dict) else {}
    known = [(label, permissions[key]) for key, label in PERMISSIONS.items() if isinstance(permissions.get(key), bool)]
    others = [(key.replace("_", " "), value) for key, value in sorted(permissions.items())
              if key not in PERMISSIONS and isinstance(value, bool)]
    return known + others


def photo_origin(url):
    """The origin (https://host[:port]) of a member's photo URL, or None when it is not an https URL: only
    those are shown, so the page never loads a photo over plain HTTP or from a `data:`/`javascript:` URL."""
    if not url or not isinstance(url, str) or len(url) > 2000:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname or any(c in parts.netloc for c in " ;'\"@"):
        return None
    return f"https://{parts.netloc}"


def sites_of_groups(group_row_ids):
    """{SiaGroup row id: sorted site ids its current members are restricted to} from the shadows: the
    documented API gives a site per member, not per group, so a group's sites are its members'."""
    from store.models import SiaMember

    if not group_row_ids:
        return {}
    query = (
        SiaMember.select(SiaMember.group, SiaMember.site_id)
        .where(SiaMember.group.in_(list(group_row_ids)) & SiaMember.gone_at.is_null() & SiaMember.site_id.is_null(False))
        .distinct()
        .tuples()
    )
    sites = {}
    for group_id, site_id in query:
        sites.setdefault(group_id, []).append(site_id)
    return {group_id: sorted(ids) for group_id, ids in sites.items()}


def sites_in_words(site_ids):
    """'Site 3', 'Sites 3 and 4', or 'All sites' when no member is restricted to one."""
    if not site_ids:
        return "All sites"
    if len(site_ids) == 1:
        return f"Site {site_ids[0]}"
    return f"Sites {', '.join(map(str, site_ids[:-1]))} and {site_ids[-1]}"
