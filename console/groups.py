"""An organisation's linked Sign In App groups as the console's pages show them: read from Sign In App
as the page loads (sync.live), at most once a minute per connection for this app, so "link the group in
Sign In App, then refresh the page" (set-up help, step 2) works without an import."""
from flask import current_app

from sync import live

EXTENSION = "tether_group_reads"


def init_app(app):
    app.extensions[EXTENSION] = live.GroupReads()


def linked_groups(organisation):
    """`organisation`'s linked groups (sync.live.LinkedGroups), read live unless read within the minute."""
    return live.linked_groups(organisation, current_app.extensions[EXTENSION])
