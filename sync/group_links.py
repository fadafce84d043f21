"""Linked groups: kept by Tether, confirmed by Sign In App (DESIGN §3).

Which Sign In App groups sync for an organisation is Tether's own record: `SiaGroup.organisation`, set
by support on the connection page (Settings → Sign In App → Configuration → Connection, or `tether
connections groups`), Repeat (returning) groups only. Sign In App's public API lists groups (`GET
/groups`: id, name, type) but documents no link to an organisation; the partner integration settings
(`integrations.organisation_id` of `GET /groups/{id}`) are used, when given, to *confirm* the kept links:

- a group Sign In App links to an organisation of the connection while no person has decided about it
  in Tether is taken as linked ("link the group, then refresh the page" keeps working): `linked_by`
  "Sign In App", audit event `sia_group.link`, shown so on the connection page (the help's own way of
  linking, so not a problem on the run);
- any other difference (Sign In App links a group Tether does not keep, or to another organisation, or
  no longer links one Tether keeps) is a problem on the run with its fix, and the run needs attention;
  Tether's links still decide what syncs;
- the partner endpoint absent (404) or answering the documented fields only is a warning on the run,
  not an abort: Tether uses its own links;
- a run that reads Repeat groups but has none linked needs attention, never "succeeded".
"""
from dataclasses import dataclass, field

from store import database
from store.models import AuditEvent, Organisation, SiaConnection, SiaGroup, now

from .runs import Problem

FROM_SIA = "Sign In App"  # linked_by of a link taken from Sign In App's integration settings
CONNECTION_PAGE = "Settings → Sign In App → Configuration → Connection"
SIA_INTEGRATIONS = "Manage > Groups > select the group > Integrations"
MAX_GROUPS = 1000  # group ids one change of links may name


class LinkRefused(Exception):
    """A change of links that cannot be made: the message names the group and what to do."""


def organisations_of(connection):
    """{id: Organisation} of the organisations that sync through `connection` (its school, or the schools
    of its trust without a connection of their own)."""
    if connection.organisation_id is not None:
        return {connection.organisation_id: connection.organisation}
    own = SiaConnection.select(SiaConnection.organisation).where(SiaConnection.organisation.is_null(False))
    query = Organisation.select().where((Organisation.trust == connection.trust_id) & Organisation.id.not_in(own))
    return {organisation.id: organisation for organisation in query}


@dataclass
class Confirmation:
    """What the groups read from Sign In App say about an organisation's kept links."""

    linked: set = field(default_factory=set)  # SIA ids of the organisation's linked Repeat groups (kept or taken now)
    adopt: dict = field(default_factory=dict)  # SIA group id → organisation id: links taken from Sign In App now
    problems: list = field(default_factory=list)  # warnings and differences, as run problems
    attention: list = field(default_factory=list)  # what a person must look at, in words


def _name(organisations, organisation_id):
    found = organisations.get(organisation_id)
    if found is not None:
        return found.name
    found = Organisation.get_or_none(Organisation.id == organisation_id)
    return found.name if found is not None else f"organisation {organisation_id}"


def adoptions(connection, groups, rows=None, organisations=None):
    """{SIA group id: organisation id} for the Repeat groups Sign In App's integration settings link to an
    organisation of `connection` while Tether keeps no link and no person has decided about them."""
    rows = _rows(connection) if rows is None else rows
    organisations = organisations_of(connection) if organisations is None else organisations
    found = {}
    for group in groups:
        row = rows.get(group.id)
        said = (group.integrations or {}).get("organisation_id")
        if not group.is_returning or group.integrations is None or said not in organisations:
            continue
        if row is None or (row.organisation_id is None and not row.decided):
            found[group.id] = said
    return found


def _rows(connection):
    return {row.sia_id: row for row in SiaGroup.select().where(SiaGroup.connection == connection)}


