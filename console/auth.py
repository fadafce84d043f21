"""Signing in and out of the console, and the login glue between Flask-Login and the store's users.

A wrong email and a wrong password get the same answer, in the same time: the password check runs
against a dummy hash when no such user exists, so the response does not say which emails exist.

Failed sign-ins are counted per address and per account email (Flask-Limiter, limits in
TETHER_LOGIN_LIMIT_PER_ADDRESS and TETHER_LOGIN_LIMIT_PER_ACCOUNT); past either limit the form answers
429 with Retry-After, even to the right password, until the window passes. Signing in successfully
counts against neither.

A session lasts while it carries its user's current session token (User.session_token): signing out
and every new password give the user a new one, which ends every session signed in before, on every
device, including a cookie someone copied.
"""
import math
import re
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from limits import parse_many
from werkzeug.security import check_password_hash, generate_password_hash

from store.models import AuditEvent, User

from .extensions import limiter, login_manager

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = "That email and password do not match an account. Check both and try again."
_DUMMY_HASH = generate_password_hash("not a real password")
# Longer than any email address (RFC 5321) or any password a person types: refused unread.
EMAIL_MAX_LENGTH = 254
PASSWORD_MAX_LENGTH = 1024
LIMIT_SETTINGS = ("TETHER_LOGIN_LIMIT_PER_ADDRESS", "TETHER_LOGIN_LIMIT_PER_ACCOUNT")
_SESSION_ID = re.compile(r"([1-9][0-9]{0,18}):([A-Za-z0-9_-]{1,64})", re.ASCII)


class SignedInUser(UserMixin, User):
    """A console user as Flask-Login sees them: `current_user` is one of these.

    A subclass of the store's User on the same table, rather than a wrapper, so that to everything
    else `current_user` simply is a User: `.role`, `.email`, what `store.policy` asks of a user, a foreign
    key in a query, the actor of a service's audit event. The store
    stays free of Flask-Login; the protocol (`is_active`, `get_id`) is added here. One caveat of
    peewee: a SignedInUser never equals a User (`==` compares classes), so compare ids.
    """

    class Meta:
        table_name = User._meta.table_name

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        # Flask-Login's "alternative token": the session keeps the id and the session token, and the
        # loader accepts it only while the token is still the user's.
        return f"{self.id}:{self.session_token}"


@login_manager.user_loader
def load_user(session_id):
    """The signed-in user of a session, while its token is still theirs and their account is active."""
    match = _SESSION_ID.fullmatch(session_id or "")
    if match is None:
        return None
    user_id, token = match.groups()
    return SignedInUser.get_or_none(
        (SignedInUser.id == int(user_id)) & (SignedInUser.session_token == token) & SignedInUser.active
    )


def init_app(app):
    """Sessions and sign-in limits for `app`; a limit that cannot be read stops the app starting."""
    for name in LIMIT_SETTINGS:
        try:
            parse_many(app.config[name])
        except ValueError:
            raise ValueError(
                f"{name}={app.config[name]!r} is not a rate limit; write it like '10 per minute; 50 per hour'."
            ) from None
    login_manager.init_app(app)
    limiter.init_app(app)


def authenticate(email, password):
    """The active user with this email and password, or None."""
    user = SignedInUser.by_email(email) if len(email) <= EMAIL_MAX_LENGTH else None
    if len(password) > PASSWORD_MAX_LENGTH:
        return None
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if user.has_password(password) else None


def safe_next(target):
    """`target` if it is a path on this site, else None, so a crafted link cannot send a signed-in
    user elsewhere: no scheme, no host, no backslash (browsers read `/\\evil` as `//evil`), and no
    control character (a CR or LF cannot go into the Location header)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _email_given():
    return request.form.get("email", "").strip().lower()[:EMAIL_MAX_LENGTH]


def _account_key():
    return "account:" + _email_given()


def _sign_in_failed(response):
    return response.status_code == 401


def _in_words(seconds):
    minutes = math.ceil(seconds / 60)
    return "in a minute" if minutes <= 1 else f"in {minutes} minutes"


def _too_many_attempts(request_limit):
    """The 429 page: what happened and when to try again, with Retry-After for machines."""
    retry_after = max(1, math.ceil(request_limit.window.reset_time - time.time()))
    page = render_template("auth/too_many_attempts.html", wait=_in_words(retry_after))
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(retry_after)
    return response


def _limit(setting, **options):
    return limiter.limit(
        lambda: current_app.config[setting],
        methods=["POST"],
        deduct_when=_sign_in_failed,
        on_breach=_too_many_attempts,
        **options,
    )


@bp.route("/login", methods=["GET", "POST"])
@_limit("TETHER_LOGIN_LIMIT_PER_ADDRESS")
@_limit("TETHER_LOGIN_LIMIT_PER_ACCOUNT", key_func=_account_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("overview.index"), 303)
    email = request.form.get("email", "")
    if request.method == "POST":
        user = authenticate(email, request.form.get("password", ""))
        if user is not None:
            login_user(user)
            AuditEvent.record("login", actor=user, subject=f"user:{user.id}")
            return redirect(safe_next(request.args.get("next")) or url_for("overview.index"), 303)
        flash(SIGN_IN_FAILED, "error")
        return render_template("auth/login.html", email=email[:EMAIL_MAX_LENGTH]), 401
    return render_template("auth/login.html", email=email)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    current_user.end_sessions()
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"), 303)
