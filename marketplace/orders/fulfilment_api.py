"""Fulfilment JSON API (ARCHITECTURE.md §5): the artisan's orders to ship, ship, cancel; the buyer
confirms delivery; admins search orders."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.accounts.models import Role
from marketplace.accounts.security import api_auth, require_user
from marketplace.db import get_session, utcnow
from marketplace.fields import TrimmedString
from marketplace.orders import fulfilment, schemas, services
from marketplace.orders.models import OrderStatus

bp = Blueprint("fulfilment_api", __name__, url_prefix="/api/v1", description="Fulfilment")

BUYER, ARTISAN, ADMIN = Role.BUYER.value, Role.ARTISAN.value, Role.ADMIN.value


class SellerOrdersQuery(Schema):
    status = fields.String(validate=validate.OneOf(list(fulfilment.VISIBLE_TO_SELLER)))


class ShipIn(Schema):
    courier = TrimmedString(required=True, validate=validate.Length(2, 64, error="Use 2 to 64 characters."))
    tracking_number = TrimmedString(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9\-]{4,64}$", error="Use 4 to 64 letters, digits or dashes."))


class CancelIn(Schema):
    reason = TrimmedString(required=True, validate=validate.Length(3, 500, error="Give a reason of 3 to 500 characters."))


class AdminOrdersQuery(Schema):
    status = fields.String(validate=validate.OneOf([s.value for s in OrderStatus]))
    q = TrimmedString(validate=validate.Length(max=120))


class SellerOrderDetail(schemas.SellerOrderOut):
    shipping_address = fields.Function(lambda so: schemas.AddressOut().dump(so.order))
    buyer_name = fields.Function(lambda so: so.order.recipient)


class SellerOrderList(Schema):
    items = fields.List(fields.Nested(SellerOrderDetail))


@bp.route("/seller/orders", methods=["GET"])
@api_auth(ARTISAN)
@bp.arguments(SellerOrdersQuery, location="query")
@bp.response(200, SellerOrderList)
def seller_orders(query: dict[str, Any]) -> Any:
    """The caller's paid orders, those to ship first (by the date to ship by)."""
    return {"items": fulfilment.seller_orders(get_session(), require_user(), query.get("status"))}


@bp.route("/seller/orders/<int:seller_order_id>/ship", methods=["POST"])
@api_auth(ARTISAN)
@bp.arguments(ShipIn)
@bp.response(200, SellerOrderDetail)
def ship(body: dict[str, Any], seller_order_id: int) -> Any:
    """Mark a paid order shipped with its courier and tracking number; 409 if not awaiting shipment."""
    return fulfilment.ship(get_session(), require_user(), seller_order_id, now=utcnow(), **body)


@bp.route("/seller/orders/<int:seller_order_id>/cancel", methods=["POST"])
@api_auth(ARTISAN)
@bp.arguments(CancelIn)
@bp.response(200, SellerOrderDetail)
def cancel(body: dict[str, Any], seller_order_id: int) -> Any:
    """Cancel your part of a paid order before shipping: the stock goes back, the buyer is owed it."""
    return fulfilment.cancel_part(get_session(), require_user(), seller_order_id, reason=body["reason"], now=utcnow())


@bp.route("/seller-orders/<int:seller_order_id>/confirm-delivery", methods=["POST"])
@api_auth(BUYER)
@bp.response(200, schemas.SellerOrderOut)
def confirm_delivery(seller_order_id: int) -> Any:
    """The buyer received this parcel; 409 if it was not shipped."""
    return fulfilment.confirm_delivery(get_session(), require_user(), seller_order_id, now=utcnow())


@bp.route("/admin/orders", methods=["GET"])
@api_auth(ADMIN)
@bp.arguments(AdminOrdersQuery, location="query")
@bp.response(200, schemas.OrderList)
def admin_orders(query: dict[str, Any]) -> Any:
    """Orders, newest first, by status and by order number, buyer name, e-mail or recipient."""
    return {"items": services.search(get_session(), status=query.get("status"), q=query.get("q"))}