def confirm(connection, groups, organisation):
    """Confirm `organisation`'s kept links against `groups` (connectors.sia.Group, as mirror.read_groups
    read them): which groups sync, the links to take from Sign In App, and the problems and attention."""
    rows = _rows(connection)
    organisations = organisations_of(connection)
    result = Confirmation(adopt=adoptions(connection, groups, rows, organisations))
    returning = [group for group in groups if group.is_returning]
    unconfirmed = []
    for group in returning:
        row = rows.get(group.id)
        kept = result.adopt.get(group.id, row.organisation_id if row is not None else None)
        if kept == organisation.id:
            result.linked.add(group.id)
        if group.integrations is None:
            unconfirmed.append(group)
            continue
        said = group.integrations.get("organisation_id")
        difference = _difference(group, row, kept, said, organisation, organisations)
        if difference:
            result.problems.append(Problem(str(group.id), group.name, "group_link_differs", difference))
            result.attention.append(difference)
    if unconfirmed:
        kept = [group.name for group in returning if group.id in result.linked]
        result.problems.append(Problem(
            "", "", "group_links_unconfirmed",
            "Sign In App did not give the group's integration settings; Tether used its own links "
            f"({', '.join(kept) if kept else 'none is linked'}), not confirmed for "
            f"{', '.join(group.name for group in unconfirmed)}. Nothing needs doing unless a group is missing or "
            f"extra: support links and unlinks groups at {CONNECTION_PAGE}.",
        ))
    if returning and not result.linked:
        result.attention.append(
            f"Sign In App has {len(returning)} Repeat group{'' if len(returning) == 1 else 's'} but none is linked "
            f"to {organisation.name}, so no one was synced. Link the group at {CONNECTION_PAGE} (or in Sign In "
            f"App: {SIA_INTEGRATIONS}, then run the import again)."
        )
    return result


def _difference(group, row, kept, said, organisation, organisations):
    """The words for a difference between Tether's link of `group` and Sign In App's, as it concerns
    `organisation`; "" when there is none."""
    named = f"'{group.name}' (group {group.id})"
    if said == organisation.id and kept != organisation.id:
        if kept is not None:
            why = f"Tether keeps it linked to {_name(organisations, kept)}"
        elif row is not None and row.linked_by:
            why = f"{row.linked_by} unlinked it in Tether on {row.linked_at:%d %b %Y}"
        else:
            why = "Tether does not keep it linked"
        return (
            f"Sign In App says {named} is linked to {organisation.name}, but {why}, so its members were not synced. "
            f"To sync them, link it at {CONNECTION_PAGE}; otherwise unlink the group in Sign In App's integration "
            f"settings ({SIA_INTEGRATIONS})."
        )
    if kept == organisation.id and said != organisation.id:
        elsewhere = f"to {_name(organisations, said)}" if said is not None else "to no organisation"
        return (
            f"Tether keeps {named} linked to {organisation.name}, but Sign In App's integration settings link it "
            f"{elsewhere}; its members were synced as Tether's link says. If the group belongs to "
            f"{organisation.name}, select {organisation.name} in Sign In App ({SIA_INTEGRATIONS}); otherwise "
            f"unlink it at {CONNECTION_PAGE}."
        )
    return ""


def adopt(connection, adopted):
    """Keep the links taken from Sign In App's integration settings (`adopted`: {SIA group id: organisation
    id}), each with its audit event; a group a person decided about meanwhile is left as it is. Call it
    in a transaction, after the groups' rows are stored."""
    moment = now()
    for group_id, organisation_id in adopted.items():
        row = SiaGroup.get_or_none((SiaGroup.connection == connection) & (SiaGroup.sia_id == group_id))
        if row is None or row.organisation_id is not None or row.decided:
            continue
        SiaGroup.update(organisation=organisation_id, linked_by=FROM_SIA, linked_at=moment).where(SiaGroup.id == row.id).execute()
        AuditEvent.record(
            "sia_group.link", actor=FROM_SIA, organisation=organisation_id, subject=f"sia_group:{row.id}",
            before={"organisation_id": None}, after={"organisation_id": organisation_id, "sia_group_id": group_id},
            reason="Sign In App's integration settings link the group to this organisation",
        )


