"""Refunds: an admin refunds a paid order in full or one seller order; an artisan's cancel before
shipping refunds that part. Money moves only through the payments worker and the gateway.

1. **Asked for** (:func:`request_refund` for an admin, :func:`open_refund` from
   ``orders.fulfilment.cancel_part``), with the order locked: the order must have been paid (``paid``
   or ``completed``, else 409); a seller order or a whole order is refunded once (a whole refund is
   refused beside a part refund and vice versa: 409), never more than was paid. An unshipped part is
   cancelled with its stock returned (``orders.services.cancel_paid_part``, the artisan's code), and so
   are the unshipped parts of a whole refund. A ``pending`` row and ``order.refund_requested`` are
   written in the caller's transaction; the answer is ``refund_pending``.
2. **Sent** (:func:`send_refund`, the payments worker on ``order.refund_requested``): ``gateway.refund``
   with the key ``refund-<refund id>``, so a redelivery or a retry after a timeout gets the same refund
   back at Stripe; the row keeps the provider's refund id, and a row that has one is not sent again.
3. **Confirmed** by the gateway's webhook, through ``services.handle_webhook`` (one verify path), which
   hands refund events (``stripe_events.REFUND_OUTCOME_EVENTS``) to :func:`apply_refund_event`:
   ``charge.refunded`` (a charge: its ``refunds`` when listed, else its cumulative ``amount_refunded``),
   ``refund.updated`` / ``refund.failed`` (a refund). Matched by the intent, then by the provider's refund
   id or our ``refund_id`` in its metadata; amounts are hundredths at Stripe, rupiah from here on. A
   success records ``payment.refunded`` and ``order.refunded``, and the order becomes ``refunded`` once
   everything paid has come back. A replay is a no-op (``processed_webhooks``).

**The sandbox's confirmation** (a gateway that ``sends_own_webhooks``) is built here from our rows (as
``sandbox_pay`` builds its event) and queued (``marketplace.payments.delivery``) in the worker's
transaction, with the refund id it stores: the payments worker's delivery loop then POSTs it, signed as
Stripe signs, to ``/webhooks/stripe``, as Stripe confirms a refund. So the refund stays ``pending`` until the endpoint has applied the webhook,
on both gateways, and a handler that fails queues nothing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.audit.services import record_admin_action
from marketplace.errors import Conflict, ValidationFailed
from marketplace.ledger import services as ledger
from marketplace.orders import services as orders
from marketplace.orders.models import Order, OrderStatus, SellerOrder, SellerOrderStatus
from marketplace.payments import delivery
from marketplace.payments.gateways import STRIPE_IDR_FACTOR, PaymentGateway
from marketplace.payments.lookups import payment_for_intent, payment_for_order
from marketplace.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from marketplace.payments.stripe_events import StripeEventType, claim_event, event_object

log = logging.getLogger(__name__)

#: Orders whose money was taken and can be given back.
REFUNDABLE = (OrderStatus.PAID.value, OrderStatus.COMPLETED.value)
#: What the API says of a refund (ARCHITECTURE.md §5: ``refund_pending`` until the gateway confirms).
API_STATUS = MappingProxyType({
    RefundStatus.PENDING.value: "refund_pending", RefundStatus.SUCCEEDED.value: "refunded",
    RefundStatus.FAILED.value: "refund_failed",
})


def refund_idempotency_key(refund_id: int) -> str:
    """The gateway key of one refund: a retry or a redelivery never refunds twice."""
    return f"refund-{refund_id}"


def live_refunds(session: Session, order_id: int) -> list[Refund]:
    """The order's refunds that count (asked for or done; a failed one can be asked for again)."""
    stmt = (select(Refund).where(Refund.order_id == order_id, Refund.status != RefundStatus.FAILED.value)
            .order_by(Refund.id))
    return list(session.scalars(stmt))


def present(refund: Refund) -> dict[str, Any]:
    return {"refund_id": refund.id, "order_id": refund.order_id, "seller_order_id": refund.seller_order_id,
            "amount_idr": refund.amount_idr, "status": API_STATUS[refund.status]}


# --- asking for a refund -------------------------------------------------------------------------------


