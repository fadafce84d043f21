"""Error pages a person can act on, and JSON errors for the API.

Two come from the edges rather than from a view: 413, a request body over the limit (the app's
`MAX_CONTENT_LENGTH` for uploads, a few KiB for a sign-in), and 503, an SQLite database locked by
another writer for longer than the busy timeout. Neither is a fault of Tether's: each says what to do.
"""
from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from peewee import OperationalError

# How long a client is told to wait before trying a write again when the database is busy.
RETRY_AFTER_SECONDS = 5

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: ("Not allowed", "Your role cannot do this. Ask a support user or an administrator of the school."),
    404: ("Not found", "There is nothing here, or you do not have access to it."),
    405: ("Not allowed", "This page cannot be used that way."),
    500: ("Something went wrong", "The error has been logged. Try again, and tell support if it keeps happening."),
    503: (
        "Busy, try again",
        f"The database is busy with another change, so nothing was saved. Try again in {RETRY_AFTER_SECONDS} seconds.",
    ),
}


def _wants_json():
    return request.path.startswith(("/api/", "/sandbox/client-api/"))


def _size(limit):
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"


def _is_locked(error):
    return "database is locked" in str(error)


def register(app):
    def render(code, title=None, detail=None):
        default_title, default_detail = MESSAGES.get(code, MESSAGES[500])
        title, detail = title or default_title, detail or default_detail
        if _wants_json():
            return jsonify(message=detail), code
        return render_template("error.html", code=code, title=title, detail=detail), code

    for code in MESSAGES:
        app.register_error_handler(code, lambda exc, code=code: render(code))

    @app.errorhandler(413)
    def too_large(exc):
        limit = request.max_content_length
        detail = "This request is too large." if limit is None else f"This request is larger than the {_size(limit)} allowed here."
        if not _wants_json():
            detail += " Upload a smaller file, or split the export into several."
        return render(413, "Too large", detail)

    @app.errorhandler(OperationalError)
    def database_busy(exc):
        if not _is_locked(exc):
            raise exc  # any other database failure is a 500, logged as such
        response, code = render(503)
        response = app.make_response((response, code))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render(
            400,
            "Form expired",
            "This form's security token is missing or out of date. Reload the page and submit it again.",
        )
