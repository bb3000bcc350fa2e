"""Shipping JSON API: quotes and courier options (``GET /api/v1/shipping/quote``, ``…/rates``), a seller
order's tracking (``GET /api/v1/seller-orders/<id>/tracking``), and the sandbox couriers' advance
(``POST /api/v1/sandbox/shipments/<waybill>/advance``, admins, ``SHIPPING_PROVIDER=sandbox`` only)."""

from __future__ import annotations

from typing import Any

from flask.blueprints import BlueprintSetupState
from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.db import utcnow
from marketplace.errors import NotFound, Unauthorized
from marketplace.web.auth import api_auth, api_optional_auth, current_user, require_user
from marketplace.web.apidoc import error_responses
from marketplace.web.transaction import get_session
from marketplace.shipping import quotes, rates, sandbox_shipments, schemas, services, tracking
from marketplace.web.deps import deps

bp = Blueprint("shipping_api", __name__, url_prefix="/api/v1", description="Shipping quotes and tracking")


@bp.record_once
def _check_rate_table(state: BlueprintSetupState) -> None:
    """Load the rate table when the app is built: a bad SHIPPING_RATES_FILE stops start-up, not each quote."""
    rates.rates_for(state.app.extensions["deps"].settings)


@bp.route("/shipping/quote", methods=["GET"])
@api_optional_auth()
@bp.doc(**error_responses(404, 409))
@bp.arguments(schemas.QuoteQuery, location="query")
@bp.response(200, schemas.QuoteOut)
def quote(query: dict[str, Any]) -> Any:
    """Estimated shipping of ``quantity`` of a listing from its shop to a city and province."""
    return services.quote(
        get_session(), query["listing_id"], query["quantity"], query["city"], query["province"],
        rates.rates_for(deps().settings), viewer=current_user(),
    )


@bp.route("/shipping/rates", methods=["GET"])
@api_optional_auth()
@bp.doc(**error_responses(401, 404, 409))
@bp.arguments(schemas.RatesQuery, location="query")
@bp.response(200, schemas.RatesOut)
def courier_rates(query: dict[str, Any]) -> Any:
    """Courier options (courier, service, price, estimated days) to a destination: for ``listing_id``
    (anyone; cheapest and fastest), else per shop of the logged-in buyer's cart; 409
    ``destination_not_served`` when no courier serves it."""
    destination = {"city": query["destination_city"], "province": query["province"],
                   "postal_code": query.get("postal_code"), "latitude": query.get("latitude"),
                   "longitude": query.get("longitude")}
    quoter, viewer = deps().shipping_quotes, current_user()
    if "listing_id" in query:
        return quotes.rates_for_listing(get_session(), quoter, query["listing_id"], query["quantity"],
                                        destination, viewer=viewer)
    if viewer is None:
        raise Unauthorized("Log in to see the shipping of your cart, or name a listing_id.")
    return quotes.rates_for_cart(get_session(), quoter, require_user(Role.BUYER.value), destination)


@bp.route("/seller-orders/<int:seller_order_id>/tracking", methods=["GET"])
@api_auth()
@bp.doc(**error_responses(404))
@bp.response(200, schemas.TrackingOut)
def seller_order_tracking(seller_order_id: int) -> Any:
    """A parcel's courier, waybill and tracking history, for its buyer, its shop's artisan and admins."""
    part, rows = tracking.history(get_session(), require_user(), seller_order_id)
    return {"seller_order_id": part.id, "status": part.tracking_status, "waybill": part.tracking_number,
            "courier": part.courier, "service": part.shipping_service, "history": rows}


@bp.route("/sandbox/shipments/<waybill>/advance", methods=["POST"])
@api_auth(Role.ADMIN.value)
@bp.doc(**error_responses(404, 409))
@bp.arguments(schemas.AdvanceIn)
@bp.response(200, schemas.TrackingOut)
def advance_sandbox_shipment(body: dict[str, Any], waybill: str) -> Any:
    """Move a sandbox shipment as its courier would (the next status, or ``status``); the step arrives
    as a signed courier webhook. 404 unless the shipping provider is the sandbox."""
    provider = deps().shipping_provider
    if provider.name != "sandbox":
        raise NotFound("Shipments move by themselves here: the sandbox couriers are not in use.")
    session = get_session()
    part = sandbox_shipments.advance(session, provider, waybill, body.get("status"), now=utcnow())  # type: ignore[arg-type]
    part, rows = tracking.history(session, require_user(), part.id)
    return {"seller_order_id": part.id, "status": part.tracking_status, "waybill": part.tracking_number,
            "courier": part.courier, "service": part.shipping_service, "history": rows}
