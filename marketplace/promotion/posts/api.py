"""Promotion JSON API for admins: each listing's post per channel, and a retry of a failed one.
Thin: a schema parses, one service acts."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.web.auth import api_auth
from marketplace.web.apidoc import error_responses
from marketplace.db import utcnow
from marketplace.web.transaction import get_session
from marketplace.promotion.posts import schemas, services

bp = Blueprint("promotion_api", __name__, url_prefix="/api/v1", description="Promotion on social channels")
ADMIN = Role.ADMIN.value


@bp.route("/admin/promotions", methods=["GET"])
@api_auth(ADMIN)
@bp.arguments(schemas.PromotionsQuery, location="query")
@bp.response(200, schemas.PromotionList)
def admin_promotions(query: dict[str, Any]) -> Any:
    """Promotions, newest first, by listing, channel and status: the post's link, attempts, last error."""
    rows = services.admin_list(get_session(), listing_id=query.get("listing_id"), channel=query.get("channel"),
                               status=query.get("status"))
    return {"items": [services.as_item(row) for row in rows]}


@bp.route("/admin/promotions/<int:promotion_id>/retry", methods=["POST"])
@api_auth(ADMIN)
@bp.response(200, schemas.PromotionOut)
@bp.doc(**error_responses(404, 409))
def retry(promotion_id: int) -> Any:
    """Queue a failed or refused post again; 409 for any other, or when the listing is no longer public."""
    return services.as_item(services.retry(get_session(), promotion_id, utcnow()))
