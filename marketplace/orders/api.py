"""Checkout and orders JSON API (ARCHITECTURE.md §5): place an order from the cart, read your orders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.web.auth import api_auth, require_user
from marketplace.web.apidoc import error_responses
from marketplace.db import utcnow
from marketplace.web.transaction import get_session
from marketplace.orders import schemas, services
from marketplace.orders.checkout import place_order
from marketplace.promotion.attribution.views import current_touch
from marketplace.shipping.quotes import checkout_quoter
from marketplace.web.deps import deps

bp = Blueprint("orders_api", __name__, url_prefix="/api/v1", description="Checkout and orders")

BUYER = Role.BUYER.value


@bp.route("/checkout", methods=["POST"])
@bp.doc(**error_responses(409))
@api_auth(BUYER)
@bp.arguments(schemas.CHECKOUT_IN)
@bp.response(201, schemas.OrderOut)
def checkout(body: dict[str, Any]) -> Any:
    """Turn the cart into one order (one seller order per shop) awaiting payment; 409 naming the
    products when the cart has a problem (sold out, withdrawn, price changed, not enough stock); 422
    ``shipping_choice_unavailable`` when a shop's chosen shipping option is not among its current options."""
    settings, address = deps().settings, body["shipping_address"]
    choices = {int(shop_id): code for shop_id, code in body["shipping_choices"].items()}
    return place_order(
        get_session(), require_user(), address, quote_shipping=checkout_quoter(deps().shipping_quotes, address, choices),
        now=utcnow(), payment_ttl=timedelta(minutes=settings.order_payment_ttl_minutes),
        attribution=current_touch(), voucher_code=body["voucher_code"],
    )


@bp.route("/orders", methods=["GET"])
@api_auth(BUYER)
@bp.response(200, schemas.OrderList)
def my_orders() -> Any:
    """The caller's orders, newest first."""
    return {"items": services.list_for_buyer(get_session(), require_user())}


@bp.route("/orders/<int:order_id>", methods=["GET"])
@api_auth()
@bp.response(200, schemas.OrderOut)
def my_order(order_id: int) -> Any:
    """One of the caller's orders (anyone else's is 404): a buyer's, or a booth sale the artisan rang
    up (``fulfilment: pickup``, its QRIS action under ``payment``)."""
    return services.get_for_buyer(get_session(), require_user(), order_id)


@bp.route("/orders/<int:order_id>/events", methods=["GET"])
@api_auth()
@bp.response(200, schemas.TimelineOut)
def order_events(order_id: int) -> Any:
    """The order's timeline, for its buyer, the artisans whose shops are in it, and admins."""
    rows = services.timeline(get_session(), require_user(), order_id)
    return {"items": [{"type": t, "occurred_at": at} for t, at in rows]}
