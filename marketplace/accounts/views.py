"""Account pages: log in, log out, register, account settings (password change), language switch.

Logging in (or registering as a buyer) folds the visitor's session cart into the account
(:func:`marketplace.cart.session_cart.take_out_for`) before the session is renewed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for, session as web_session

from marketplace.accounts import schemas, services
from marketplace.accounts.forms import LoginForm, PasswordChangeForm, RegisterForm
from marketplace.accounts.schemas import REGISTER_ROLES
from marketplace.accounts.api import login_limits
from marketplace.accounts.welcome import welcome
from marketplace.db import utcnow
from marketplace.web.deps import deps
from marketplace.web.auth import log_in, log_out, login_required, require_user
from marketplace.cart import session_cart
from marketplace.web.transaction import get_session
from marketplace.errors import DomainError, Forbidden
from marketplace.web.extensions import limiter
from marketplace.web.forms import load_form, show_errors
from marketplace.web import language_urls
from marketplace.web.i18n import LOCALES
from marketplace.web.i18n import gettext as _

bp = Blueprint("accounts_pages", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative redirects after login (no open redirect)."""
    if not target:
        return url_for("catalog_pages.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("catalog_pages.home")
    return target.rstrip("?") or "/"


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@login_limits  # one counter each with the API's
def login() -> Any:
    """Log in with e-mail and password."""
    form = LoginForm()
    values, status = load_form(form, schemas.TokenIn())
    if values is not None:
        try:
            user = services.authenticate(get_session(), values["email"], values["password"])
        except Forbidden as err:  # a suspended account: say so, not "wrong password"
            form.form_errors.append(err.message)
            status = 403
        except DomainError:
            form.form_errors.append("Wrong e-mail or password.")
            status = 401
        else:
            session_cart.take_out_for(web_session, get_session(), user)
            log_in(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Log out (POST with CSRF token, so a link elsewhere cannot log you out)."""
    log_out()
    flash(_("You are logged out."), "info")
    return redirect(url_for("catalog_pages.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.shared_limit(_register_limit, scope="register", methods=["POST"])  # one counter with the API's
def register() -> Any:
    """Create a buyer or artisan account, then log in (rate-limited per client address)."""
    form = RegisterForm()
    if request.method == "GET" and request.args.get("role") in REGISTER_ROLES:
        form.role.data = request.args["role"]  # "Sell your work" links here with role=artisan
    values, status = load_form(form, schemas.RegisterIn())
    if values is not None:
        try:
            user = services.register(get_session(), **values)
        except DomainError as err:
            status = show_errors(form, err)
        else:
            welcome(get_session(), deps().settings, user, utcnow())
            session_cart.take_out_for(web_session, get_session(), user)
            log_in(user)
            if user.is_artisan:
                flash(_("Welcome, {name}! Your account is ready; now open your shop.", name=user.name), "info")
                return redirect(url_for("shops_pages.new_shop"))
            flash(_("Welcome, {name}! Your account is ready.", name=user.name), "info")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/register.html", form=form), status


@bp.route("/account", methods=["GET", "POST"])
@login_required()
def account() -> Any:
    """Account settings: change the password, which logs out every other browser and revokes API tokens."""
    form = PasswordChangeForm()
    values, status = load_form(form, schemas.PasswordChangeIn())
    if values is not None:
        user = require_user()
        try:
            services.change_password(get_session(), user, **values)
        except DomainError as err:
            status = show_errors(form, err)
        else:
            log_in(user)  # this browser stays logged in, on a new session; every other one is out
            flash(_("Your password is changed. Every other browser and API token was logged out."), "info")
            return redirect(url_for("accounts_pages.account"))
    return render_template("accounts/account.html", form=form), status


@bp.route("/lang/<code>")
def set_language(code: str) -> Any:
    """Switch the interface language (Bahasa Indonesia or English)."""
    target = _safe_next(request.args.get("next") or request.referrer and urlsplit(request.referrer).path)
    resp = make_response(redirect(language_urls.switch_target(code, target) if code in LOCALES else target))
    if code in LOCALES:
        resp.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return resp
