"""Shops JSON API: open a shop, see and edit your own, view anyone's; admins suspend and reinstate a shop."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.web.auth import api_auth, require_user
from marketplace.web.apidoc import error_responses
from marketplace.web.transaction import get_session
from marketplace.reviews import services as reviews
from marketplace.shops import admin, schemas, services
from marketplace.shops.models import Shop

bp = Blueprint("shops_api", __name__, url_prefix="/api/v1", description="Shops")

ARTISAN, ADMIN = Role.ARTISAN.value, Role.ADMIN.value


def _out(session: Session, shop: Shop) -> dict[str, Any]:
    """What :class:`~marketplace.shops.schemas.ShopOut` dumps: the shop and its number of public listings."""
    return {"shop": shop, "approved_listings_count": services.approved_listing_count(session, shop.id)}


@bp.route("/shops", methods=["POST"])
@bp.doc(**error_responses(409))
@api_auth(ARTISAN)
@bp.arguments(schemas.ShopIn)
@bp.response(201, schemas.ShopOut)
def create_shop(body: dict[str, Any]) -> Any:
    """Open the calling artisan's shop (one per artisan: a second one is 409)."""
    session = get_session()
    shop = services.create_shop(session, require_user(ARTISAN), **body)
    return _out(session, shop)


@bp.route("/shops/me", methods=["GET"])
@bp.doc(**error_responses(404))
@api_auth(ARTISAN)
@bp.response(200, schemas.ShopOut)
def my_shop() -> Any:
    """The calling artisan's shop (404 before they open one)."""
    session = get_session()
    return _out(session, services.require_shop_for_owner(session, require_user().id))


@bp.route("/shops/me", methods=["PATCH"])
@bp.doc(**error_responses(404))
@api_auth(ARTISAN)
@bp.arguments(schemas.ShopPatch)
@bp.response(200, schemas.ShopOut)
def update_my_shop(body: dict[str, Any]) -> Any:
    """Edit the calling artisan's shop; only the fields sent change."""
    session = get_session()
    shop = services.update_shop(session, services.require_shop_for_owner(session, require_user().id), body)
    return _out(session, shop)


@bp.route("/shops/<int:shop_id>", methods=["GET"])
@bp.response(200, schemas.ShopOut)
def get_shop(shop_id: int) -> Any:
    """Any shop, public, with the number of its approved listings and its ``rating: {average, count}``."""
    session = get_session()
    shop = services.get_shop(session, shop_id)
    return {**_out(session, shop), "rating": reviews.summary(session, shop_id=shop.id).as_dict()}


@bp.route("/admin/shops/<int:shop_id>/suspend", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth(ADMIN)
@bp.arguments(schemas.SuspendIn)
@bp.response(200, schemas.AdminShopOut)
def suspend(body: dict[str, Any], shop_id: int) -> Any:
    """Suspend the shop: its listings leave the catalogue, its artisan is logged out once and, logged in
    again, may only ship or cancel open orders (which are paid out as usual); anything else they try is
    403 ``shop_suspended``. 409 ``already_suspended``."""
    return admin.suspend(get_session(), require_user(ADMIN), shop_id, body["reason"])


@bp.route("/admin/shops/<int:shop_id>/reinstate", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth(ADMIN)
@bp.response(200, schemas.AdminShopOut)
def reinstate(shop_id: int) -> Any:
    """Lift the suspension: listings back in the catalogue, the artisan may change things again. 409
    ``not_suspended``."""
    return admin.reinstate(get_session(), require_user(ADMIN), shop_id)
