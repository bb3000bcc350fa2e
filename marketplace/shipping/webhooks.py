"""``POST /webhooks/biteship``: courier tracking updates in Biteship's format (``order.status``,
``order.waybill_id``), from Biteship or from our own sandbox couriers, which sign as Biteship does.

Thin, as the payment and payout webhooks are: the configured provider checks the signature header and
reads the body (a forged or malformed one is a 400 and nothing else happens); an event that says
nothing of the parcel's way is answered 200 untouched; a verified update goes to
:func:`marketplace.shipping.tracking.apply_update` (stored once per status, never backwards), and the
request's one commit writes it. 404 when the provider takes no webhooks (``table``).
CSRF-exempt: couriers authenticate by their signature header, they have no session cookie.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.errors import BadRequest, NotFound
from marketplace.shipping import tracking
from marketplace.shipping.providers import InvalidWebhook, ShippingProvider
from marketplace.web.deps import deps
from marketplace.web.extensions import csrf
from marketplace.web.transaction import get_session

bp = Blueprint("shipping_webhooks", __name__)


class InvalidCourierWebhook(BadRequest):
    """The webhook's signature does not verify, or its body is not the courier's format."""

    code = "invalid_webhook"


def receive(session: Session, provider: ShippingProvider, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """Verify and apply one courier webhook (the endpoint's and the sandbox's one path)."""
    try:
        update = provider.verify_webhook(body, headers)
    except InvalidWebhook as exc:
        raise InvalidCourierWebhook(str(exc)) from exc
    if update is None:
        return {"received": True, "applied": False}
    part = tracking.apply_update(session, update, now=utcnow())
    return {"received": True, "applied": part is not None}


@bp.route("/webhooks/biteship", methods=["POST"])
@csrf.exempt
def biteship_webhook() -> Any:
    """A courier tracking update (signature header checked): 200 once applied, 400 if forged."""
    provider = deps().shipping_provider
    if not provider.books:
        raise NotFound("No courier sends tracking here.")
    return jsonify(receive(get_session(), provider, request.get_data(cache=False), request.headers))
