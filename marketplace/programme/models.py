"""Programme events, their registrations and the shops taking part.

An **event** (``programme_events``; "event" alone means the outbox's) belongs to a city and, when a
sentra holds it, to that sentra (``city`` is then the sentra's). Times are stored in UTC and shown in
WIB. ``status`` is ``scheduled`` or ``cancelled``: a cancelled event keeps its registrations so the
notifications worker can tell each registered (and waiting) person.

A **registration** (one per event and user: registering again after cancelling re-uses the row) is
``registered`` (holds a seat), ``waitlisted`` (waits, in ``queued_at`` order), ``attended`` (checked in:
still holds its seat) or ``cancelled``. Seats are counted from these rows, never from a counter, under
the event row's lock (``services.register``): two users never get the last seat. ``code`` is the short
code shown as a QR on "Acara saya" and typed or scanned at check-in.

A **participating shop** (``programme_event_shops``) is a shop at a festival or market: ``applied`` by
its artisan or ``accepted`` (added or accepted by an admin). Booth sales (later) attach here: only an
accepted shop of the event may ring one up.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, one_of, utcnow


class EventKind(str, enum.Enum):
    WORKSHOP = "workshop"
    TRAINING = "training"
    FESTIVAL = "festival"
    MARKET = "market"


#: The kinds that list participating shops and their products.
SHOP_KINDS = (EventKind.FESTIVAL.value, EventKind.MARKET.value)


class EventStatus(str, enum.Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class RegistrationStatus(str, enum.Enum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    ATTENDED = "attended"
    CANCELLED = "cancelled"


#: The statuses that hold a seat.
SEATED = (RegistrationStatus.REGISTERED.value, RegistrationStatus.ATTENDED.value)


class ParticipationStatus(str, enum.Enum):
    APPLIED = "applied"
    ACCEPTED = "accepted"


class ProgrammeEvent(Base):
    __tablename__ = "programme_events"
    __table_args__ = (
        CheckConstraint(one_of("kind", EventKind), name="kind_valid"),
        CheckConstraint(one_of("status", EventStatus), name="status_valid"),
        CheckConstraint("ends_at > starts_at", name="times_valid"),
        CheckConstraint("registration_closes_at > registration_opens_at AND registration_closes_at <= ends_at",
                        name="window_valid"),
        CheckConstraint("capacity >= 1", name="capacity_valid"),
        Index("ix_programme_events_city_starts_at", "city", "starts_at"),
        Index("ix_programme_events_sentra_id", "sentra_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.SCHEDULED.value)
    title: Mapped[str] = mapped_column(String(140))
    description: Mapped[str] = mapped_column(Text, default="")
    venue: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(80))
    sentra_id: Mapped[int | None] = mapped_column(ForeignKey("sentra.id", ondelete="SET NULL"), default=None)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    photo_key: Mapped[str | None] = mapped_column(String(255), default=None)
    photo_thumb_key: Mapped[str | None] = mapped_column(String(255), default=None)
    cancel_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    #: When the day-before reminders were queued (the scheduler's job does it once).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Registration(Base):
    __tablename__ = "programme_registrations"
    __table_args__ = (
        CheckConstraint(one_of("status", RegistrationStatus), name="status_valid"),
        UniqueConstraint("event_id", "user_id", name="uq_programme_registrations_event_id_user_id"),
        Index("ix_programme_registrations_event_id_status_queued_at", "event_id", "status", "queued_at"),
        Index("ix_programme_registrations_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("programme_events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(12), unique=True)
    #: The waiting list's order: when this (re-)registration was made.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EventShop(Base):
    __tablename__ = "programme_event_shops"
    __table_args__ = (
        CheckConstraint(one_of("status", ParticipationStatus), name="status_valid"),
        UniqueConstraint("event_id", "shop_id", name="uq_programme_event_shops_event_id_shop_id"),
        Index("ix_programme_event_shops_shop_id", "shop_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("programme_events.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(500), default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
