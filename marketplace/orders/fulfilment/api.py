"""Fulfilment JSON API (ARCHITECTURE.md §5): the artisan's orders to ship, ship, cancel; the buyer
confirms delivery; admins search orders."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.web.auth import api_auth, require_user
from marketplace.web.apidoc import error_responses
from marketplace.db import utcnow
from marketplace.web.transaction import get_session
from marketplace.orders import schemas, services
from marketplace.orders.fulfilment import services as fulfilment
from marketplace.shipping import tracking
from marketplace.web.deps import deps

bp = Blueprint("fulfilment_api", __name__, url_prefix="/api/v1", description="Fulfilment")

BUYER, ARTISAN, ADMIN = Role.BUYER.value, Role.ARTISAN.value, Role.ADMIN.value


@bp.route("/seller/orders", methods=["GET"])
@api_auth(ARTISAN)
@bp.arguments(schemas.SellerOrdersQuery, location="query")
@bp.response(200, schemas.SellerOrderList)
def seller_orders(query: dict[str, Any]) -> Any:
    """The caller's paid orders, those to ship first (by the date to ship by)."""
    return {"items": fulfilment.seller_orders(get_session(), require_user(), query.get("status"))}


@bp.route("/seller/orders/<int:seller_order_id>/ship", methods=["POST"])
@bp.doc(**error_responses(409, 503))
@api_auth(ARTISAN)
@bp.arguments(schemas.ShipIn)
@bp.response(200, schemas.SellerOrderDetail)
def ship(body: dict[str, Any], seller_order_id: int) -> Any:
    """Mark a paid order shipped with its courier and tracking number, or ``book_courier: true`` to book
    the courier chosen at checkout (the waybill becomes the tracking number); 409 if not awaiting
    shipment (booking twice too), 409 ``booking_unsupported`` without a courier service, 503
    ``courier_unavailable`` when the courier does not answer (retried with the same reference)."""
    if body["book_courier"]:
        return tracking.book_courier(get_session(), require_user(), seller_order_id, deps().shipping_provider,
                                     now=utcnow())
    return fulfilment.ship(get_session(), require_user(), seller_order_id, now=utcnow(),
                           courier=body["courier"], tracking_number=body["tracking_number"])


@bp.route("/seller/orders/<int:seller_order_id>/cancel", methods=["POST"])
@bp.doc(**error_responses(409))
@api_auth(ARTISAN)
@bp.arguments(schemas.CancelIn)
@bp.response(200, schemas.SellerOrderDetail)
def cancel(body: dict[str, Any], seller_order_id: int) -> Any:
    """Cancel your part of a paid order before shipping: the stock goes back, the buyer is owed it."""
    return fulfilment.cancel_part(get_session(), require_user(), seller_order_id, reason=body["reason"], now=utcnow())


@bp.route("/seller-orders/<int:seller_order_id>/confirm-delivery", methods=["POST"])
@bp.doc(**error_responses(409))
@api_auth(BUYER)
@bp.response(200, schemas.SellerOrderOut)
def confirm_delivery(seller_order_id: int) -> Any:
    """The buyer received this parcel; 409 if it was not shipped."""
    return fulfilment.confirm_delivery(get_session(), require_user(), seller_order_id, now=utcnow())


@bp.route("/admin/orders", methods=["GET"])
@api_auth(ADMIN)
@bp.arguments(schemas.AdminOrdersQuery, location="query")
@bp.response(200, schemas.OrderList)
def admin_orders(query: dict[str, Any]) -> Any:
    """Orders, newest first, by status and by order number, buyer name, e-mail or recipient."""
    return {"items": services.search(get_session(), status=query.get("status"), q=query.get("q"))}
