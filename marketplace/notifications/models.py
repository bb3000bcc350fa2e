"""Notifications: one row per (event, recipient, kind, channel), the recipient's language and opt-outs.

``channel`` is ``email`` or ``whatsapp``: a WhatsApp row is queued beside the mail only for a user who
opted in and gave a phone number (``marketplace.notifications.whatsapp``).

``notifications`` is both the idempotency record and the mail queue. The worker's handler writes the
rows (already rendered: subject, text, HTML, a ``message_id`` fixed once) in the event's transaction,
beside its inbox row, so a redelivered event finds the unique ``(event_id, recipient_id, kind, channel)`` and
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
    NO_PHONE = "no_phone"  # WhatsApp: the number was removed before the message went
    PHONE_FAILED = "phone_failed"  # WhatsApp: the number was refused for good earlier


class Channel(str, enum.Enum):
    EMAIL = "email"
    WHATSAPP = "whatsapp"


class DeliveryStatus(str, enum.Enum):
    """What WhatsApp's webhook later says of a sent message (in this order; ``failed`` at any time)."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient_id", "kind", "channel",
                         name="uq_notifications_event_id_recipient_id_kind_channel"),
        CheckConstraint(one_of("channel", Channel), name="channel_valid"),
        CheckConstraint(one_of("status", NotificationStatus), name="status_valid"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_notifications_next_attempt_at", "next_attempt_at"),
        Index("ix_notifications_recipient_id_created_at", "recipient_id", "created_at"),
        Index("ix_notifications_external_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))  # the envelope id (or a request's own uuid)
    event_type: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10), default=Channel.EMAIL.value)
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
    # WhatsApp rows: the template's body parameters (a JSON list of strings; ``body_text`` is the same
    # message as text, for the sandbox and the admins), the Cloud API's message id (``wamid.…``) once
    # sent, and the latest status its webhook reported. The phone number is never copied here: it is
    # read from the user when the row is sent.
    parameters: Mapped[str | None] = mapped_column(Text, default=None)
    external_id: Mapped[str | None] = mapped_column(String(128), default=None)
    delivery_status: Mapped[str | None] = mapped_column(String(20), default=None)
    delivery_status_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class NotificationPreference(Base):
    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(5), default="id")
    bounced_email: Mapped[str | None] = mapped_column(String(254), default=None)
    bounce_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: Opted in to WhatsApp (sent only with a phone number too); one tap on the settings page stops it.
    whatsapp: Mapped[bool] = mapped_column(default=False)
    #: The number WhatsApp refused for good (invalid, not on WhatsApp): nothing more is sent to it
    #: until the user changes their number. E-mail carries on.
    whatsapp_failed_phone: Mapped[str | None] = mapped_column(String(16), default=None)
    whatsapp_failure_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    whatsapp_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: When the user last wrote to our WhatsApp number, and from which number: for 24 hours after it a
    #: message to that number may be free-form text, not a template (``notifications.inbound``).
    whatsapp_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    whatsapp_inbound_phone: Mapped[str | None] = mapped_column(String(16), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class NotificationOptOut(Base):
    __tablename__ = "notification_opt_outs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