def open_refund(session: Session, order: Order, part: SellerOrder | None, *, reason: str,
                requested_by: int | None, now: datetime, amount_idr: int | None = None) -> Refund:
    """A pending refund of ``part`` (or the whole ``order``, locked by the caller) and
    ``order.refund_requested``; 409 when the order was not paid or this money is already coming back.
    ``amount_idr`` (a part only) refunds some of what its buyer paid (a dispute's part refund)."""
    amount = refundable_amount(session, order, part, amount_idr)
    refund = Refund(order_id=order.id, seller_order_id=part.id if part else None, amount_idr=amount,
                    reason=reason[:500], status=RefundStatus.PENDING.value, requested_by=requested_by,
                    created_at=now, updated_at=now)
    session.add(refund)
    session.flush()
    record(session, "order.refund_requested", key=order.id, data={
        "order_id": order.id, "refund_id": refund.id, "seller_order_id": refund.seller_order_id,
        "amount_idr": amount, "reason": refund.reason,
    })
    return refund


def refundable_amount(session: Session, order: Order, part: SellerOrder | None, amount_idr: int | None = None) -> int:
    """What refunding ``part`` (or the whole order) gives back; 409 if it may not be refunded.

    With ``amount_idr`` (a part only; a dispute's full or part refund): that much of what the part's
    buyer paid, never more (409 ``refund_exceeds_payment``); still one live refund per seller order."""
    if order.status not in REFUNDABLE:
        raise Conflict("Only a paid order can be refunded.", code="not_paid")
    live = live_refunds(session, order.id)
    if amount_idr is not None and part is not None:
        return _partial_amount(order, part, live, amount_idr)
    if part is None and live:
        raise Conflict("This order already has a refund; refund its remaining seller orders one by one.",
                       code="already_refunded")
    if part is not None and any(r.seller_order_id in (None, part.id) for r in live):
        raise Conflict("This part of the order is already refunded.", code="already_refunded")
    amount = order.total_idr if part is None else part.buyer_paid_idr
    if sum(r.amount_idr for r in live) + amount > order.total_idr:
        raise Conflict("That is more than the buyer paid.", code="refund_exceeds_payment")
    return amount


def refundable_left(session: Session, order: Order, part: SellerOrder) -> int:
    """What a refund of ``part`` may give back now: what its buyer paid, or 0 when a live refund
    already covers it (one live refund per seller order: the ``refunds`` table's unique index)."""
    if order.status not in REFUNDABLE or any(r.seller_order_id in (None, part.id) for r in live_refunds(session, order.id)):
        return 0
    return part.buyer_paid_idr


def _partial_amount(order: Order, part: SellerOrder, live: list[Refund], amount_idr: int) -> int:
    if any(r.seller_order_id in (None, part.id) for r in live):
        raise Conflict("This part of the order is already refunded.", code="already_refunded")
    if amount_idr < 1 or amount_idr > part.buyer_paid_idr or sum(r.amount_idr for r in live) + amount_idr > order.total_idr:
        raise Conflict("That is more than the buyer paid.", code="refund_exceeds_payment",
                       fields={"amount_idr": ["That is more than the buyer paid."]})
    return amount_idr


def request_refund(session: Session, admin: User, order_id: int, *, seller_order_id: int | None, reason: str,
                   now: datetime) -> Refund:
    """An admin refunds the whole order or one of its seller orders (see the module doc). Unshipped
    parts it covers are cancelled first, their stock returned, so nobody ships what was refunded."""
    order = orders.lock_order(session, order_id)
    awaiting = SellerOrderStatus.AWAITING_SHIPMENT.value
    part = None
    if seller_order_id is not None:
        part = next((so for so in order.seller_orders if so.id == seller_order_id), None)
        if part is None:
            raise ValidationFailed(fields={"seller_order_id": ["This seller order is not part of the order."]})
    refundable_amount(session, order, part)  # refused before anything is cancelled
    covered = [part] if part is not None else list(order.seller_orders)
    before = {"status": order.status, "parts": {so.id: so.status for so in covered}}
    for so in covered:
        if so.status == awaiting:
            orders.cancel_paid_part(session, order, so, reason, now=now)
    refund = open_refund(session, order, part, reason=reason, requested_by=admin.id, now=now)
    record_admin_action(session, admin, "order.refund", "order", order.id, before, {
        "status": order.status, "parts": {so.id: so.status for so in covered}, "refund_id": refund.id,
        "amount_idr": refund.amount_idr, "seller_order_id": seller_order_id, "reason": reason})
    return refund


# --- the payments worker: send it ----------------------------------------------------------------------


