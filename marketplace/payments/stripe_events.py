"""Stripe's events as we receive them: their type names, the envelope, its signature, and "applied once".

One place for what every reader of a Stripe event shares, so the payment webhook
(``marketplace.payments.services``), the refund webhook (``marketplace.payments.refunds``) and the
Connect webhook (``marketplace.payouts.stripe_connect``) neither parse the envelope nor spell the type
names each its own way, and the payment and refund use cases need not import each other for them.

- **Type names** (:class:`StripeEventType`): what an event *is* (``payment_intent.succeeded``). They are
  not statuses: a payment's or a refund's status is ``PaymentStatus`` / ``RefundStatus`` in
  ``marketplace.payments.models``, and the two never share a name here.
- **The envelope** (:func:`parse_event`, :func:`event_object`): ``{"id", "type", "data": {"object"}}``,
  checked once when the signature is verified; readers then take ``event_object(event)``.
- **The signature** (:func:`sign_payload`, :func:`verify_stripe_signature`): Stripe's scheme,
  HMAC-SHA256 over ``"<t>.<payload>"`` with a 300 s tolerance, checked by the ``stripe`` library's own
  verifier; both payment gateways and the Connect payout provider use it.
- **Applied once** (:func:`claim_event`): the event id in ``processed_webhooks``, flushed in the
  transaction that applies the event, so a replay is a no-op.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from marketplace.errors import BadRequest
from marketplace.once import record_once
from marketplace.payments.models import ProcessedWebhook

#: Stripe's default tolerance for a webhook's timestamp, in seconds.
WEBHOOK_TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "Stripe-Signature"


class StripeEventType:
    """The Stripe event types we act on (the envelope's ``type``)."""

    PAYMENT_INTENT_SUCCEEDED: Final = "payment_intent.succeeded"
    PAYMENT_INTENT_FAILED: Final = "payment_intent.payment_failed"
    PAYMENT_INTENT_CANCELED: Final = "payment_intent.canceled"
    #: A charge object: its ``refunds`` list, or (newer API versions) only its cumulative ``amount_refunded``.
    CHARGE_REFUNDED: Final = "charge.refunded"
    #: A refund object.
    REFUND_UPDATED: Final = "refund.updated"
    REFUND_FAILED: Final = "refund.failed"


#: A payment intent's outcome (applied by ``marketplace.payments.services``).
PAYMENT_OUTCOME_EVENTS: Final = (
    StripeEventType.PAYMENT_INTENT_SUCCEEDED, StripeEventType.PAYMENT_INTENT_FAILED,
    StripeEventType.PAYMENT_INTENT_CANCELED,
)
#: A refund's outcome (applied by ``marketplace.payments.refunds``).
REFUND_OUTCOME_EVENTS: Final = (
    StripeEventType.CHARGE_REFUNDED, StripeEventType.REFUND_UPDATED, StripeEventType.REFUND_FAILED,
)


class InvalidSignature(BadRequest):
    """The webhook signature is missing, forged or too old."""

    code = "invalid_signature"


class InvalidPayload(BadRequest):
    """The webhook body is not a Stripe event."""

    code = "invalid_payload"


# --- the signature -------------------------------------------------------------------------------------


def sign_payload(payload: bytes, secret: str, timestamp: int) -> str:
    """A ``Stripe-Signature`` header for ``payload``, computed as Stripe computes it (``t=…,v1=…``)."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_stripe_signature(payload: bytes, headers: Mapping[str, str], secret: str) -> dict[str, Any]:
    """Check the signature with the ``stripe`` library's own verifier; the event as a plain dict whose
    envelope :func:`parse_event` has checked."""
    import stripe

    header = headers.get(SIGNATURE_HEADER)
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        raise InvalidSignature("The webhook signature is missing, forged or too old.") from exc
    return parse_event(payload)


# --- the envelope --------------------------------------------------------------------------------------


def parse_event(payload: bytes) -> dict[str, Any]:
    """The event in ``payload``: a JSON object with a string ``id`` and ``type`` and an object at
    ``data.object``; ``InvalidPayload`` otherwise."""
    try:
        event = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidPayload("The webhook body is not JSON.") from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise InvalidPayload("The webhook body is not a Stripe event (no id or type).")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise InvalidPayload("The webhook event has no data.object.")
    return event


def event_object(event: Mapping[str, Any]) -> dict[str, Any]:
    """The object an event is about (a payment intent, a charge, a refund, an account, a transfer)."""
    obj: dict[str, Any] = event["data"]["object"]
    return obj


# --- applied once --------------------------------------------------------------------------------------


def claim_event(session: Session, event: Mapping[str, Any], now: datetime) -> bool:
    """Record the event id (flushed now, committed with the effect); False if it was seen before (the same
    event delivered twice at once: the other delivery applies it)."""
    return record_once(session, ProcessedWebhook, event_id=str(event["id"])[:255], type=str(event["type"])[:100],
                       received_at=now)
