"""Tether's application factory, its `tether` command line, and `python app.py` (serve the console).

`create_app(test_config)` follows Flask's tutorial factory: configuration from the environment and
`instance/config.py`, the database bound and migrated, the console blueprints mounted, and the sandbox's
unless `TETHER_SANDBOX` is off.
A served app (`python app.py`, gunicorn) migrates as it starts; the `tether` command line does not, so
`tether db status` can show what is pending and `tether db migrate` is what applies it.
"""
import os
import secrets
import sys

import click
from flask import Flask
from flask.cli import FlaskGroup
from werkzeug.middleware.proxy_fix import ProxyFix
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


FLAG_VALUES = {"1": True, "on": True, "true": True, "yes": True, "0": False, "off": False, "false": False, "no": False}


def _env_flag(name, default):
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return FLAG_VALUES[value.strip().lower()]
    except KeyError:
        raise ValueError(f"{name}={value!r} is not a yes or no; set it to true or false.") from None


def _env_count(name, default, most):
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    if value not in {str(n) for n in range(most + 1)}:
        raise ValueError(f"{name}={value!r} is not a whole number from 0 to {most}.")
    return int(value)


def _max_upload_mb():
    raw = os.environ.get("TETHER_MAX_UPLOAD_MB", str(DEFAULT_MAX_UPLOAD_MB)).strip()
    if not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
        raise SystemExit(f"TETHER_MAX_UPLOAD_MB must be a whole number of megabytes, e.g. 64; it is {raw!r}.")
    return int(raw)


def _secret_key(instance_path):
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    from console.instance import kept_secret

    return os.environ.get("SECRET_KEY") or kept_secret(instance_path, "secret_key", lambda: secrets.token_hex(32))


def create_app(test_config=None, *, migrate=None):
    """The app; `migrate` says whether to bring the schema up to date now (default: AUTO_MIGRATE, on)."""
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
        # The Sign In App sandbox (DESIGN §3): mounted for the demo and `make run`; off in production.
        TETHER_SANDBOX=_env_flag("TETHER_SANDBOX", True),
        TETHER_DEMO_PASSWORD=os.environ.get("TETHER_DEMO_PASSWORD"),
        TETHER_SIMS_DROP=os.environ.get("TETHER_SIMS_DROP") or os.path.join(app.instance_path, "sims-drop"),
        MAX_CONTENT_LENGTH=_max_upload_mb() * 1024 * 1024,
        AUTO_MIGRATE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Off by default for the http://127.0.0.1 demo; on behind HTTPS, so the cookie never goes over http.
        SESSION_COOKIE_SECURE=_env_flag("SESSION_COOKIE_SECURE", False),
        REMEMBER_COOKIE_SECURE=_env_flag("SESSION_COOKIE_SECURE", False),
        # Failed sign-ins allowed per client address and per account email (console/auth.py).
        TETHER_LOGIN_LIMIT_PER_ADDRESS=os.environ.get("TETHER_LOGIN_LIMIT_PER_ADDRESS") or "10 per minute; 50 per hour",
        TETHER_LOGIN_LIMIT_PER_ACCOUNT=os.environ.get("TETHER_LOGIN_LIMIT_PER_ACCOUNT") or "5 per minute; 20 per hour",
        # Where the counts are kept: memory is per process; e.g. redis://host:6379 shares them between processes.
        RATELIMIT_STORAGE_URI=os.environ.get("RATELIMIT_STORAGE_URI") or "memory://",
        # Said for every app: the one Limiter keeps the last app's choice as its default otherwise.
        RATELIMIT_ENABLED=True,
        # Reverse proxies in front of Tether whose X-Forwarded-For/-Proto to believe. 0 believes none, so a
        # client cannot choose its own address; behind one proxy every client would share the proxy's.
        TETHER_PROXIES=_env_count("TETHER_PROXIES", 0, most=5),
        WTF_CSRF_TIME_LIMIT=None,
        NODE_MODULES=os.path.join(os.path.dirname(os.path.abspath(__file__)), "node_modules"),
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)
    from store import sealed

    sealed.use_key(app.config["SECRET_KEY"])  # Sign In App secrets are sealed under a key derived from it

    if app.config.get("DATABASE") is not None:
        # Tests hand over an open database so the app and the test share one connection setup.
        db = app.config["DATABASE"]
        store.database.initialize(db)
    else:
        db = store.bind(app.config["DATABASE_URL"])
    if app.config["AUTO_MIGRATE"] if migrate is None else migrate:
        from console.commands.db import migrate_all

        with store.migration_lock(db):
            migrate_all(db)
            from store.models import SiaConnection

            SiaConnection.seal_plain_secrets()  # secrets saved before migration 0007 kept them plain

    @app.before_request
    def _connect():
        store.database.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if not store.database.is_closed():
            store.database.close()

    if app.config["TETHER_PROXIES"]:
        proxies = app.config["TETHER_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    from console import init_app as init_console
    from jobs.scheduler import init_app as init_scheduler

    app.url_map.converters["int"] = IdConverter  # before any blueprint's routes are registered
    init_console(app)
    init_scheduler(app)
    return app


def _make_app():
    # The CLI never runs the scheduler (jobs run through `tether jobs run`) and never migrates by itself:
    # a command that needs the schema says to run `tether db migrate` (console.commands.common.connected).
    os.environ.setdefault("TETHER_SCHEDULER", "off")
    return create_app(migrate=False)


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
