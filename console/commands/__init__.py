"""The `tether` command line (DESIGN §10): one click group per area, registered on the app's CLI."""


def register_commands(app):
    from .db import db
    from .users import users

    for group in (db, users):
        app.cli.add_command(group)
