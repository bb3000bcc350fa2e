"""Password reset pages: ``/forgot-password`` asks for the e-mail, ``/reset-password/<token>`` sets the
new password (the use cases are ``marketplace.accounts.reset.services``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from wtforms import EmailField, PasswordField

from marketplace.accounts.reset import services as reset
from marketplace.db import utcnow
from marketplace.web.transaction import get_session
from marketplace.errors import DomainError
from marketplace.web.extensions import limiter
from marketplace.web.forms import SchemaForm, load_form
from marketplace.web.i18n import gettext as _
from marketplace.web.errors import status_for
from marketplace.web.deps import deps

bp = Blueprint("password_reset_pages", __name__)


class ForgotPasswordForm(SchemaForm):
    email = EmailField("Email")


class ResetPasswordForm(SchemaForm):
    password = PasswordField("New password")


def _limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def forgot_password() -> Any:
    """Ask for a reset link; the answer is the same whether or not the e-mail has an account."""
    form = ForgotPasswordForm()
    values, status = load_form(form, reset.ForgotPasswordIn())
    if values is not None:
        reset.request_reset(get_session(), deps().settings, values["email"], utcnow())
        flash(_("If an account uses that e-mail address, we have sent it a link to choose a new password."), "info")
        return redirect(url_for("accounts_pages.login"))
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def reset_password(token: str) -> Any:
    """Choose a new password with the link from the e-mail (once, before it expires)."""
    settings = deps().settings
    try:
        reset.user_for_token(get_session(), settings, token, utcnow())
    except DomainError as err:
        return render_template("accounts/reset_password.html", form=None, error=str(err)), status_for(err)
    form = ResetPasswordForm()
    values, status = load_form(form, reset.ResetPasswordIn())
    if values is not None:
        reset.reset_password(get_session(), settings, token, values["password"], utcnow())
        flash(_("Your password has been changed. Log in with the new one."), "info")
        return redirect(url_for("accounts_pages.login"))
    return render_template("accounts/reset_password.html", form=form, error=None), status
