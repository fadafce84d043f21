"""Tether's application factory, its `tether` command line, and `python app.py` (serve the console).

`create_app(test_config)` follows Flask's tutorial factory: configuration from the environment and
`instance/config.py`, the database bound and migrated, the console and sandbox blueprints mounted.
"""
import os
import secrets
import sys

import click
from flask import Flask
from flask.cli import FlaskGroup
from werkzeug.routing import IntegerConverter

import store
from store.ids import MAX_ID

DEFAULT_PORT = 5000
# A trust's SIMS export can run to tens of MB; every upload fits under this (TETHER_MAX_UPLOAD_MB).
DEFAULT_MAX_UPLOAD_MB = 64


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: ASCII digits naming an id in 1..2^63-1. Any other number is no page
    (404) rather than a query the database refuses (PostgreSQL: 'bigint out of range')."""

    regex = r"[0-9]+"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _env_flag(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "on", "true", "yes")


def _max_upload_mb():
    raw = os.environ.get("TETHER_MAX_UPLOAD_MB", str(DEFAULT_MAX_UPLOAD_MB)).strip()
    if not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
        raise SystemExit(f"TETHER_MAX_UPLOAD_MB must be a whole number of megabytes, e.g. 64; it is {raw!r}.")
    return int(raw)


def _secret_key(instance_path):
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    from console.instance import kept_secret

    return os.environ.get("SECRET_KEY") or kept_secret(instance_path, "secret_key", lambda: secrets.token_hex(32))


def create_app(test_config=None):
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("TETHER_INSTANCE_PATH") or None,
        template_folder="console/templates",
        static_folder="console/static",
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(
        DATABASE_URL=os.environ.get("DATABASE_URL")
        or "sqlite:///" + os.path.join(app.instance_path, "tether.db"),
        TETHER_PORT=int(os.environ.get("TETHER_PORT", DEFAULT_PORT)),
        TETHER_SCHEDULER=_env_flag("TETHER_SCHEDULER", True),
        TETHER_DEMO_PASSWORD=os.environ.get("TETHER_DEMO_PASSWORD"),
        TETHER_SIMS_DROP=os.environ.get("TETHER_SIMS_DROP") or os.path.join(app.instance_path, "sims-drop"),
        MAX_CONTENT_LENGTH=_max_upload_mb() * 1024 * 1024,
        AUTO_MIGRATE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        NODE_MODULES=os.path.join(os.path.dirname(os.path.abspath(__file__)), "node_modules"),
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)

    if app.config.get("DATABASE") is not None:
        # Tests hand over an open database so the app and the test share one connection setup.
        db = app.config["DATABASE"]
        store.database.initialize(db)
    else:
        db = store.bind(app.config["DATABASE_URL"])
    if app.config["AUTO_MIGRATE"]:
        import sandbox

        with store.migration_lock(db):
            store.migrate(db)
            sandbox.migrate(db)

    @app.before_request
    def _connect():
        store.database.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if not store.database.is_closed():
            store.database.close()

    from console import init_app as init_console
    from jobs.scheduler import init_app as init_scheduler

    app.url_map.converters["int"] = IdConverter  # before any blueprint's routes are registered
    init_console(app)
    init_scheduler(app)
    return app


def _make_app():
    # The CLI never runs the scheduler: jobs run on the command line through `tether jobs run`.
    os.environ.setdefault("TETHER_SCHEDULER", "off")
    return create_app()


@click.group(cls=FlaskGroup, create_app=_make_app, add_default_commands=True, set_debug_flag=False)
def cli():
    """Tether: the Central Record side of the Sign In App integration, and a SIMS student import."""


def main():
    """`python app.py`: migrate, seed the demo on an empty database, and serve the console."""
    app = create_app()
    from console.commands.demo import ensure_demo

    with app.app_context(), store.database.connection_context():
        logins = ensure_demo(app)
    port = app.config["TETHER_PORT"]
    print(f"Tether console: http://127.0.0.1:{port}", flush=True)
    if logins:
        print("Demo logins:", flush=True)
        for login in logins:
            print(f"  {login['role']:<8} {login['email']:<28} {login['password']}", flush=True)
    if _env_flag("FLASK_DEBUG", False):
        app.run(host="127.0.0.1", port=port, debug=True, use_reloader=False)
    else:
        from waitress import serve

        serve(app, host="127.0.0.1", port=port, threads=8)


if __name__ == "__main__":
    sys.exit(main())
