"""Error pages a person can act on, and JSON errors for the API."""
from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: ("Not allowed", "Your role cannot do this. Ask a support user or an administrator of the school."),
    404: ("Not found", "There is nothing here, or you do not have access to it."),
    405: ("Not allowed", "This page cannot be used that way."),
    500: ("Something went wrong", "The error has been logged. Try again, and tell support if it keeps happening."),
}


def _wants_json():
    return request.path.startswith(("/api/", "/sandbox/client-api/"))


def register(app):
    def render(code, title=None, detail=None):
        default_title, default_detail = MESSAGES.get(code, MESSAGES[500])
        title, detail = title or default_title, detail or default_detail
        if _wants_json():
            return jsonify(message=detail), code
        return render_template("error.html", code=code, title=title, detail=detail), code

    for code in MESSAGES:
        app.register_error_handler(code, lambda exc, code=code: render(code))

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render(
            400,
            "Form expired",
            "This form's security token is missing or out of date. Reload the page and submit it again.",
        )
