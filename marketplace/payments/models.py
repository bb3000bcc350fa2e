"""Payments: the payment attempts of an order (the local record of each gateway intent), and the webhook log.

An order has at most one **live** attempt (``superseded_at`` NULL, a partial unique index); choosing
another method (``POST /orders/<id>/pay``) supersedes the live one, which the payments worker cancels
at the gateway before it makes the new one. A success of a superseded attempt, or a second success of
an order already paid, is given back automatically (``return_status``/``return_ref``).

The ``payments`` row is the payments worker's idempotency record: it is written in the same
transaction as the inbox row of the ``order.placed`` that caused it, and a second delivery (or a second
event for the same order) finds it and calls the gateway no more. The gateway's own idempotency key
(``order-<id>-intent``) covers the one window the row cannot: a crash after the gateway answered and
before our commit. For the sandbox gateway the row *is* the intent (ARCHITECTURE.md §7 "sandbox keeps
intents in the database"): it has no other store.

``processed_webhooks`` holds each gateway event id once; it is inserted in the transaction that moves
the order, so "the row exists" is exactly "the event took effect" and a replay is a 200 with no effect.

``refunds`` holds each refund an admin (or an artisan's cancel before shipping) asked for: the whole
order (``seller_order_id`` NULL) or one seller order, ``pending`` until the gateway's webhook says
``succeeded`` or ``failed``. Two partial unique indexes say "once": one live (not failed) refund per
seller order, and one live whole-order refund per order; the service (with the order locked) also
refuses a whole refund beside a part refund and vice versa, and never refunds more than was paid. A
failed refund does not count, so it can be asked for again (a new row, a new idempotency key).

``sandbox_webhook_deliveries`` is the sandbox gateway's outgoing webhook queue (Stripe's "pending
webhooks"): one row per event, written in the transaction that caused it, POSTed later to our own
``/webhooks/stripe`` by the payments worker (``marketplace.payments.delivery``). ``next_attempt_at`` is
set while the row still has to go (due, or leased to a sender, or waiting to retry) and NULL once it is
delivered (``delivered_at``) or given up (``last_error`` says why).
"""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, one_of, utcnow


class PaymentStatus(str, enum.Enum):
    REQUIRES_PAYMENT = "requires_payment"  # intent created, waiting for the buyer
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # declined; at Stripe the intent could still be retried, so it is cancelled there
    CANCELED = "canceled"  # cancelled at the gateway (order cancelled or expired), Stripe's spelling


#: Statuses after which the gateway intent can no longer take money: nothing left to cancel.
FINAL = frozenset({PaymentStatus.SUCCEEDED.value, PaymentStatus.CANCELED.value})


#: The one live attempt of an order: the row not superseded by a later choice of method.
LIVE_ATTEMPT = "superseded_at IS NULL"


class ReturnStatus(str, enum.Enum):
    """What became of a success that came too late (an attempt switched away from, or a second success
    of a paid order): it is given back in full, automatically, never kept."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Payment(Base):
    """One payment attempt of an order (see the module doc): the buyer's method, the action the gateway
    asked for, and the gateway's intent (``provider_intent_id`` NULL until the worker made it)."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(one_of("status", PaymentStatus), name="status_valid"),
        CheckConstraint("amount_idr > 0", name="amount_positive"),
        Index("ix_payments_order_id", "order_id"),
        Index("uq_payments_order_id_live", "order_id", unique=True,
              sqlite_where=text(LIVE_ATTEMPT), postgresql_where=text(LIVE_ATTEMPT)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"))
    gateway: Mapped[str] = mapped_column(String(20))
    provider_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    client_secret: Mapped[str | None] = mapped_column(String(255), default=None)
    #: ``va_bca``, ``qris``, ``ovo`` …; None: the gateway's own form (Stripe's Payment Element, the
    #: sandbox's test card and QRIS), made for every order when it is placed.
    method: Mapped[str | None] = mapped_column(String(20), default=None)
    action: Mapped[str | None] = mapped_column(Text, default=None)  # JSON: what the buyer does to pay
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    return_status: Mapped[str | None] = mapped_column(String(20), default=None)
    return_ref: Mapped[str | None] = mapped_column(String(255), default=None)

    @property
    def action_data(self) -> dict[str, Any] | None:
        """The stored action as a dict (None until the worker made the attempt)."""
        return json.loads(self.action) if self.action else None
    status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.REQUIRES_PAYMENT.value)
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    qr_payload: Mapped[str | None] = mapped_column(Text, default=None)  # QRIS text to draw as a QR code
    qr_image_url: Mapped[str | None] = mapped_column(String(500), default=None)  # Stripe's hosted image
    failure_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ProcessedWebhook(Base):
    __tablename__ = "processed_webhooks"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RefundStatus(str, enum.Enum):
    PENDING = "pending"  # asked for; the payments worker sends it, the gateway's webhook confirms it
    SUCCEEDED = "succeeded"
    FAILED = "failed"


#: Refunds that count: asked for or done (a failed one can be asked for again).
LIVE_REFUND = "status <> 'failed'"


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint(one_of("status", RefundStatus), name="status_valid"),
        CheckConstraint("amount_idr > 0", name="amount_positive"),
        Index("ix_refunds_order_id", "order_id"),
        Index("uq_refunds_seller_order_id_live", "seller_order_id", unique=True,
              sqlite_where=text(LIVE_REFUND), postgresql_where=text(LIVE_REFUND)),
        Index("uq_refunds_order_id_whole_live", "order_id", unique=True,
              sqlite_where=text(f"seller_order_id IS NULL AND {LIVE_REFUND}"),
              postgresql_where=text(f"seller_order_id IS NULL AND {LIVE_REFUND}")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"))
    seller_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("seller_orders.id", ondelete="RESTRICT"), default=None)  # None: the whole order
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=RefundStatus.PENDING.value)
    provider_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    failure_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class SandboxWebhookDelivery(Base):
    """One Stripe-format event the sandbox gateway owes ``/webhooks/stripe`` (see the module doc)."""

    __tablename__ = "sandbox_webhook_deliveries"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_sandbox_webhook_deliveries_next_attempt_at", "next_attempt_at"),
        Index("ix_sandbox_webhook_deliveries_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"))
    payload: Mapped[str] = mapped_column(Text)  # the exact JSON that is signed and sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    #: Which of our endpoints it goes to: ``stripe`` (/webhooks/stripe) or ``xendit`` (/webhooks/xendit/payments).
    endpoint: Mapped[str] = mapped_column(String(20), default="stripe", server_default="stripe")
