"""The `tether` command line (DESIGN §10): one click group per area, registered on the app's CLI."""


def register_commands(app):
    from .db import db
    from .demo import demo
    from .rules import rules
    from .sims import sims
    from .users import users

    for group in (db, demo, rules, users, sims):
        app.cli.add_command(group)
