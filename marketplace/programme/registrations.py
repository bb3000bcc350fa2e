"""Registration for a programme event, its waiting list, and check-in at the door.

Race safety: every step locks the event row first (``aggregate.lock_event``), then counts the seats
held from the registrations themselves. On PostgreSQL the lock queues concurrent registrations for one
event, so the count each one reads includes every earlier one's committed row: of twenty users racing
for five seats exactly five are ``registered`` and fifteen ``waitlisted``. SQLite's single writer
does the same. The unique ``(event_id, user_id)`` is the backstop for registering twice.

The waiting list is served in ``queued_at`` order (then id): when a seat frees (a cancellation, more
capacity) the first in line is ``promoted`` (``registration.promoted`` tells them).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.programme import aggregate, reads
from marketplace.programme.models import ProgrammeEvent, Registration, RegistrationStatus

REGISTERED = RegistrationStatus.REGISTERED.value
WAITLISTED = RegistrationStatus.WAITLISTED.value
ATTENDED = RegistrationStatus.ATTENDED.value
CANCELLED = RegistrationStatus.CANCELLED.value

#: Check-in codes: no 0/O, 1/I/L, so a code read aloud or typed from a phone is not mistaken.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


class RegistrationClosed(ValidationFailed):
    """Registration for this event is not open now."""

    code = "registration_closed"


class AlreadyRegistered(Conflict):
    """You are already registered for this event."""

    code = "already_registered"


class AlreadyCheckedIn(Conflict):
    """This code has already been checked in."""

    code = "already_checked_in"


class NotSeated(Conflict):
    """This registration holds no seat (waiting list or cancelled)."""

    code = "not_registered"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


def _event_of(registration: Registration) -> dict[str, object]:
    return {"programme_event_id": registration.event_id, "registration_id": registration.id,
            "status": registration.status}


def register(session: Session, user: User, event_id: int, *, now: datetime) -> Registration:
    """Register ``user``: a seat while there is one, else the waiting list. 404 no such event; 409
    ``event_cancelled``; 422 ``registration_closed`` outside the window; 409 ``already_registered``."""
    event = aggregate.lock_event(session, event_id)
    if event.status == aggregate.CANCELLED:
        raise aggregate.EventCancelled()
    if not (event.registration_opens_at <= now < event.registration_closes_at):
        raise RegistrationClosed()
    existing = session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                         Registration.user_id == user.id))
    if existing is not None and existing.status != CANCELLED:
        raise AlreadyRegistered()
    status = REGISTERED if aggregate.seated_count(session, event.id) < event.capacity else WAITLISTED
    if existing is None:
        registration = Registration(event_id=event.id, user_id=user.id, code=new_code(), created_at=now,
                                    status=status, queued_at=now)
        session.add(registration)
    else:  # back after cancelling: the same row and code, at the end of the line
        registration = existing
        registration.status, registration.queued_at, registration.cancelled_at = status, now, None
        registration.promoted_at = None
    session.flush()
    record(session, "registration.created", event.id, _event_of(registration))
    return registration


def cancel(session: Session, user: User, event_id: int, *, now: datetime) -> Registration:
    """The user's own registration is cancelled; the seat it held goes to the first in line. 404 when
    they have none (or cancelled already)."""
    event = aggregate.lock_event(session, event_id)
    registration = session.scalar(select(Registration).where(
        Registration.event_id == event.id, Registration.user_id == user.id, Registration.status != CANCELLED))
    if registration is None:
        raise NotFound("You are not registered for this event.")
    if registration.status == ATTENDED:
        raise AlreadyCheckedIn("You have already been checked in at this event.")
    registration.status, registration.cancelled_at = CANCELLED, now
    session.flush()
    record(session, "registration.cancelled", event.id, _event_of(registration))
    if event.status != aggregate.CANCELLED:
        fill_free_seats(session, event, now=now)
    return registration


def fill_free_seats(session: Session, event: ProgrammeEvent, *, now: datetime) -> list[Registration]:
    """Promote the waiting list, first in line first, into the seats now free (the event row is
    locked by the caller)."""
    free = event.capacity - aggregate.seated_count(session, event.id)
    if free <= 0:
        return []
    promoted = list(session.scalars(
        select(Registration).where(Registration.event_id == event.id, Registration.status == WAITLISTED)
        .order_by(Registration.queued_at, Registration.id).limit(free)))
    for registration in promoted:
        registration.status, registration.promoted_at = REGISTERED, now
        session.flush()
        record(session, "registration.promoted", event.id, _event_of(registration))
    return promoted


def check_in(session: Session, event_id: int, code: str, *, now: datetime) -> Registration:
    """Mark the code's registration attended. 404 unknown code (or another event's); 409
    ``already_checked_in``; 409 ``not_registered`` for the waiting list or a cancelled registration."""
    event = aggregate.lock_event(session, event_id)
    if event.status == aggregate.CANCELLED:
        raise aggregate.EventCancelled()
    registration = session.scalar(select(Registration).where(
        Registration.event_id == event.id, Registration.code == normalise_code(code)))
    if registration is None:
        raise NotFound("No registration for this event has this code.")
    if registration.status == ATTENDED:
        raise AlreadyCheckedIn()
    if registration.status != REGISTERED:
        raise NotSeated()
    registration.status, registration.attended_at = ATTENDED, now
    session.flush()
    record(session, "attendance.recorded", event.id, _event_of(registration))
    return registration


@dataclass
class MyRegistration:
    registration: Registration
    event: reads.EventView
    waitlist_position: int | None

    def __getattr__(self, name: str) -> object:
        return getattr(self.registration, name)


def waitlist_position(session: Session, registration: Registration) -> int | None:
    if registration.status != WAITLISTED:
        return None
    ahead = session.scalar(select(func.count(Registration.id)).where(
        Registration.event_id == registration.event_id, Registration.status == WAITLISTED,
        (Registration.queued_at < registration.queued_at)
        | ((Registration.queued_at == registration.queued_at) & (Registration.id < registration.id))))
    return int(ahead or 0) + 1


def describe(session: Session, registration: Registration) -> MyRegistration:
    event = reads.views(session, [session.get(ProgrammeEvent, registration.event_id)])[0]
    return MyRegistration(registration, event, waitlist_position(session, registration))


def of_user(session: Session, user: User) -> list[MyRegistration]:
    """The user's registrations (not cancelled), soonest event first: "Acara saya"."""
    rows = list(session.scalars(
        select(Registration).join(ProgrammeEvent, ProgrammeEvent.id == Registration.event_id)
        .where(Registration.user_id == user.id, Registration.status != CANCELLED)
        .order_by(ProgrammeEvent.starts_at, Registration.id)))
    events = {v.id: v for v in reads.views(session, [session.get(ProgrammeEvent, r.event_id) for r in rows])}
    return [MyRegistration(r, events[r.event_id], waitlist_position(session, r)) for r in rows]


