"""An account's custom personal fields as Tether knows them: keys, labels and types (DESIGN §3, §4).

Sign In App keys custom personal fields with the account's own opaque ids (`c3YQ5d9wQi`); its field
definitions (partner assumption: GET /personal-fields) give each a label and a type. They are read with
the groups, at every import and whenever a page reads the groups live (sync.mirror.read_groups,
sync.live), and kept on the connection, so the rules editor, explain, diagnostics, field mapping and the
plan all see the labels Sign In App gives now. A Sign In App without the endpoint leaves them unknown
(`CustomFields(None)`): rules then name custom fields by key, and a rule naming one by label is warned
about.
"""
from rules import CustomField, CustomFields
from store.models import SiaConnection

CUSTOM_PREFIX = "custom."


def store(connection, definitions):
    """Keep `definitions` (PersonalField records, or None when Sign In App did not say) on the connection."""
    kept = None if definitions is None else [
        {"key": field.key, "label": field.label, "type": field.type} for field in definitions
    ]
    if kept != connection.custom_fields:
        SiaConnection.update(custom_fields=kept).where(SiaConnection.id == connection.id).execute()
        connection.custom_fields = kept


def of_connection(connection):
    """The connection's custom fields (rules.CustomFields) as last read."""
    if connection is None or connection.custom_fields is None:
        return CustomFields(None)
    return CustomFields(
        CustomField(str(item["key"]), str(item.get("label") or item["key"]), item.get("type") or "text")
        for item in connection.custom_fields
    )


def of_snapshot(snapshot):
    """The custom fields an import read with its groups (a mirror.Snapshot), before they are kept."""
    if snapshot.custom_fields is None:
        return CustomFields(None)
    return CustomFields(CustomField(field.key, field.label, field.type) for field in snapshot.custom_fields)


def for_organisation(organisation):
    """The custom fields of the Sign In App account `organisation` syncs with."""
    return of_connection(SiaConnection.for_organisation(organisation))


def shown(sia_field, fields):
    """An SIA field as a person reads it: a custom field by its label (`Department (custom field)`)."""
    if not sia_field.startswith(CUSTOM_PREFIX):
        return sia_field
    key = sia_field[len(CUSTOM_PREFIX):]
    found = fields.by_key(key)
    return f"{found.label} (custom field)" if found is not None else f"{key} (custom field)"


def key_for(name, fields):
    """The key of the custom field a person named (by label or key); the name itself when none matches."""
    found = fields.find(name, quoted_name=True)
    return found.key if found is not None else name
