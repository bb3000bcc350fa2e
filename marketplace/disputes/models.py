"""Disputes (ARCHITECTURE.md §4): the buyer of a seller order says it did not arrive, arrived damaged,
not as described or the wrong item; the artisan answers or refunds; an admin decides what is left open.

One dispute per seller order (a unique key: two opened at once cannot both land). ``open`` until it is
``resolved`` with an ``outcome``: ``refund`` (a refund through the payments' refund path, ``refund_id``;
full or part) or ``reject`` (nothing comes back). While a dispute is open, or its refund is still
pending at the gateway, the seller order's payout is held (``marketplace.disputes.holds``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, one_of, utcnow
from marketplace.orders.models import SellerOrder

MAX_PHOTOS_PER_DISPUTE = 5


class DisputeReason(str, enum.Enum):
    NOT_RECEIVED = "not_received"
    DAMAGED = "damaged"
    NOT_AS_DESCRIBED = "not_as_described"
    WRONG_ITEM = "wrong_item"


class DisputeStatus(str, enum.Enum):
    OPEN = "open"
    RESOLVED = "resolved"


class DisputeOutcome(str, enum.Enum):
    REFUND = "refund"
    REJECT = "reject"


class Dispute(Base):
    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint(one_of("reason", DisputeReason), name="reason_valid"),
        CheckConstraint(one_of("status", DisputeStatus), name="status_valid"),
        CheckConstraint("outcome IS NULL OR " + one_of("outcome", DisputeOutcome), name="outcome_valid"),
        CheckConstraint("refund_amount_idr IS NULL OR refund_amount_idr > 0", name="refund_amount_positive"),
        UniqueConstraint("seller_order_id", name="uq_disputes_seller_order_id"),
        Index("ix_disputes_status_opened_at", "status", "opened_at"),
        Index("ix_disputes_shop_id_status", "shop_id", "status"),
        Index("ix_disputes_buyer_id_status", "buyer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_order_id: Mapped[int] = mapped_column(ForeignKey("seller_orders.id", ondelete="RESTRICT"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="RESTRICT"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=DisputeStatus.OPEN.value)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    response_text: Mapped[str | None] = mapped_column(Text, default=None)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id", ondelete="RESTRICT"), default=None)
    refund_amount_idr: Mapped[int | None] = mapped_column(BigInteger, default=None)
    resolution_note: Mapped[str | None] = mapped_column(Text, default=None)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: When the buyer or the artisan asked an admin to decide (before ``DISPUTE_RESPONSE_DAYS`` ran out).
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    buyer: Mapped[User] = relationship(foreign_keys=[buyer_id])
    seller_order: Mapped[SellerOrder] = relationship()
    photos: Mapped[list["DisputePhoto"]] = relationship(
        back_populates="dispute", order_by="DisputePhoto.position", cascade="all, delete-orphan")


class DisputePhoto(Base):
    __tablename__ = "dispute_photos"
    __table_args__ = (Index("ix_dispute_photos_dispute_id", "dispute_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    key: Mapped[str] = mapped_column(String(255))
    thumb_key: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)

    dispute: Mapped[Dispute] = relationship(back_populates="photos")
