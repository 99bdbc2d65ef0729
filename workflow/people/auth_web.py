"""Logging in and out, and choosing the interface language."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from workflow.cases.forms import ConfirmForm, LanguageForm, LoginForm
from workflow.models import User
from workflow.people import accounts, sso
from workflow.platform.errors import ServiceError

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "POST" and not accounts.local_login_enabled():
        return _login_page(form, accounts.LocalLoginDisabled())
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.username.data, form.password.data,
                                         request.remote_addr)
        except ServiceError as error:  # locked, or passwords switched off
            return _login_page(form, error)
        if user is not None:
            _log_in(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("cases.home"))
        flash(_("Fel användarnamn eller lösenord."), "error")
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form), 422 if form.errors else 200


@bp.get("/login/sso")
def sso_start():
    """Off to the organisation's identity provider (workflow/people/sso.py)."""
    if not sso.enabled():
        abort(404)
    redirect_uri = (current_app.config["OIDC_REDIRECT_URI"]
                    or url_for("auth.sso_callback", _external=True))
    try:
        response = sso.start(redirect_uri)
    except sso.SsoError as error:
        return _login_page(LoginForm(), error)
    session["sso_next"] = _safe_next(request.args.get("next"))
    return response


@bp.get("/login/sso/callback")
def sso_callback():
    if not sso.enabled():
        abort(404)
    next_url = _safe_next(session.pop("sso_next", None))
    try:
        user = sso.finish()
    except sso.SsoError as error:
        return _login_page(LoginForm(), error)
    _log_in(user)
    return redirect(next_url or url_for("cases.home"))


def _log_in(user: User) -> None:
    """A fresh session (no fixation) that ends after PERMANENT_SESSION_LIFETIME idle, or when
    the user logs out anywhere (the session generation, checked by the user loader).

    A language picked in this browser before logging in stays; otherwise the one the person
    stored on an earlier pick (on any device) is used."""
    lang = session.get("lang")
    session.clear()
    login_user(user)
    session[accounts.SESSION_GENERATION_KEY] = user.session_generation
    session.permanent = True
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    elif user.language in current_app.config["LANGUAGES"]:
        session["lang"] = user.language


def _login_page(form: LoginForm, error: ServiceError):
    flash(error.text, "error")
    response = current_app.make_response(
        (render_template("login.html", form=form), error.status))
    if isinstance(error, accounts.LoginLocked):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


@bp.post("/logout")
@login_required
def logout():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    lang = session.get("lang")
    # Server-side: every copy of this session cookie (and the user's other sessions) ends.
    accounts.end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Du är utloggad."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
        if current_user.is_authenticated and current_user.language != form.lang.data:
            accounts.set_language(current_user._get_current_object(), form.lang.data)
    return redirect(_safe_next(request.form.get("next")) or url_for("cases.home"))


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths, so a crafted link cannot send the user elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
