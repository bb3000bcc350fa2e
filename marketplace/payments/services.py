"""Payment use cases: create and cancel an order's intent (payments worker), apply a gateway webhook,
and the sandbox's "pay" button. They take the session and the gateway, never commit, and load no Flask.

**Webhooks** (ARCHITECTURE.md §7). :func:`handle_webhook` verifies the signature (Stripe's scheme, for
both gateways), finds the payment by its intent id (unknown: 400, nothing written), records the event
id once in ``processed_webhooks`` (a replay is a no-op), then, with the order locked, moves it through
``orders.services``: succeeded → ``mark_paid`` (+ ``payment.succeeded``); failed or cancelled →
``cancel_unpaid(payment_failed=True)`` (+ ``payment.failed``). All of it is the caller's one transaction.
The transitions refuse to go backwards, so a failure that arrives after the success changes nothing.

**Sandbox delivery: asynchronous, by HTTP, as Stripe delivers.** ``sandbox-pay`` (API and the payment
page) checks the order and the test card, builds the Stripe-format event and *queues* it
(:func:`marketplace.payments.delivery.queue_event`) in the request's transaction; the answer is 202
``processing``. The payments worker's delivery loop POSTs it, signed as Stripe signs, to
``/webhooks/stripe``, whose handler (this module's :func:`handle_webhook`) moves the order. So the
sandbox exercises the endpoint itself (signature, dedupe, out-of-order), a rolled-back request sends
nothing, and a buyer waits for the outcome exactly as with Stripe. While an event is on its way a second
pay is refused (409 ``payment_processing``): a declined card followed at once by a good one would
otherwise reach a cancelled order as a success that needs a refund.

**Refund events** (``charge.refunded``, ``refund.updated``, ``refund.failed``) go through the same
:func:`handle_webhook` and are applied by :mod:`marketplace.payments.refunds` (see there). What both
share lives below them, so neither imports the other: Stripe's event type names, envelope, signature and
"applied once" in :mod:`marketplace.payments.stripe_events`, the payment row lookups in
:mod:`marketplace.payments.lookups`. An event *type* (``StripeEventType``) is never a *status*
(``PaymentStatus``, ``RefundStatus``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.orders import services as orders
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments import attempts, delivery, refunds
from marketplace.payments.gateways import STRIPE_IDR_FACTOR, PaymentGateway
from marketplace.payments.lookups import UnknownIntent, payment_for_intent, payment_for_order
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.payments.sandbox_methods import capture_callback
from marketplace.payments.stripe_events import (
    PAYMENT_OUTCOME_EVENTS,
    REFUND_OUTCOME_EVENTS,
    StripeEventType,
    claim_event,
    event_object,
)

log = logging.getLogger(__name__)

#: The sandbox's test cards, as Stripe's: the first succeeds, the second is declined.
CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED = "4000000000000002"
TEST_CARDS = MappingProxyType({CARD_SUCCEEDS: True, CARD_DECLINED: False})
#: What ``sandbox_pay`` answers: the event is on its way; the order moves when the webhook arrives.
PROCESSING = "processing"


def intent_idempotency_key(order_id: int) -> str:
    """The gateway idempotency key of an order's one intent (a retry gets the same intent back)."""
    return f"order-{order_id}-intent"


present_payment = attempts.present_payment


# --- the payments worker's use cases -------------------------------------------------------------------


def create_intent(session: Session, gateway: PaymentGateway, order_id: int, *, now: datetime) -> Payment | None:
    """The order's payment intent, created once (``payment.intent_created``).

    The order is locked first, so two deliveries of ``order.placed`` in two processes queue here; the
    second finds the payment row and calls the gateway no more. An order that is no longer pending
    (cancelled before the worker got to it) gets no intent: None.
    """
    order = orders.lock_order(session, order_id)
    existing = payment_for_order(session, order_id)
    if existing is not None:
        return existing
    if order.status != OrderStatus.PENDING_PAYMENT.value or not gateway.default_form:
        return None  # Xendit: nothing until the buyer chooses a method
    intent = gateway.create_intent(order, intent_idempotency_key(order.id))
    payment = Payment(
        order_id=order.id, gateway=gateway.name, provider_intent_id=intent.intent_id,
        client_secret=intent.client_secret, status=PaymentStatus.REQUIRES_PAYMENT.value,
        amount_idr=order.total_idr, qr_payload=intent.qr_payload, qr_image_url=intent.qr_image_url,
        created_at=now, updated_at=now,
    )
    session.add(payment)
    session.flush()
    record(session, "payment.intent_created", key=order.id, data={
        "order_id": order.id, "payment_id": payment.id, "provider_ref": intent.intent_id,
        "amount_idr": order.total_idr,
    })
    return payment


