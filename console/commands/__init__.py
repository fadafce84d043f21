"""The `tether` command line (DESIGN §10): one click group per area, registered on the app's CLI."""


def register_commands(app):
    from .access import access
    from .connections import connections
    from .db import db
    from .demo import demo
    from .diagnose import diagnose_command
    from .jobs import jobs
    from .orgs import orgs
    from .profiles import profiles
    from .rules import rules
    from .safety import safety_check_command, token_commands
    from .sims import sims
    from .sync import sync
    from .users import users

    for group in (db, demo, diagnose_command, rules, users, safety_check_command, token_commands, sims, sync, jobs, access,
                  orgs, connections, profiles):
        app.cli.add_command(group)
