"""Refuses a request whose query string or form holds a NUL character, before any view reads it.

No field of Tether's may hold a NUL, and PostgreSQL refuses one in text: let through, it would fail
deep inside a query as a 500. The pages send forms and query strings; the API reads JSON bodies, whose
ids are checked where they are read, so a JSON body is not parsed here (the sign-in is a hot path).
"""
from flask import render_template, request

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
NUL_REFUSED = ("The address or the form contained a NUL character (%00), which no field may hold. "
               "Go back, retype what you searched or entered, and try again.")


def refuse_nul_characters():
    sent = [request.args, request.form] if request.mimetype in FORM_TYPES else [request.args]
    for values in sent:
        if any("\x00" in key or "\x00" in value for key, value in values.items(multi=True)):
            return render_template("error.html", code=400, title="Bad request", detail=NUL_REFUSED), 400
    return None