def cancel_intent(session: Session, gateway: PaymentGateway, order_id: int, *, now: datetime) -> bool:
    """Cancel the cancelled order's intent at the gateway so it can take no money (True if cancelled).

    Nothing to do without an intent or when it is final. A declined intent is *not* final at Stripe
    (the buyer could retry it on the Stripe.js page), so it is cancelled too.
    """
    orders.lock_order(session, order_id)
    for unmade in session.scalars(select(Payment).where(Payment.order_id == order_id,
                                                        Payment.provider_intent_id.is_(None))):
        unmade.status, unmade.updated_at = PaymentStatus.CANCELED.value, now  # never to be made
    return attempts.cancel_open_attempts(session, gateway, order_id, now=now, superseded_only=False) > 0


# --- webhooks ------------------------------------------------------------------------------------------


def handle_webhook(
    session: Session, gateway: PaymentGateway, payload: bytes, headers: Mapping[str, str], *, now: datetime,
    commission_bps: int | None = None,
) -> str:
    """Verify a gateway webhook and apply it (see the module doc); returns what it did, for the log.
    ``commission_bps`` (``PLATFORM_COMMISSION_BPS``) is what the ledger charges a sale paid now."""
    event = gateway.verify_webhook(payload, headers)
    return apply_event(session, event, now=now, commission_bps=commission_bps)


def apply_event(session: Session, event: dict[str, Any], *, now: datetime, commission_bps: int | None = None) -> str:
    """Apply a verified Stripe-format event once. Returns ``paid``, ``cancelled``, ``refunded``,
    ``refund_failed``, ``duplicate``, ``ignored`` (a type we do not act on) or ``unchanged`` (a late
    outcome the order is past)."""
    event_type = event["type"]
    obj = event_object(event)
    if event_type in REFUND_OUTCOME_EVENTS:
        return refunds.apply_refund_event(session, event, now=now)
    if event_type not in PAYMENT_OUTCOME_EVENTS:
        return "ignored"
    payment = payment_for_intent(session, obj.get("id"))
    metadata_order = (obj.get("metadata") or {}).get("order_id")
    if metadata_order is not None and str(metadata_order) != str(payment.order_id):
        raise UnknownIntent("The webhook's intent belongs to another order.")
    if not claim_event(session, event, now):
        return "duplicate"
    payment = lock_attempt(session, payment)
    if event_type == StripeEventType.PAYMENT_INTENT_SUCCEEDED:
        return apply_success(session, payment, now, commission_bps)
    error = obj.get("last_payment_error") or {}
    canceled = event_type == StripeEventType.PAYMENT_INTENT_CANCELED
    if canceled:
        reason = f"payment cancelled ({obj.get('cancellation_reason') or 'at the gateway'})"
    else:
        reason = str(error.get("decline_code") or error.get("code") or "payment_failed")
    return apply_failure(session, payment, reason, str(error.get("message") or reason), now, canceled=canceled)


def lock_attempt(session: Session, payment: Payment) -> Payment:
    """The order locked, then the attempt re-read under a lock (the worker's switch waits, or we do)."""
    orders.lock_order(session, payment.order_id)
    locked = session.scalar(select(Payment).where(Payment.id == payment.id).with_for_update()
                            .execution_options(populate_existing=True))
    assert locked is not None
    return locked


def apply_success(session: Session, payment: Payment, now: datetime, commission_bps: int | None) -> str:
    """The gateway took the money for this attempt: the order is paid, once; a success of an attempt
    switched away from, or of an order already paid or cancelled, is given back (``attempts``)."""
    if payment.status == PaymentStatus.SUCCEEDED.value:
        return "unchanged"
    payment.status = PaymentStatus.SUCCEEDED.value
    payment.failure_reason = None
    payment.updated_at = now
    if payment.superseded_at is not None:
        attempts.hold_late_success(session, payment, now=now)
        return "returned"
    moved = orders.mark_paid(session, payment.order_id, now=now, commission_bps=commission_bps)
    if not moved:  # money taken for an order already cancelled (expired): given back
        attempts.hold_late_success(session, payment, now=now)
        return "returned"
    record(session, "payment.succeeded", key=payment.order_id, data={
        "order_id": payment.order_id, "payment_id": payment.id, "provider_ref": payment.provider_intent_id,
        "amount_idr": payment.amount_idr,
    })
    return "paid"


def apply_failure(session: Session, payment: Payment, reason: str, message: str, now: datetime, *,
                  canceled: bool) -> str:
    """The attempt failed or was cancelled at the gateway. Never backwards after a success; an attempt
    switched away from changes nothing else; a chosen method's failure leaves the order waiting, so the
    buyer can choose again; the gateway's own form's failure cancels the order (as before methods)."""
    if payment.status == PaymentStatus.SUCCEEDED.value:
        return "unchanged"  # a late failure after the success: never backwards
    if payment.status != PaymentStatus.CANCELED.value:
        payment.status = (PaymentStatus.CANCELED if canceled else PaymentStatus.FAILED).value
    payment.failure_reason = message[:500]
    payment.updated_at = now
    if payment.superseded_at is not None:
        return "unchanged"
    if payment.method is not None:
        record(session, "payment.failed", key=payment.order_id, data={
            "order_id": payment.order_id, "payment_id": payment.id,
            "provider_ref": payment.provider_intent_id or str(payment.id), "reason": reason[:500]})
        return "failed"
    if not orders.cancel_unpaid(session, payment.order_id, reason, now=now, payment_failed=True):
        return "unchanged"
    record(session, "payment.failed", key=payment.order_id, data={
        "order_id": payment.order_id, "payment_id": payment.id, "provider_ref": payment.provider_intent_id,
        "reason": reason[:500],
    })
    return "cancelled"


