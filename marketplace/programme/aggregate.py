"""The programme event as an aggregate: its row lock (every write to an event, its registrations or its
shops takes it first), the seats it has given, and the refusal of a cancelled event. Shared by the
modules that change an event (``services``, ``registrations``, ``participation``), below all of them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.errors import Conflict, NotFound
from marketplace.programme.models import SEATED, EventStatus, ProgrammeEvent, Registration

SCHEDULED = EventStatus.SCHEDULED.value
CANCELLED = EventStatus.CANCELLED.value


class EventCancelled(Conflict):
    """This event is cancelled."""

    code = "event_cancelled"


def lock_event(session: Session, event_id: int) -> ProgrammeEvent:
    event = session.scalar(select(ProgrammeEvent).where(ProgrammeEvent.id == event_id).with_for_update())
    if event is None:
        raise NotFound("No such event.")
    return event


def get_event(session: Session, event_id: int) -> ProgrammeEvent:
    event = session.get(ProgrammeEvent, event_id)
    if event is None:
        raise NotFound("No such event.")
    return event


def seated_count(session: Session, event_id: int) -> int:
    return int(session.scalar(select(func.count(Registration.id)).where(
        Registration.event_id == event_id, Registration.status.in_(SEATED))) or 0)

