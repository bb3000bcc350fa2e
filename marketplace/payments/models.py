"""Payments: one payment row per order (the local record of its gateway intent), and the webhook log.

The ``payments`` row is the payments worker's idempotency record: it is written in the same
transaction as the inbox row of the ``order.placed`` that caused it, and a second delivery (or a second
event for the same order) finds it and calls the gateway no more. The gateway's own idempotency key
(``order-<id>-intent``) covers the one window the row cannot: a crash after the gateway answered and
before our commit. For the sandbox gateway the row *is* the intent (ARCHITECTURE.md §7 "sandbox keeps
intents in the database"): it has no other store.

``processed_webhooks`` holds each gateway event id once; it is inserted in the transaction that moves
the order, so "the row exists" is exactly "the event took effect" and a replay is a 200 with no effect.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, utcnow


class PaymentStatus(str, enum.Enum):
    REQUIRES_PAYMENT = "requires_payment"  # intent created, waiting for the buyer
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # declined; at Stripe the intent could still be retried, so it is cancelled there
    CANCELED = "canceled"  # cancelled at the gateway (order cancelled or expired), Stripe's spelling


#: Statuses after which the gateway intent can no longer take money: nothing left to cancel.
FINAL = frozenset({PaymentStatus.SUCCEEDED.value, PaymentStatus.CANCELED.value})


def _one_of(column: str, enum_cls: type[enum.Enum]) -> str:
    return f"{column} IN (" + ", ".join(f"'{s.value}'" for s in enum_cls) + ")"


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(_one_of("status", PaymentStatus), name="status_valid"),
        CheckConstraint("amount_idr > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), unique=True)
    gateway: Mapped[str] = mapped_column(String(20))
    provider_intent_id: Mapped[str] = mapped_column(String(255), unique=True)
    client_secret: Mapped[str] = mapped_column(String(255))
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
