"""Notifications: one row per (event, recipient, kind), the recipient's language and opt-outs.

``notifications`` is both the idempotency record and the mail queue. The worker's handler writes the
rows (already rendered: subject, text, HTML, a ``message_id`` fixed once) in the event's transaction,
beside its inbox row, so a redelivered event finds the unique ``(event_id, recipient_id, kind)`` and
sends nothing more. The worker's delivery loop (``marketplace.notifications.delivery``) sends due rows
later, outside any transaction that could roll a send back, with the same ``Message-ID`` and ``Date``
on every attempt, so a retry after a lost reply is the same message (providers de-duplicate on it).

Statuses: ``queued`` (due at ``next_attempt_at``), ``retrying`` (a temporary failure: ``last_error``
says which, ``next_attempt_at`` when it goes again), ``sent``, ``failed`` (given up after
``MAX_ATTEMPTS``), ``permanent`` (the server refused the address for good; the address is marked
bounced), ``skipped`` (never sent: ``skip_reason`` is ``no_email``, ``opted_out``, ``address_bounced``
or ``no_longer_relevant``). ``next_attempt_at`` is NULL exactly when nothing more will happen.

``notification_preferences`` holds what the account settings page chooses (language, and the address
that bounced, if any); no row means the defaults: Bahasa Indonesia, every optional message.
``notification_opt_outs`` lists the optional kinds a user does not want; transactional kinds are
never looked up there.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, one_of, utcnow


class NotificationStatus(str, enum.Enum):
    QUEUED = "queued"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"
    PERMANENT = "permanent"
    SKIPPED = "skipped"


class SkipReason(str, enum.Enum):
    NO_EMAIL = "no_email"
    OPTED_OUT = "opted_out"
    ADDRESS_BOUNCED = "address_bounced"
    NO_LONGER_RELEVANT = "no_longer_relevant"  # a reminder whose parcel was confirmed meanwhile


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient_id", "kind", name="uq_notifications_event_id_recipient_id_kind"),
        CheckConstraint(one_of("status", NotificationStatus), name="status_valid"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_notifications_next_attempt_at", "next_attempt_at"),
        Index("ix_notifications_recipient_id_created_at", "recipient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))  # the envelope id (or a request's own uuid)
    event_type: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(String(254), default=None)  # the address when queued
    language: Mapped[str] = mapped_column(String(5), default="id")
    transactional: Mapped[bool] = mapped_column(default=True)
    #: A reminder about this seller order is sent only while it is still shipped and unconfirmed.
    seller_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("seller_orders.id", ondelete="SET NULL"), default=None)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    subject: Mapped[str] = mapped_column(String(300), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    unsubscribe_url: Mapped[str | None] = mapped_column(String(300), default=None)  # optional mail only
    status: Mapped[str] = mapped_column(String(20), default=NotificationStatus.QUEUED.value)
    skip_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class NotificationPreference(Base):
    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(5), default="id")
    bounced_email: Mapped[str | None] = mapped_column(String(254), default=None)
    bounce_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class NotificationOptOut(Base):
    __tablename__ = "notification_opt_outs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
