"""Users (support only): console accounts, their roles and the organisations they may see."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from playhouse.flask_utils import get_object_or_404

from store.ids import is_id
from store.models import Organisation, User, UserOrganisation
from store.search import search_phrase

from . import nav
from .access import allowed
from .accounts import AccountError, create_user, reset_password, update_user
from .paging import paginate, render_list

bp = Blueprint("users", __name__, url_prefix="/users")


def _form_values():
    return {
        "email": request.form.get("email", "").strip(),
        "name": request.form.get("name", ""),
        "role": request.form.get("role", ""),
        "organisation_ids": [int(i) for i in request.form.getlist("organisations") if is_id(i)],
        "active": request.form.get("active") == "on",
    }


@bp.route("/")
@login_required
@allowed("manage_users")
def index():
    query = User.select().order_by(User.email)
    q = search_phrase(request.args.get("q", ""))
    if q:
        query = query.where(User.email.contains(q) | User.name.contains(q))
    memberships = UserOrganisation.select(UserOrganisation, Organisation).join(Organisation)
    return render_list("users/index.html", page=paginate(query, related=[memberships]), q=q)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@allowed("manage_users")
def new():
    organisations = list(Organisation.select().order_by(Organisation.name))
    values = {"email": "", "name": "", "role": "admin", "organisation_ids": [], "active": True}
    if request.method == "POST":
        values = _form_values()
        try:
            user, password = create_user(
                values["email"], values["role"], values["organisation_ids"], name=values["name"], actor=current_user
            )
        except AccountError as exc:
            flash(str(exc).capitalize(), "error")
            return render_template("users/form.html", values=values, organisations=organisations, user=None), 422
        return render_template("users/created.html", user=user, password=password)
    return render_template("users/form.html", values=values, organisations=organisations, user=None)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@login_required
@allowed("manage_users")
def edit(user_id):
    user = get_object_or_404(User, User.id == user_id)
    organisations = list(Organisation.select().order_by(Organisation.name))
    if request.method == "POST":
        values = _form_values()
        try:
            update_user(
                user,
                role=values["role"],
                organisation_ids=values["organisation_ids"],
                name=values["name"],
                active=values["active"],
                actor=current_user,
            )
        except AccountError as exc:
            flash(str(exc).capitalize(), "error")
            values["email"] = user.email
            return render_template("users/form.html", values=values, organisations=organisations, user=user), 422
        flash(f"Saved {user.email}.", "success")
        return redirect(url_for(".index"), code=303)
    values = {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "organisation_ids": [m.organisation_id for m in user.memberships],
        "active": user.active,
    }
    return render_template("users/form.html", values=values, organisations=organisations, user=user)


@bp.route("/<int:user_id>/reset-password", methods=["POST"])
@login_required
@allowed("manage_users")
def reset(user_id):
    user = get_object_or_404(User, User.id == user_id)
    password = reset_password(user, actor=current_user)
    return render_template("users/created.html", user=user, password=password, reset=True)


nav.register("Users", "users.index", per_organisation=False)
