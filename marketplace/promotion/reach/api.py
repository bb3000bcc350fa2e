"""Promotion reach JSON API: the artisan's share kit, the admin's figures per channel."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.web.auth import api_auth, require_user
from marketplace.web.apidoc import error_responses
from marketplace.web.transaction import get_session
from marketplace.web.deps import deps
from marketplace.promotion.reach import schemas
from marketplace.promotion.reach import services
from marketplace.promotion.reach.services import figures_for, share_kit_for

bp = Blueprint("promotion_reach_api", __name__, url_prefix="/api/v1", description="Promotion: share kit, figures")

ARTISAN, ADMIN = Role.ARTISAN.value, Role.ADMIN.value


@bp.route("/seller/listings/<int:listing_id>/share-kit", methods=["GET"])
@bp.doc(**error_responses(404, 409))
@api_auth(ARTISAN)
@bp.response(200, schemas.ShareKitOut)
def share_kit(listing_id: int) -> Any:
    """Square and story images of the caller's approved listing with a ready caption, as drawn for what
    the listing shows now (the promotion worker draws them when it is approved); 409
    ``share_kit_not_drawn`` until then (POST draws them at once), 409 ``not_approved`` for a listing not
    approved; another artisan's listing is 403 (approved) or 404."""
    return share_kit_for(get_session(), deps().settings, deps().media_storage, require_user(ARTISAN), listing_id)


@bp.route("/seller/listings/<int:listing_id>/share-kit", methods=["POST"])
@bp.doc(**error_responses(404, 409, 503))
@api_auth(ARTISAN)
@bp.response(200, schemas.ShareKitOut)
def draw_share_kit(listing_id: int) -> Any:
    """Draw the kit now if what the listing shows has none yet (nothing is redrawn when it is current);
    the answer is the GET's. 503 ``media_unavailable`` when the images cannot be stored."""
    return services.draw_share_kit(get_session(), deps().settings, deps().media_storage,
                                   require_user(ARTISAN), listing_id)


@bp.route("/admin/promotions/figures", methods=["GET"])
@api_auth(ADMIN)
@bp.arguments(schemas.FiguresQuery, location="query")
@bp.response(200, schemas.FiguresOut)
def figures(query: dict[str, Any]) -> Any:
    """Visits, attributed orders and their value per channel over a period (default: the last 30
    days); a reversed, future or over-long period is a 422."""
    since, until = schemas.period(query)
    return figures_for(get_session(), deps().settings, since, until)

