"""The support console: Flask blueprints, Jinja templates and htmx partials over sync/ and compliance/."""
import os

from flask import abort, send_from_directory

from connectors.sia import serve_sandbox_from
from store import policy
from sync import sign_ins

from . import access, nav
from .extensions import csrf, htmx
from .inputs import refuse_nul_characters
from .security import add_security_headers

# The only files served out of node_modules: what the layout loads, nothing else.
VENDOR_FILES = {
    "htmx.min.js": ("htmx.org", "dist/htmx.min.js"),
    "pico.min.css": ("@picocss/pico", "css/pico.min.css"),
}


def init_app(app):
    from . import auth, groups

    auth.init_app(app)
    groups.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    app.after_request(add_security_headers)
    app.before_request(refuse_nul_characters)

    @app.route("/vendor/<name>")
    def vendor(name):
        if name not in VENDOR_FILES:
            abort(404)
        package, path = VENDOR_FILES[name]
        root = os.path.join(app.config["NODE_MODULES"], package)
        return send_from_directory(root, path, max_age=3600)

    @app.context_processor
    def layout_context():
        site, school = nav.entries()
        return {"nav_site": site, "nav_school": school, "current_org_id": nav.current_organisation_id()}

    app.jinja_env.globals.update(
        can=access.can, reaches_through_support_access=policy.reaches_through_support_access, role_summaries=policy.ROLE_SUMMARIES,
        sign_ins=sign_ins,  # Sign In App's sign-in times, sites and permissions in words (profile, diagnostics)
    )

    from . import api, audit, auth, compliance, diagnostics, duplicates, errors, exclusions, fields, mapping, notifications, overview
    from . import connection, getting_started, operations, profiles, runs, settings, students, support_access, trusts, upload, users

    app.register_blueprint(auth.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(api.bp)
    # Before compliance: profiles.show answers the profile URL and includes the compliance partials.
    app.register_blueprint(profiles.bp)
    app.register_blueprint(compliance.bp)
    app.register_blueprint(students.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(users.bp)
    app.register_blueprint(mapping.bp)
    app.register_blueprint(fields.bp)
    app.register_blueprint(duplicates.bp)
    app.register_blueprint(exclusions.bp)
    app.register_blueprint(runs.bp)
    app.register_blueprint(upload.bp)
    app.register_blueprint(diagnostics.bp)
    app.register_blueprint(getting_started.bp)
    app.register_blueprint(support_access.bp)
    app.register_blueprint(trusts.bp)
    app.register_blueprint(connection.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(operations.bp)
    errors.register(app)

    if app.config.get("TETHER_SANDBOX", True):
        import sandbox

        csrf.exempt(sandbox.api_bp)
        app.register_blueprint(sandbox.api_bp, url_prefix="/sandbox")
        app.register_blueprint(sandbox.ui_bp, url_prefix="/sandbox")
        # Another system, and a closed one: its pages are for a signed-in Tether support user only.
        access.guard_blueprint(app, sandbox.ui_bp, "use_sandbox")
        # Sign In App connections of kind `sandbox` reach it in-process, through this app.
        serve_sandbox_from(app)
    else:
        # Off (production): no sandbox pages or API, and a `sandbox` connection says so when used.
        serve_sandbox_from(None)

    from .commands import register_commands

    register_commands(app)
