"""Payout accounts, payouts, the provider webhooks seen, and the sandbox provider's transfer record.

**Payout** (one per delivered seller order; the batching rule, see ``services``): ``scheduled`` (on
hold until ``due_at``) → ``processing`` (released: its amount is fixed and moved to
``payouts_in_transit`` in the ledger; the payouts worker sends it) → ``paid``, or ``pending`` (the
provider accepted it, its webhook settles it) → ``paid`` | ``failed``. Without a usable account a due
payout waits in ``awaiting_account``; a payout whose seller order was refunded before it went out, or
that an earlier refund's debt absorbed, is ``cancelled`` (amount 0). ``generation`` counts sends that
failed for good and were retried by an admin: the provider's idempotency key is ``payout-<id>`` for the
first send and ``payout-<id>-<generation>`` after, so a retry is a new transfer but a crash-and-redo of
one send never is. ``attempts``/``last_error``/``next_attempt_at`` keep transient failures visible
while they are retried with backoff.

``sandbox_payout_transfers`` is the *provider's* side of the sandbox (as Stripe's database is
Stripe's): written on the sandbox's own connection and committed at once, before our transaction ends,
keyed by idempotency key, so a send repeated after a crash finds the first transfer. No foreign keys:
the provider knows nothing of our rows.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, UTCDateTime, one_of, utcnow
from marketplace.payouts.providers import ACCOUNT_STATUSES
from marketplace.shops.models import Shop


class PayoutStatus(str, enum.Enum):
    SCHEDULED = "scheduled"
    AWAITING_ACCOUNT = "awaiting_account"
    PROCESSING = "processing"
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PayoutAccount(Base):
    __tablename__ = "payout_accounts"
    __table_args__ = (
        CheckConstraint("status IN ({})".format(", ".join(f"'{s}'" for s in ACCOUNT_STATUSES)), name="status_valid"),
        Index("ix_payout_accounts_account_ref", "account_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="RESTRICT"), unique=True)
    provider: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    account_ref: Mapped[str] = mapped_column(String(255))
    channel_code: Mapped[str | None] = mapped_column(String(40), default=None)
    account_number: Mapped[str | None] = mapped_column(String(40), default=None)
    account_holder_name: Mapped[str | None] = mapped_column(String(120), default=None)
    onboarding_url: Mapped[str | None] = mapped_column(String(500), default=None)
    #: Why the provider stopped paying this account (a transfer failed for good): the artisan must fix it.
    problem: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    shop: Mapped[Shop] = relationship()

    @property
    def masked_number(self) -> str | None:
        """The account number as shown: only its last four digits."""
        if not self.account_number:
            return None
        return "•" * max(0, len(self.account_number) - 4) + self.account_number[-4:]


class Payout(Base):
    __tablename__ = "payouts"
    __table_args__ = (
        CheckConstraint(one_of("status", PayoutStatus), name="status_valid"),
        CheckConstraint("amount_idr >= 0 AND commission_idr >= 0", name="amounts_valid"),
        CheckConstraint("generation >= 0 AND attempts >= 0", name="counts_valid"),
        Index("ix_payouts_status_due_at", "status", "due_at"),
        Index("ix_payouts_shop_id_status", "shop_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="RESTRICT"))
    seller_order_id: Mapped[int] = mapped_column(ForeignKey("seller_orders.id", ondelete="RESTRICT"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default=PayoutStatus.SCHEDULED.value)
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    commission_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    provider: Mapped[str | None] = mapped_column(String(20), default=None)
    transfer_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    failure_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    shop: Mapped[Shop] = relationship()

    @property
    def idempotency_key(self) -> str:
        return f"payout-{self.id}" if self.generation == 0 else f"payout-{self.id}-{self.generation}"


class PayoutProviderEventRecord(Base):
    """A provider webhook applied once (``apply_provider_event``): a redelivery finds its row."""

    __tablename__ = "payout_provider_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SandboxPayoutTransfer(Base):
    """The sandbox provider's record of one transfer (see the module doc)."""

    __tablename__ = "sandbox_payout_transfers"
    __table_args__ = (CheckConstraint("amount_idr > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    transfer_id: Mapped[str] = mapped_column(String(64), unique=True)
    payout_id: Mapped[int] = mapped_column(Integer)
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    account_ref: Mapped[str] = mapped_column(String(255))
    transfer_group: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
