"""The account's "your data" page: download what we hold, close the account."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, url_for

from marketplace.errors import DomainError
from marketplace.orders.schemas import OrderOut
from marketplace.privacy import schemas, services
from marketplace.privacy.forms import CloseAccountForm
from marketplace.web.auth import log_out, login_required, require_user
from marketplace.web.deps import deps
from marketplace.web.forms import load_form, show_errors
from marketplace.web.i18n import gettext as _
from marketplace.web.transaction import get_session

bp = Blueprint("privacy_pages", __name__)


@bp.route("/account/data", methods=["GET", "POST"])
@login_required()
def data() -> Any:
    """Download your data; close your account (with your password), or why it cannot be closed yet."""
    user = require_user()
    form = CloseAccountForm()
    values, status = load_form(form, schemas.CloseAccountIn())
    if values is not None:
        try:
            services.close_own_account(get_session(), user, values["password"], deps().clock(),
                                            deps().media_storage)
        except DomainError as err:
            status = show_errors(form, err)
        else:
            log_out()
            flash(_("Your account is closed and your personal data erased. Thank you for using Pasar Kreatif."), "info")
            return redirect(url_for("catalog_pages.home"))
    reasons = services.reasons_to_wait(get_session(), user)
    return render_template("privacy/data.html", form=form, reasons=reasons), status


@bp.route("/account/data/export.json")
@login_required()
def export() -> Any:
    """Everything we hold about you, as a JSON file to keep."""
    data = services.export_for(get_session(), require_user(), OrderOut(many=True).dump)
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="pasar-kreatif-data-saya.json"'})
