"""`tether profiles`: create a profile in Central Record and set or remove its leaving date (DESIGN §10).

Both call the console's own service (`sync.profiles`), which checks every value and writes the audit
event. A leaving date of today or earlier severs the profile's Sign In App link at once; removing it
makes the person active again without re-linking them (support re-links the returner).
Exit 0 done, 1 refused (a deleted or merged profile), 2 bad input (an unknown record, a bad value).
"""
import click
from flask.cli import AppGroup

from store.models import Profile, ProfileType
from sync import profiles as service
from sync.links import ActionRefused

from .common import AS_JSON, ID, ORG, connected, echo_json, organisation_or_stop, stop

profiles = AppGroup("profiles", help="Profiles in Central Record: create one, set or remove a leaving date.")


def _refused(invalid):
    stop(" ".join(invalid.errors.values()))


@profiles.command("create")
@ORG
@click.option("--first-name", required=True, help="The person's first name.")
@click.option("--last-name", required=True, help="The person's last name.")
@click.option("--email", default="", help="Their email address.")
@click.option("--type", "type_name", default=None, help="The profile type's name; the organisation's first type when not given.")
@AS_JSON
def create_command(org_id, first_name, last_name, email, type_name, as_json):
    """Create an active profile, not linked to Sign In App. Prints its id."""
    with connected():
        organisation = organisation_or_stop(org_id)
        if type_name is None:
            first = ProfileType.select().where(ProfileType.organisation == organisation).order_by(ProfileType.position).first()
            type_name = first.name if first else ""
        form = {"forename": first_name, "surname": last_name, "email": email, "profile_type": type_name}
        try:
            profile = service.create_profile(organisation, form, actor="cli")
        except service.Invalid as invalid:
            _refused(invalid)
    if as_json:
        echo_json({"id": profile.id})
    else:
        click.echo(f"created profile {profile.id}: {profile.name} ({profile.profile_type.name}) in {organisation.name}")


@profiles.command("set-leaving-date")
@click.argument("profile_id", type=ID, metavar="ID")
@click.argument("date", metavar="DATE|none")
@AS_JSON
def set_leaving_date_command(profile_id, date, as_json):
    """Set a profile's leaving date (YYYY-MM-DD or DD/MM/YYYY), or remove it with `none`.

    A date of today or earlier severs the profile's Sign In App link at once; a later one on that day.
    Removing the date makes the person active again but does not re-link them: support re-links."""
    try:
        leaving_date = None if date.strip().lower() == "none" else service.parse_date(date, "Leaving date")
    except ValueError as bad:
        stop(str(bad))
    with connected():
        profile = Profile.get_or_none(Profile.id == profile_id)
        if profile is None:
            stop(f"no profile with id {profile_id}; find it in the console's profile list.")
        try:
            saved = service.set_leaving_date(profile, leaving_date, actor="cli")
        except service.Invalid as invalid:
            _refused(invalid)
        except ActionRefused as refusal:
            stop(str(refusal), 1)
        profile = saved.profile
        leaver = profile.is_leaver()
    if as_json:
        echo_json({
            "id": profile.id, "leaving_date": profile.leaving_date, "leaver": leaver, "changed": bool(saved.changes),
            "severed_link": saved.severed.id if saved.severed else None, "returned": saved.returned,
        })
        return
    if not saved.changes:
        click.echo(f"{profile.name} (profile {profile.id}): nothing changed")
    elif saved.severed:
        click.echo(f"{profile.name} (profile {profile.id}) is a leaver from {profile.leaving_date:%d %b %Y}: its link to "
                   f"Sign In App member {saved.severed.sia_member.display_name} is severed")
    elif leaving_date is None:
        click.echo(f"{profile.name} (profile {profile.id}) has no leaving date now and is active"
                   + ("; the link is not re-established: ask support to re-link it" if saved.returned else ""))
    else:
        click.echo(f"{profile.name} (profile {profile.id}) leaves on {profile.leaving_date:%d %b %Y}"
                   + ("" if leaver else "; its link, if any, is severed on that day"))
