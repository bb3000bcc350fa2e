"""Payment attempts: the buyer chooses a method (``POST /orders/<id>/pay``), the payments worker makes
it at the gateway, and a success that comes too late is given back.

1. **Chosen** (:func:`choose_method`, the web, in the request's transaction; the gateway is not
   called): with the order locked, the method must be one the gateway offers (422 ``method_unavailable``
   also when the order's total is outside the method's limits) and the order still waiting for payment
   (409 ``already_paid`` / ``not_pending``). The live attempt, if any, is *superseded* and a new one
   recorded (``provider_intent_id`` NULL) with ``order.payment_method_chosen``. Choosing the method
   of the live attempt again changes nothing.
2. **Made** (:func:`make_attempt`, the payments worker on that event): with the order locked, every
   superseded attempt still open at the gateway is cancelled there *first* (key
   ``payment-<id>-cancel``), then the new one is created (key ``payment-<id>``, ``reference_id`` = its
   id); its action (VA number, QR, redirect, push) and deadline are stored; ``payment.intent_created``.
   A retry after a timeout uses the same keys, so nothing is made twice. An attempt superseded before
   the worker got to it, or of an order no longer pending, is never made.
3. **A late success** (an attempt switched away from whose money still came in, or a second success
   of an order already paid or cancelled) never pays the order twice: :func:`hold_late_success` marks
   it to be returned and records ``order.late_payment_received``, and the payments worker gives it
   back in full (:func:`return_late_payment`, key ``payment-<id>-return``). The order's ledger is
   untouched: that money was never the order's.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.orders import services as orders
from marketplace.orders.models import OrderStatus
from marketplace.payments.gateways import PaymentGateway
from marketplace.payments.lookups import payment_for_order
from marketplace.payments.methods import METHODS
from marketplace.payments.models import FINAL, Payment, PaymentStatus, ReturnStatus

log = logging.getLogger(__name__)


class MethodUnavailable(ValidationFailed):
    """The method is not offered here, or not for this amount."""

    code = "method_unavailable"


def intent_key(payment: Payment) -> str:
    """The gateway idempotency key of an attempt (the gateway's own form keeps the order's old key)."""
    return f"order-{payment.order_id}-intent" if payment.method is None else f"payment-{payment.id}"


def present_payment(payment: Payment | None) -> dict[str, Any] | None:
    """``payment: {status, method, action, expires_at}`` of the order API (§5), with the gateway's
    ``client_secret`` for its own form; None while the order has no attempt."""
    if payment is None:
        return None
    return {"status": payment.status, "method": payment.method, "gateway": payment.gateway,
            "action": json.loads(payment.action) if payment.action else None,
            "expires_at": payment.expires_at, "client_secret": payment.client_secret}


# --- 1. the buyer chooses ------------------------------------------------------------------------------


def choose_method(session: Session, gateway: PaymentGateway, buyer: User, order_id: int, method: str, *,
                  now: datetime) -> Payment:
    """Record the buyer's choice as the order's live attempt (see the module doc)."""
    orders.lock_order(session, order_id)
    order = orders.get_for_buyer(session, buyer, order_id)  # someone else's: 404
    if order.status == OrderStatus.PAID.value or order.status == OrderStatus.COMPLETED.value:
        raise Conflict("This order is already paid.", code="already_paid")
    if order.status != OrderStatus.PENDING_PAYMENT.value:
        raise Conflict("This order is no longer waiting for payment.", code="not_pending")
    spec = METHODS.get(method)
    if spec is None or method not in gateway.methods:
        raise MethodUnavailable("This payment method is not available.", fields={"method": [
            "This payment method is not available."]})
    if not spec.allows(order.total_idr):
        raise MethodUnavailable("This payment method does not take this amount.", fields={"method": [
            "This payment method does not take this amount."]})
    live = payment_for_order(session, order_id, for_update=True)
    if live is not None and live.status == PaymentStatus.SUCCEEDED.value:
        raise Conflict("This order is already paid.", code="already_paid")
    if live is not None and live.method == method and live.status == PaymentStatus.REQUIRES_PAYMENT.value:
        return live  # chosen again: nothing new
    from marketplace.payments import delivery
    from marketplace.payments.stripe_events import PAYMENT_OUTCOME_EVENTS

    if delivery.in_flight(session, order_id, PAYMENT_OUTCOME_EVENTS + XENDIT_OUTCOMES):
        raise Conflict("Your payment is being processed; this page shows the result in a moment.",
                       code="payment_processing")
    if live is not None:
        live.superseded_at = now
        live.updated_at = now
        session.flush()  # the partial unique index: one live attempt
    payment = Payment(order_id=order.id, gateway=gateway.name, method=method, amount_idr=order.total_idr,
                      status=PaymentStatus.REQUIRES_PAYMENT.value, created_at=now, updated_at=now)
    session.add(payment)
    session.flush()
    record(session, "order.payment_method_chosen", key=order.id, data={
        "order_id": order.id, "payment_id": payment.id, "method": method})
    return payment


#: The sandbox's Xendit-format outcomes (``sandbox_methods.capture_callback``), as queued deliveries.
XENDIT_OUTCOMES = ("payment.capture", "payment.failure")


# --- 2. the payments worker makes it -------------------------------------------------------------------


def make_attempt(session: Session, gateway: PaymentGateway, payment_id: int, *, now: datetime) -> Payment | None:
    """Cancel the superseded attempts at the gateway, then create this one (see the module doc)."""
    found = session.get(Payment, payment_id)
    if found is None:
        raise LookupError(f"payment {payment_id} does not exist")
    order = orders.lock_order(session, found.order_id)
    payment = session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update()
                             .execution_options(populate_existing=True))
    assert payment is not None
    if payment.provider_intent_id:
        return payment  # made before (a redelivery)
    if payment.superseded_at is not None or order.status != OrderStatus.PENDING_PAYMENT.value:
        if payment.status == PaymentStatus.REQUIRES_PAYMENT.value:
            payment.status, payment.updated_at = PaymentStatus.CANCELED.value, now
        return None
    cancel_open_attempts(session, gateway, order.id, now=now, superseded_only=True)
    intent = gateway.create_intent(order, intent_key(payment), method=payment.method, reference=str(payment.id))
    payment.provider_intent_id = intent.intent_id
    payment.client_secret = intent.client_secret or None
    payment.qr_payload, payment.qr_image_url = intent.qr_payload, intent.qr_image_url
    payment.action = json.dumps(intent.action) if intent.action else None
    payment.expires_at = intent.expires_at
    payment.updated_at = now
    session.flush()
    record(session, "payment.intent_created", key=order.id, data={
        "order_id": order.id, "payment_id": payment.id, "provider_ref": intent.intent_id,
        "amount_idr": payment.amount_idr})
    return payment


def cancel_open_attempts(session: Session, gateway: PaymentGateway, order_id: int, *, now: datetime,
                         superseded_only: bool) -> int:
    """Cancel at the gateway the order's attempts that could still take money (the caller locked the
    order); how many were cancelled. One that says it already succeeded is left to its callback."""
    stmt = select(Payment).where(Payment.order_id == order_id, Payment.provider_intent_id.is_not(None),
                                 Payment.status.not_in(FINAL)).order_by(Payment.id).with_for_update()
    if superseded_only:
        stmt = stmt.where(Payment.superseded_at.is_not(None))
    cancelled = 0
    for old in session.scalars(stmt.execution_options(populate_existing=True)):
        assert old.provider_intent_id is not None
        status = gateway.cancel_intent(old.provider_intent_id, f"{intent_key(old)}-cancel")
        if status == "canceled":
            old.status, old.updated_at = PaymentStatus.CANCELED.value, now
            cancelled += 1
        else:
            log.warning("attempt %s (%s) of order %s is %s at the gateway; its callback settles it",
                        old.id, old.provider_intent_id, order_id, status)
    return cancelled


# --- 3. a late success ---------------------------------------------------------------------------------


def hold_late_success(session: Session, payment: Payment, *, now: datetime) -> None:
    """Money came in for an attempt that may not pay the order: give it back (``order.late_payment_received``)."""
    if payment.return_status is not None:
        return
    payment.return_status, payment.updated_at = ReturnStatus.PENDING.value, now
    session.flush()
    record(session, "order.late_payment_received", key=payment.order_id, data={
        "order_id": payment.order_id, "payment_id": payment.id, "amount_idr": payment.amount_idr})
    log.warning("attempt %s of order %s succeeded too late; it is given back", payment.id, payment.order_id)


def return_late_payment(session: Session, gateway: PaymentGateway, payment_id: int, *, now: datetime) -> Payment:
    """The payments worker gives a late success back in full, once (key ``payment-<id>-return``). A VA
    transfer cannot be returned by the gateway: it stays ``pending`` for the admin's bank refund."""
    found = session.get(Payment, payment_id)
    if found is None:
        raise NotFound(f"payment {payment_id} does not exist")
    orders.lock_order(session, found.order_id)
    payment = session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update()
                             .execution_options(populate_existing=True))
    assert payment is not None and payment.provider_intent_id is not None
    if payment.return_status != ReturnStatus.PENDING.value or payment.return_ref:
        return payment
    refundable = getattr(gateway, "refundable", None)
    if refundable is not None and not refundable(payment.method):
        log.warning("late VA payment %s of order %s needs a manual bank refund", payment.id, payment.order_id)
        return payment
    result = gateway.refund(payment.provider_intent_id, payment.amount_idr, f"payment-{payment.id}-return",
                            metadata={"order_id": str(payment.order_id), "payment_id": str(payment.id)})
    payment.return_ref = result.refund_id
    if result.status == "succeeded":
        payment.return_status = ReturnStatus.SUCCEEDED.value
    payment.updated_at = now
    return payment