def choices(organisation, connection):
    """The connection's Repeat groups still in Sign In App (as last read) that support may link to
    `organisation`, by name: those linked to it or to no one. A trust's account is shared: groups kept
    for another school of the trust are not shown (nor named) here; `elsewhere` counts them."""
    return list(
        SiaGroup.select().where(
            (SiaGroup.connection == connection) & (SiaGroup.type == "returning") & SiaGroup.gone_at.is_null()
            & (SiaGroup.organisation.is_null() | (SiaGroup.organisation == organisation))
        ).order_by(SiaGroup.name, SiaGroup.sia_id)
    )


def elsewhere(organisation, connection):
    """How many of the connection's Repeat groups are kept linked to another school."""
    return SiaGroup.select().where(
        (SiaGroup.connection == connection) & (SiaGroup.type == "returning") & SiaGroup.gone_at.is_null()
        & SiaGroup.organisation.is_null(False) & (SiaGroup.organisation != organisation)
    ).count()


def describe(group, organisation):
    """One group of `choices` as the connection page and the CLI show it."""
    said = group.sia_organisation_id
    given = "integrations" in (group.settings or {})  # stored only when Sign In App gave them
    if not given:
        says = None
    elif said is None:
        says = "not linked"
    else:
        says = f"linked to {organisation.name}" if said == organisation.id else "linked to another organisation"
    return {
        "id": group.sia_id,
        "name": group.name,
        "linked": group.organisation_id == organisation.id,
        "linked_by": group.linked_by,
        "linked_at": group.linked_at,
        "sign_in_app_says": says,
    }


def set_links(organisation, connection, *, link=(), unlink=(), actor):
    """Link the connection's Repeat groups `link` to `organisation` and unlink `unlink` (SIA group ids), in
    one transaction with an audit event per change; returns (linked names, unlinked names).

    Raises LinkRefused naming the group and what to do: a group Tether has not read from Sign In App, not
    a Repeat group, gone from Sign In App, or kept linked to another organisation."""
    link, unlink = list(dict.fromkeys(link)), list(dict.fromkeys(unlink))
    if len(link) + len(unlink) > MAX_GROUPS:
        raise LinkRefused(f"Link or unlink at most {MAX_GROUPS} groups at a time.")
    both = set(link) & set(unlink)
    if both:
        raise LinkRefused(f"Group {min(both)} is both to be linked and unlinked: choose one.")
    rows = _rows(connection)
    organisations = organisations_of(connection)
    for group_id in link + unlink:
        row = rows.get(group_id)
        if row is None or row.gone_at is not None:
            raise LinkRefused(
                f"Sign In App group {group_id} is not one of the groups Tether read from {organisation.name}'s Sign In "
                "App account; reload the connection page (or `tether connections groups`) to read them again."
            )
    for group_id in link:
        row = rows[group_id]
        if row.type != "returning":
            raise LinkRefused(
                f"'{row.name}' (group {group_id}) is a Standard Sign In App group: the integration works for Repeat "
                "groups only. Make it a Repeat group in Sign In App first."
            )
        if row.organisation_id not in (None, organisation.id):
            raise LinkRefused(
                f"'{row.name}' (group {group_id}) is linked to {_name(organisations, row.organisation_id)}; unlink it "
                f"there first ({CONNECTION_PAGE} of that school)."
            )
    moment, linked, unlinked = now(), [], []
    with database.atomic():
        for group_id in link:
            row = rows[group_id]
            if row.organisation_id == organisation.id:
                continue
            _change(row, organisation, organisation.id, actor, moment)
            linked.append(row.name)
        for group_id in unlink:
            row = rows[group_id]
            if row.organisation_id != organisation.id:
                continue
            _change(row, organisation, None, actor, moment)
            unlinked.append(row.name)
    return linked, unlinked


def _change(row, organisation, organisation_id, actor, moment):
    who = getattr(actor, "email", actor) or ""
    before = {"organisation_id": row.organisation_id, "linked_by": row.linked_by}
    SiaGroup.update(organisation=organisation_id, linked_by=who, linked_at=moment).where(SiaGroup.id == row.id).execute()
    AuditEvent.record(
        "sia_group.link" if organisation_id is not None else "sia_group.unlink", actor=actor,
        organisation=organisation, subject=f"sia_group:{row.id}", before=before,
        after={"organisation_id": organisation_id, "sia_group_id": row.sia_id, "name": row.name},
    )
