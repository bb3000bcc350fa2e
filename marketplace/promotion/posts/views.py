"""The admins' promotion page: each listing's post per channel (status, link, attempts, last error),
filtered like the API, with a retry button for failed and refused posts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from marketplace.accounts.models import Role
from marketplace.web.auth import login_required
from marketplace.db import utcnow
from marketplace.web.transaction import get_session
from marketplace.errors import DomainError
from marketplace.web.i18n import gettext as _
from marketplace.web.forms import CsrfOnly, flash_refusal
from marketplace.promotion.posts import schemas, services
from marketplace.promotion.posts.models import CHANNEL_NAMES, PromotionStatus

bp = Blueprint("promotion_pages", __name__)
ADMIN = Role.ADMIN.value


@bp.route("/admin/promotions")
@login_required(ADMIN)
def admin() -> Any:
    """Promotions, newest first; the filters are the API's (a bad one is ignored, with a message)."""
    try:
        query = schemas.PromotionsQuery().load({k: v for k, v in request.args.items() if v})
    except ValidationError:
        flash(_("That filter is not valid; showing every promotion."), "error")
        query = {}
    rows = services.admin_list(get_session(), listing_id=query.get("listing_id"), channel=query.get("channel"),
                               status=query.get("status"))
    return render_template("promotion/admin.html", rows=rows, query=query, channels=CHANNEL_NAMES,
                           statuses=[s.value for s in PromotionStatus], retryable=services.RETRYABLE,
                           retry_form=CsrfOnly(formdata=None))


@bp.route("/admin/promotions/<int:promotion_id>/retry", methods=["POST"])
@login_required(ADMIN)
def retry(promotion_id: int) -> Any:
    """Queue a failed or refused post again."""
    if not CsrfOnly().validate_on_submit():
        return redirect(url_for(".admin"))
    try:
        services.retry(get_session(), promotion_id, utcnow())
    except DomainError as err:
        flash_refusal(err)
        return redirect(url_for(".admin"))
    flash(_("The post is queued again."), "info")
    return redirect(url_for(".admin"))