# --- the sandbox's pay button --------------------------------------------------------------------------


def sandbox_pay(
    session: Session, gateway: PaymentGateway, buyer: User, order_id: int, *,
    card_number: str | None = None, method: str | None = None, now: datetime,
) -> tuple[Order, str]:
    """Pay the buyer's order on the sandbox: the Stripe-format event it causes is queued for delivery
    to ``/webhooks/stripe`` (see the module doc); returns the order, still pending, and ``processing``.
    404 off the sandbox or for someone else's order; 409 when not pending, the intent is not made yet,
    or an earlier payment of it is still on its way."""
    if not gateway.accepts_test_payments:
        raise NotFound("Not found.")
    orders.lock_order(session, order_id)  # two pays at once queue here; the second sees the first's row
    order = orders.get_for_buyer(session, buyer, order_id)  # someone else's: 404, rolled back
    if order.status != OrderStatus.PENDING_PAYMENT.value:
        raise Conflict("This order is no longer waiting for payment.", code="not_pending")
    payment = payment_for_order(session, order_id)
    if payment is None or payment.provider_intent_id is None:
        raise Conflict("The payment is still being prepared; try again in a moment.", code="payment_not_ready")
    if payment.gateway != gateway.name:
        raise NotFound("Not found.")
    chosen = method if method is not None else "card"
    if payment.method is not None and payment.method != chosen:
        raise Conflict("Choose this payment method first.", code="method_mismatch")
    if payment.method not in (None, "card"):  # a Xendit-format method: its callback, as Xendit sends it
        if delivery.in_flight(session, order_id, attempts.XENDIT_OUTCOMES):
            raise Conflict("Your payment is being processed; this page shows the result in a moment.",
                           code="payment_processing")
        callback = capture_callback(payment, succeeds=True, now=now)
        delivery.queue_event(session, callback, order_id=order_id, now=now, endpoint="xendit")
        return order, PROCESSING
    if method == "qris":
        succeeds, method_type = True, "qris"
    elif method is not None:
        raise Conflict("Choose this payment method first.", code="method_mismatch")
    else:
        number = "".join((card_number or "").split())
        if number not in TEST_CARDS:
            raise ValidationFailed(fields={"card_number": [
                "Use test card 4242 4242 4242 4242 (succeeds) or 4000 0000 0000 0002 (declined)."]})
        succeeds, method_type = TEST_CARDS[number], "card"
    if delivery.in_flight(session, order_id, PAYMENT_OUTCOME_EVENTS):
        raise Conflict("Your payment is being processed; this page shows the result in a moment.",
                       code="payment_processing")
    event = sandbox_event(payment, succeeds=succeeds, method_type=method_type, now=now)
    delivery.queue_event(session, event, order_id=order_id, now=now)
    return order, PROCESSING


def payment_processing(session: Session, order_id: int) -> bool:
    """Whether the sandbox still owes our endpoints a payment outcome of this order (the page
    then says "processing" and refreshes itself)."""
    return delivery.in_flight(session, order_id, PAYMENT_OUTCOME_EVENTS + attempts.XENDIT_OUTCOMES)


def sandbox_event(payment: Payment, *, succeeds: bool, method_type: str, now: datetime) -> dict[str, Any]:
    """A Stripe ``event`` around a ``payment_intent`` (the shapes of Stripe's fixtures), amounts × 100."""
    created = int(now.timestamp())
    amount = payment.amount_idr * STRIPE_IDR_FACTOR
    declined = None if succeeds else {
        "type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
        "message": "Your card was declined.",
    }
    intent = {
        "id": payment.provider_intent_id, "object": "payment_intent", "amount": amount,
        "amount_received": amount if succeeds else 0, "currency": "idr", "created": created,
        "client_secret": payment.client_secret, "livemode": False, "capture_method": "automatic",
        "status": "succeeded" if succeeds else "requires_payment_method",
        "last_payment_error": declined, "payment_method_types": [method_type],
        "metadata": {"order_id": str(payment.order_id)}, "transfer_group": f"order-{payment.order_id}",
        "cancellation_reason": None,
    }
    return {
        "id": "evt_sbx_" + uuid.uuid4().hex[:24], "object": "event", "api_version": None, "created": created,
        "data": {"object": intent}, "livemode": False, "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": StripeEventType.PAYMENT_INTENT_SUCCEEDED if succeeds else StripeEventType.PAYMENT_INTENT_FAILED,
    }
