"""``POST /webhooks/stripe``: Stripe's (and the sandbox's) events about payment intents.

Thin: the raw body and headers go to :func:`marketplace.payments.services.handle_webhook`, which checks
the signature, records the event id once (``marketplace.once.record_once``: a replay is a no-op) and
moves the order; the request's one commit writes the webhook row, the order's new state and its events
together (a 4xx commits nothing). CSRF-exempt: Stripe signs, it has no cookie.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from marketplace.db import utcnow
from marketplace.web.transaction import get_session
from marketplace.web.extensions import csrf
from marketplace.payments import callbacks, services
from marketplace.web.deps import deps

bp = Blueprint("payments_webhooks", __name__)


@bp.route("/webhooks/stripe", methods=["POST"])
@csrf.exempt
def stripe_webhook() -> Any:
    """A signed Stripe event: 200 once applied (or a replay), 400 if forged, stale or for an unknown intent."""
    outcome = services.handle_webhook(
        get_session(), deps().payment_gateway, request.get_data(cache=False), request.headers, now=utcnow(),
        commission_bps=deps().settings.platform_commission_bps,
    )
    return jsonify({"received": True, "outcome": outcome})


@bp.route("/webhooks/xendit/payments", methods=["POST"])
@csrf.exempt
def xendit_payments_webhook() -> Any:
    """A Xendit payment or refund callback (``x-callback-token`` checked), from Xendit or the sandbox:
    200 once applied (or a replay), 400 if forged or for an unknown payment request."""
    outcome = callbacks.handle_xendit_callback(
        get_session(), deps().payment_gateway, request.get_data(cache=False), request.headers, now=utcnow(),
        commission_bps=deps().settings.platform_commission_bps,
    )
    return jsonify({"received": True, "outcome": outcome})