def send_refund(session: Session, gateway: PaymentGateway, refund_id: int, *, now: datetime) -> Refund:
    """Ask the gateway for the refund once (``order.refund_requested``); the sandbox's confirmation is
    queued in this same transaction, for delivery to ``/webhooks/stripe``."""
    found = session.get(Refund, refund_id)
    if found is None:
        raise LookupError(f"refund {refund_id} does not exist")
    orders.lock_order(session, found.order_id)  # the webhook about it waits for this transaction
    refund = session.scalar(select(Refund).where(Refund.id == refund_id).with_for_update()
                            .execution_options(populate_existing=True))
    assert refund is not None
    if refund.status != RefundStatus.PENDING.value or refund.provider_refund_id:
        return refund  # sent before (a redelivery): never twice
    payment = payment_for_order(session, refund.order_id, for_update=True)
    if payment is None or payment.status != PaymentStatus.SUCCEEDED.value:
        raise Conflict(f"order {refund.order_id} has no captured payment to refund", code="no_payment")
    refundable = getattr(gateway, "refundable", None)
    if refundable is not None and not refundable(payment.method):
        log.warning("refund %s of order %s: a VA transfer, refunded by bank by an admin", refund.id, refund.order_id)
        return refund  # stays pending until the admin records the bank refund
    result = gateway.refund(payment.provider_intent_id, refund.amount_idr, refund_idempotency_key(refund.id),
                            metadata={"order_id": str(refund.order_id), "refund_id": str(refund.id)})
    refund.provider_refund_id = result.refund_id
    refund.updated_at = now
    session.flush()
    if gateway.sends_own_webhooks:  # the sandbox: its confirmation is ours to deliver, as Stripe would
        delivery.queue_event(session, sandbox_refund_event(session, payment, refund, now=now),
                             order_id=refund.order_id, now=now)
    return refund


def sandbox_refund_event(session: Session, payment: Payment, refund: Refund, *, now: datetime) -> dict[str, Any]:
    """Stripe's ``charge.refunded`` for ``refund`` (the shapes of Stripe's fixtures), amounts × 100."""
    created = int(now.timestamp())
    # What the gateway has refunded so far: every refund it was sent (the sandbox refunds at once),
    # this one included, whether or not its confirmation has arrived here yet.
    sent = [r for r in live_refunds(session, payment.order_id) if r.provider_refund_id or r.id == refund.id]
    refunded = sum(r.amount_idr for r in sent) * STRIPE_IDR_FACTOR
    amount = payment.amount_idr * STRIPE_IDR_FACTOR
    metadata = {"order_id": str(refund.order_id), "refund_id": str(refund.id)}
    refund_obj = {
        "id": refund.provider_refund_id, "object": "refund", "amount": refund.amount_idr * STRIPE_IDR_FACTOR,
        "currency": "idr", "created": created, "metadata": metadata, "payment_intent": payment.provider_intent_id,
        "reason": "requested_by_customer", "status": "succeeded",
    }
    charge = {
        "id": "ch_sbx_" + payment.provider_intent_id.removeprefix("pi_sbx_"), "object": "charge",
        "amount": amount, "amount_captured": amount, "amount_refunded": refunded, "currency": "idr",
        "created": created, "livemode": False, "paid": True, "captured": True, "status": "succeeded",
        "payment_intent": payment.provider_intent_id, "refunded": refunded >= amount,
        "metadata": {"order_id": str(payment.order_id)}, "transfer_group": f"order-{payment.order_id}",
        "refunds": {"object": "list", "data": [refund_obj], "has_more": False, "total_count": 1},
    }
    return {
        "id": "evt_sbx_" + uuid.uuid4().hex[:24], "object": "event", "api_version": None, "created": created,
        "data": {"object": charge}, "livemode": False, "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None}, "type": StripeEventType.CHARGE_REFUNDED,
    }


# --- the webhook: confirmed or failed ------------------------------------------------------------------


def apply_refund_event(session: Session, event: dict[str, Any], *, now: datetime) -> str:
    """Apply a verified refund event once: ``refunded``, ``refund_failed``, ``duplicate`` or ``unchanged``."""
    obj = event_object(event)
    payment = payment_for_intent(session, obj.get("payment_intent"))
    if not claim_event(session, event, now):
        return "duplicate"
    order = orders.lock_order(session, payment.order_id)
    rows = list(session.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)
                                .with_for_update().execution_options(populate_existing=True)))
    outcomes: list[str] = []
    if event["type"] == StripeEventType.CHARGE_REFUNDED:
        listed = (obj.get("refunds") or {}).get("data") if isinstance(obj.get("refunds"), dict) else None
        if listed:
            for item in listed:
                outcomes.append(_apply_refund_object(session, order, payment, rows, item, now))
        else:  # Stripe's newer API versions leave the list out: the cumulative amount says how much
            outcomes.extend(_apply_cumulative(session, order, payment, rows, obj, now))
    else:
        outcomes.append(_apply_refund_object(session, order, payment, rows, obj, now))
    for outcome in ("refunded", "refund_failed"):
        if outcome in outcomes:
            return outcome
    return "unchanged"


