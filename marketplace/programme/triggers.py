"""Who is told what when a programme event moves (called by the notifications worker, in the event's
transaction with its inbox row; ``notifications.services.queue`` keeps it once per event, recipient
and kind), and the day-before reminders (the scheduler's job, ``queue_reminders``).

- ``programme_event.cancelled`` → everyone registered or waiting: the event is off, and why.
- ``programme_event.rescheduled`` → everyone registered or waiting: the new time or place.
- ``registration.promoted`` → that person: a seat freed up, they are in, with their code.
- the day before → everyone holding a seat: when and where, and their code (optional message).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.config import Settings
from marketplace.notifications import services as notifications
from marketplace.per_item import each_in_own_transaction
from marketplace.programme.models import SEATED, EventStatus, ProgrammeEvent, Registration, RegistrationStatus

log = logging.getLogger(__name__)

Event = dict[str, Any]
REMIND_BEFORE = timedelta(days=1)


def _event(session: Session, event_id: int) -> ProgrammeEvent:
    event = session.get(ProgrammeEvent, event_id)
    if event is None:
        raise LookupError(f"programme event {event_id} not found")  # retried, then parked in the DLQ
    return event


def _context(settings: Settings, event: ProgrammeEvent, registration: Registration) -> dict[str, Any]:
    base = settings.public_base_url.rstrip("/")
    return {"event": event, "code": registration.code, "event_url": f"{base}/events/{event.id}",
            "mine_url": f"{base}/account/events"}


def _tell(session: Session, settings: Settings, *, event_id: str, event_type: str, kind: str,
          event: ProgrammeEvent, registration: Registration, now: datetime) -> None:
    user = session.get(User, registration.user_id)
    if user is None:
        return
    notifications.queue(session, settings, event_id=event_id, event_type=event_type, kind=kind, recipient=user,
                        context=_context(settings, event, registration), now=now)


def programme_event_cancelled(session: Session, settings: Settings, envelope: Event, now: datetime) -> None:
    """Everyone registered or waiting (not those who had cancelled): the event is cancelled, and why."""
    event = _event(session, envelope["data"]["programme_event_id"])
    rows = session.scalars(select(Registration).where(
        Registration.event_id == event.id, Registration.status != RegistrationStatus.CANCELLED.value)
        .order_by(Registration.id))
    for registration in rows:
        _tell(session, settings, event_id=str(envelope["id"]), event_type=envelope["type"],
              kind="programme_event_cancelled", event=event, registration=registration, now=now)


def programme_event_rescheduled(session: Session, settings: Settings, envelope: Event, now: datetime) -> None:
    """Everyone registered or waiting: the event's time or place changed (the mail shows the new ones).
    Nothing is sent for an event cancelled since: the cancellation said it all."""
    event = _event(session, envelope["data"]["programme_event_id"])
    if event.status != EventStatus.SCHEDULED.value:
        return
    rows = session.scalars(select(Registration).where(
        Registration.event_id == event.id, Registration.status != RegistrationStatus.CANCELLED.value)
        .order_by(Registration.id))
    for registration in rows:
        _tell(session, settings, event_id=str(envelope["id"]), event_type=envelope["type"],
              kind="programme_event_rescheduled", event=event, registration=registration, now=now)


def registration_promoted(session: Session, settings: Settings, envelope: Event, now: datetime) -> None:
    """The person promoted from the waiting list (unless they have cancelled since)."""
    registration = session.get(Registration, envelope["data"]["registration_id"])
    if registration is None or registration.status not in SEATED:
        return
    _tell(session, settings, event_id=str(envelope["id"]), event_type=envelope["type"],
          kind="registration_promoted", event=_event(session, registration.event_id), registration=registration,
          now=now)


def due_reminders(session: Session, now: datetime) -> list[int]:
    """Scheduled events starting within a day that have not had their reminders."""
    return list(session.scalars(select(ProgrammeEvent.id).where(
        ProgrammeEvent.status == EventStatus.SCHEDULED.value, ProgrammeEvent.reminded_at.is_(None),
        ProgrammeEvent.starts_at > now, ProgrammeEvent.starts_at <= now + REMIND_BEFORE).order_by(ProgrammeEvent.id)))


def remind(session: Session, settings: Settings, event_id: int, *, now: datetime) -> int:
    """Queue the day-before reminder for everyone holding a seat, once (the event row is locked and
    ``reminded_at`` re-checked: two schedulers remind once). How many were queued."""
    event = session.scalar(select(ProgrammeEvent).where(ProgrammeEvent.id == event_id).with_for_update())
    if event is None or event.reminded_at is not None or event.status != EventStatus.SCHEDULED.value:
        return 0
    event.reminded_at = now
    rows = list(session.scalars(select(Registration).where(
        Registration.event_id == event.id, Registration.status.in_(SEATED)).order_by(Registration.id)))
    for registration in rows:
        _tell(session, settings, event_id=f"programme-reminder-{event.id}", event_type="programme_event.reminder",
              kind="programme_event_reminder", event=event, registration=registration, now=now)
    return len(rows)


def queue_reminders(factory: Callable[[], Session], settings: Settings, now: datetime, *,
                    failures: Counter[str] | None = None) -> int:
    """The scheduler's job: remind every due event, each in its own transaction; how many events."""
    with factory() as session:
        due = due_reminders(session, now)
    return each_in_own_transaction(
        factory, due, lambda session, event_id: remind(session, settings, event_id, now=now),
        job="remind programme event", failures=failures)
