"""Booth sales JSON API (ARCHITECTURE.md §5): ``POST /api/v1/seller/booth-orders``. Thin: the schema
parses, :func:`services.ring_up` acts; the order is read back by ``GET /api/v1/orders/<id>``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.db import utcnow
from marketplace.orders.schemas import OrderOut
from marketplace.programme.booth import schemas, services
from marketplace.web.apidoc import error_responses
from marketplace.web.auth import api_auth, require_user
from marketplace.web.deps import deps
from marketplace.web.transaction import get_session

bp = Blueprint("booth_api", __name__, url_prefix="/api/v1", description="Booth sales")


@bp.route("/seller/booth-orders", methods=["POST"])
@bp.doc(**error_responses(403, 404, 409, 422))
@api_auth(Role.ARTISAN.value)
@bp.arguments(schemas.BoothOrderIn)
@bp.response(201, OrderOut)
def ring_up(body: dict[str, Any]) -> Any:
    """Ring up a booth sale at a festival or market the caller's shop takes part in (403
    ``not_participating`` otherwise), during its hours (422 ``outside_event_hours``), of the shop's own
    approved listings (422 naming the line otherwise; 409 ``out_of_stock`` when the last unit just went
    online). 201 order with ``fulfilment: "pickup"``; the payments worker then makes its QRIS attempt,
    shown under ``payment.action`` by ``GET /api/v1/orders/<id>``."""
    settings = deps().settings
    wanted = [services.Wanted(line["listing_id"], line["variant_id"], line["quantity"]) for line in body["items"]]
    return services.ring_up(get_session(), deps().payment_gateway, require_user(), body["event_id"], wanted,
                            now=utcnow(), payment_ttl=timedelta(minutes=settings.order_payment_ttl_minutes))
