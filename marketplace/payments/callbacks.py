"""Xendit's payment callbacks (``POST /webhooks/xendit/payments``), from Xendit or from the sandbox,
which sends the same format with its own token: one code path serves both.

:func:`handle_xendit_callback` checks ``x-callback-token`` (constant time, in the gateway), finds the
attempt by Xendit's ``payment_request_id`` and our ``reference_id`` (an unknown one: 400, nothing
written), records the callback once (``marketplace.once.record_once`` in ``processed_webhooks``, id
``xendit:<event>:<payment id>``: a replay is a 200 with no effect), then applies it with the same use
cases as Stripe's events (``services.apply_success`` / ``apply_failure``), so an order never moves
backwards and a late success is given back. Refund callbacks (``refund.succeeded`` / ``refund.failed``)
settle our refund row (``refunds``) or a late payment's return.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.errors import NotFound
from marketplace.once import record_once
from marketplace.orders import services as orders
from marketplace.payments import refunds, services
from marketplace.payments.gateways import PaymentGateway
from marketplace.payments.lookups import UnknownIntent, payment_for_intent
from marketplace.payments.models import Payment, ProcessedWebhook, Refund, ReturnStatus
from marketplace.payments.stripe_events import InvalidPayload

PAYMENT_EVENTS = ("payment.capture", "payment.failure", "payment_request.expiry")
REFUND_EVENTS = ("refund.succeeded", "refund.failed")
FAILED = ("FAILED", "EXPIRED", "CANCELED")


def handle_xendit_callback(session: Session, gateway: PaymentGateway, payload: bytes, headers: Mapping[str, str], *,
                           now: datetime, commission_bps: int | None = None) -> str:
    """Verify and apply one callback: ``paid``, ``failed``, ``returned``, ``refunded``, ``duplicate``,
    ``ignored`` or ``unchanged``. 404 where no gateway sends Xendit-format callbacks (Stripe)."""
    verify = getattr(gateway, "verify_callback", None)
    if verify is None:
        raise NotFound("Payments do not go through Xendit here.")
    body = verify(payload, headers)
    event, data = body["event"], body["data"]
    if event in REFUND_EVENTS:
        return _refund(session, event, data, now)
    if event not in PAYMENT_EVENTS:
        return "ignored"
    payment = payment_for_intent(session, data.get("payment_request_id"))
    if str(data.get("reference_id") or "") != str(payment.id):
        raise UnknownIntent("The callback's reference is not the attempt it names.")
    seen = data.get("payment_id") or data.get("payment_request_id")
    if not record_once(session, ProcessedWebhook, event_id=f"xendit:{event}:{seen}"[:255], type=event[:100],
                       received_at=now):
        return "duplicate"
    payment = services.lock_attempt(session, payment)
    status = str(data.get("status") or "")
    if event == "payment.capture" and status == "SUCCEEDED":
        if data.get("request_amount") is not None and int(data["request_amount"]) != payment.amount_idr:
            raise InvalidPayload("The callback's amount is not the attempt's.")
        return services.apply_success(session, payment, now, commission_bps)
    if status in FAILED or event != "payment.capture":
        reason = str(data.get("failure_code") or status or event).lower()
        return services.apply_failure(session, payment, reason, reason, now, canceled=status in ("EXPIRED", "CANCELED"))
    return "ignored"  # pending, authorised: a later callback says


def _refund(session: Session, event: str, data: dict[str, Any], now: datetime) -> str:
    refund_id = str(data.get("id") or "")
    if not refund_id:
        raise InvalidPayload("The refund callback has no id.")
    payment = payment_for_intent(session, data.get("payment_request_id"))
    if not record_once(session, ProcessedWebhook, event_id=f"xendit:{event}:{refund_id}"[:255], type=event[:100],
                       received_at=now):
        return "duplicate"
    order = orders.lock_order(session, payment.order_id)
    late = session.scalar(select(Payment).where(Payment.return_ref == refund_id).with_for_update())
    if late is not None:  # the return of a late success
        late.return_status = (ReturnStatus.SUCCEEDED if event == "refund.succeeded" else ReturnStatus.FAILED).value
        late.updated_at = now
        return "refunded" if event == "refund.succeeded" else "refund_failed"
    reference = str(data.get("reference_id") or "")
    rows = list(session.scalars(select(Refund).where(Refund.order_id == order.id).with_for_update()
                                .execution_options(populate_existing=True)))
    refund = next((r for r in rows if r.provider_refund_id == refund_id), None) or next(
        (r for r in rows if reference == refunds.refund_idempotency_key(r.id)), None)
    if refund is None:
        return "unchanged"
    if event == "refund.succeeded":
        return refunds.confirm(session, order, payment, refund, now)
    return refunds.fail(refund, str(data.get("failure_code") or "refund failed"), now)
