"""Signing in and out of the console.

A wrong email and a wrong password get the same answer, in the same time: the password check runs
against a dummy hash when no such user exists, so the response does not say which emails exist.
"""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from store.models import AuditEvent, User

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = "That email and password do not match an account. Check both and try again."
_DUMMY_HASH = generate_password_hash("not a real password")


def hash_password(password):
    return generate_password_hash(password)


def authenticate(email, password):
    """The active user with this email and password, or None."""
    user = User.by_email(email)
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


def _safe_next(target):
    """Only same-site relative paths, so a crafted link cannot bounce a signed-in user elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("overview.index"), 303)
    email = request.form.get("email", "")
    if request.method == "POST":
        user = authenticate(email, request.form.get("password", ""))
        if user is not None:
            login_user(user)
            AuditEvent.record("login", actor=user, subject=f"user:{user.id}")
            return redirect(_safe_next(request.args.get("next")) or url_for("overview.index"), 303)
        flash(SIGN_IN_FAILED, "error")
        return render_template("auth/login.html", email=email), 401
    return render_template("auth/login.html", email=email)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"), 303)