def _match(rows: list[Refund], item: dict[str, Any]) -> Refund | None:
    by_provider = next((r for r in rows if r.provider_refund_id and r.provider_refund_id == item.get("id")), None)
    if by_provider is not None:
        return by_provider
    ours = str((item.get("metadata") or {}).get("refund_id") or "")
    return next((r for r in rows if ours.isdigit() and r.id == int(ours)), None)


def _apply_refund_object(session: Session, order: Order, payment: Payment, rows: list[Refund],
                         item: dict[str, Any], now: datetime) -> str:
    refund = _match(rows, item)
    if refund is None:
        log.warning("refund %s of order %s is not one we asked for; ignored", item.get("id"), order.id)
        return "unchanged"
    if refund.provider_refund_id is None and item.get("id"):
        refund.provider_refund_id = str(item["id"])[:255]
    if item.get("amount") is not None and int(item["amount"]) != refund.amount_idr * STRIPE_IDR_FACTOR:
        log.warning("refund %s of order %s: the gateway says %s hundredths, we asked for Rp %s",
                    refund.provider_refund_id, order.id, item["amount"], refund.amount_idr)
    status = item.get("status")
    if status == "succeeded":
        return _succeeded(session, order, payment, refund, now)
    if status in ("failed", "canceled"):
        return _failed(refund, str(item.get("failure_reason") or status), now)
    return "unchanged"  # pending, requires_action: a later event will say


def _apply_cumulative(session: Session, order: Order, payment: Payment, rows: list[Refund],
                      charge: dict[str, Any], now: datetime) -> list[str]:
    refunded_idr = int(charge.get("amount_refunded") or 0) // STRIPE_IDR_FACTOR
    done = sum(r.amount_idr for r in rows if r.status == RefundStatus.SUCCEEDED.value)
    outcomes = []
    for refund in rows:
        if (refund.status == RefundStatus.PENDING.value and refund.provider_refund_id
                and done + refund.amount_idr <= refunded_idr):
            done += refund.amount_idr
            outcomes.append(_succeeded(session, order, payment, refund, now))
    return outcomes


def _succeeded(session: Session, order: Order, payment: Payment, refund: Refund, now: datetime) -> str:
    if refund.status != RefundStatus.PENDING.value:
        return "unchanged"  # told twice (charge.refunded and refund.updated), or after a failure
    refund.status, refund.succeeded_at, refund.updated_at = RefundStatus.SUCCEEDED.value, now, now
    session.flush()
    ledger.record_refund(session, order, refund, now=now)  # confirmed: the money is back with the buyer
    record(session, "order.refunded", key=order.id, data={
        "order_id": order.id, "amount_idr": refund.amount_idr, "reason": refund.reason, "refund_id": refund.id,
        "seller_order_id": refund.seller_order_id,
    })
    record(session, "payment.refunded", key=order.id, data={
        "order_id": order.id, "payment_id": payment.id, "amount_idr": refund.amount_idr,
        "provider_ref": refund.provider_refund_id or payment.provider_intent_id,
    })
    refunded = sum(r.amount_idr for r in live_refunds(session, order.id) if r.status == RefundStatus.SUCCEEDED.value)
    if refunded >= order.total_idr and order.status in REFUNDABLE:
        order.status = OrderStatus.REFUNDED.value
        order.updated_at = now
        session.flush()
    return "refunded"


def confirm(session: Session, order: Order, payment: Payment, refund: Refund, now: datetime) -> str:
    """The refund is confirmed (a Xendit callback, an admin's manual bank refund): as Stripe's webhook."""
    return _succeeded(session, order, payment, refund, now)


def fail(refund: Refund, reason: str, now: datetime) -> str:
    return _failed(refund, reason, now)


def _failed(refund: Refund, reason: str, now: datetime) -> str:
    if refund.status != RefundStatus.PENDING.value:
        return "unchanged"
    refund.status, refund.failure_reason, refund.updated_at = RefundStatus.FAILED.value, reason[:500], now
    log.warning("refund %s of order %s failed at the gateway: %s", refund.id, refund.order_id, reason)
    return "refund_failed"