def of_user_for_event(session: Session, user: User | None, event_id: int) -> Registration | None:
    if user is None:
        return None
    return session.scalar(select(Registration).where(
        Registration.event_id == event_id, Registration.user_id == user.id, Registration.status != CANCELLED))


def attendees(session: Session, event_id: int) -> list[Any]:
    """Everyone registered, attended or waiting, for the admins' check-in page."""
    return list(session.execute(
        select(Registration, User).join(User, User.id == Registration.user_id)
        .where(Registration.event_id == event_id, Registration.status != CANCELLED)
        .order_by(Registration.status, Registration.queued_at, Registration.id)).all())



def cancel_upcoming_of(session: Session, user: User, *, now: datetime) -> int:
    """Cancel every registration of ``user`` for a scheduled event not yet over (their account is
    closing): each freed seat goes to the first in line. How many."""
    event_ids = list(session.scalars(
        select(Registration.event_id).join(ProgrammeEvent, ProgrammeEvent.id == Registration.event_id)
        .where(Registration.user_id == user.id, Registration.status.in_((REGISTERED, WAITLISTED)),
               ProgrammeEvent.status == aggregate.SCHEDULED, ProgrammeEvent.ends_at > now)
        .order_by(Registration.event_id)))
    for event_id in event_ids:  # in id order, as every writer locks events
        cancel(session, user, event_id, now=now)
    return len(event_ids)


def export_of(session: Session, user: User) -> list[dict[str, Any]]:
    """The user's registrations for ``/me/export``: which event, status, code and when."""
    rows = session.execute(select(Registration, ProgrammeEvent.title).join(
        ProgrammeEvent, ProgrammeEvent.id == Registration.event_id)
        .where(Registration.user_id == user.id).order_by(Registration.id))
    return [{"event_id": r.event_id, "event": title, "status": r.status, "code": r.code,
             "registered_at": r.created_at.isoformat(),
             "attended_at": r.attended_at.isoformat() if r.attended_at else None,
             "cancelled_at": r.cancelled_at.isoformat() if r.cancelled_at else None} for r, title in rows]
