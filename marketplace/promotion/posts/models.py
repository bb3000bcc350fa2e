"""Promotion: one row per (listing, channel) — the idempotency record, the posting queue and the
admins' view of what went where.

The promotion worker's handler writes the rows (``queued``) in the ``listing.approved`` transaction,
beside its inbox row; a redelivered event meets the unique ``(listing_id, channel)`` and adds nothing.
The worker's posting loop (``workers.promotion.delivery``) posts due rows outside any transaction.

Statuses: ``queued`` / ``retrying`` (due at ``next_attempt_at``), ``attempting`` (a call is under way:
committed *before* the call, so a crash leaves a trace; ``next_attempt_at`` is the lease's end),
``posted`` (``external_id`` and ``url`` known), ``failed`` (given up after the retries, or interrupted
mid-call on a channel that cannot tell whether the post exists), ``permanent`` (the platform refused:
bad token, rejected media — retrying as is cannot help), ``cancelled`` (the listing stopped being
public before its post), ``withdrawing`` (posted, but the listing is no longer public: the post is to
be removed) and ``removed``. ``checkpoint`` keeps what a channel needs to resume a half-done post
(Instagram's media container id). ``next_attempt_at`` is NULL exactly when nothing more will happen.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, one_of, utcnow


#: Every channel a promotion can go to (``workers/promotion/channels/`` has one module each).
CHANNEL_NAMES = ("feed", "instagram", "facebook", "telegram", "pinterest", "webhook")


class PromotionStatus(str, enum.Enum):
    QUEUED = "queued"
    ATTEMPTING = "attempting"
    RETRYING = "retrying"
    POSTED = "posted"
    FAILED = "failed"
    PERMANENT = "permanent"
    CANCELLED = "cancelled"
    WITHDRAWING = "withdrawing"
    REMOVED = "removed"


class Promotion(Base):
    __tablename__ = "promotions"
    __table_args__ = (
        UniqueConstraint("listing_id", "channel", name="uq_promotions_listing_id_channel"),
        CheckConstraint(one_of("status", PromotionStatus), name="status_valid"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_promotions_next_attempt_at", "next_attempt_at"),
        Index("ix_promotions_channel_status", "channel", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20), default=PromotionStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    checkpoint: Mapped[str | None] = mapped_column(String(255), default=None)
    external_id: Mapped[str | None] = mapped_column(String(255), default=None)
    url: Mapped[str | None] = mapped_column(String(500), default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
