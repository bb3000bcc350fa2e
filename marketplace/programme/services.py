"""Programme event use cases for admins (create, edit, cancel, photo) and the public reads (lists with
seats left, one event with its shops). Registration, the waiting list and check-in are
``registrations``; the shops of a festival or market are ``participation``.

Every write locks the event row first (``SELECT … FOR UPDATE``), as the house does for any aggregate
whose events go to the outbox (ARCHITECTURE.md §1): registrations, cancellations and edits of one event
never interleave, so seats are counted from the rows themselves and never oversold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.media import photos
from marketplace.media.images import ProcessedImage
from marketplace.media.storage import MediaStorage
from marketplace.programme.models import (
    SEATED, SHOP_KINDS, EventStatus, ProgrammeEvent, Registration, RegistrationStatus,
)
from marketplace.sentra.models import Sentra

END_MESSAGE = "The end must be after the start."
WINDOW_OPEN_MESSAGE = "Registration must open before it closes."
WINDOW_CLOSE_MESSAGE = "Registration must close before the event ends."
CAPACITY_BELOW_MESSAGE = "More people are registered than this: cancel registrations first."
SENTRA_MESSAGE = "There is no such sentra."
CITY_MESSAGE = "Choose the city (or a sentra)."

SCHEDULED = EventStatus.SCHEDULED.value
CANCELLED = EventStatus.CANCELLED.value
WAITLISTED = RegistrationStatus.WAITLISTED.value


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


def _check(session: Session, data: dict[str, Any], event: ProgrammeEvent | None) -> dict[str, Any]:
    """422 naming the field for the rules that join fields; returns ``data`` with the city of the
    sentra filled in."""
    def value(key: str) -> Any:
        return data[key] if key in data else getattr(event, key, None)

    errors: dict[str, list[str]] = {}
    data = dict(data)
    if data.get("sentra_id") is not None:
        sentra = session.get(Sentra, data["sentra_id"])
        if sentra is None:
            errors["sentra_id"] = [SENTRA_MESSAGE]
        else:
            data["city"] = sentra.city
    elif "sentra_id" in data or event is None:
        if not value("city"):
            errors["city"] = [CITY_MESSAGE]
    if "city" in data and data["city"] is None:
        data.pop("city")
    starts, ends = value("starts_at"), value("ends_at")
    opens, closes = value("registration_opens_at"), value("registration_closes_at")
    if starts is not None and ends is not None and ends <= starts:
        errors["ends_at"] = [END_MESSAGE]
    if opens is not None and closes is not None and closes <= opens:
        errors["registration_closes_at"] = [WINDOW_OPEN_MESSAGE]
    elif closes is not None and ends is not None and closes > ends:
        errors["registration_closes_at"] = [WINDOW_CLOSE_MESSAGE]
    if event is not None and "capacity" in data and data["capacity"] < seated_count(session, event.id):
        errors["capacity"] = [CAPACITY_BELOW_MESSAGE]
    if errors:
        raise ValidationFailed(fields=errors)
    return data


def create_event(session: Session, admin: User, data: dict[str, Any], *, now: datetime) -> ProgrammeEvent:
    """A new event (``data`` passed ``schemas.EventIn``); ``programme_event.published`` goes out with it."""
    data = _check(session, data, None)
    event = ProgrammeEvent(**data, status=SCHEDULED, created_by=admin.id, created_at=now, updated_at=now)
    session.add(event)
    session.flush()
    record(session, "programme_event.published", event.id, {
        "programme_event_id": event.id, "kind": event.kind, "city": event.city, "sentra_id": event.sentra_id,
        "starts_at": event.starts_at.isoformat()})
    return event


def update_event(session: Session, admin: User, event_id: int, data: dict[str, Any], *,
                 now: datetime) -> ProgrammeEvent:
    """Change some fields of a scheduled event; more seats promote the waiting list, in order."""
    from marketplace.programme import registrations

    event = lock_event(session, event_id)
    if event.status == CANCELLED:
        raise EventCancelled()
    data = _check(session, data, event)
    for key, value in data.items():
        setattr(event, key, value)
    event.updated_at = now
    session.flush()
    registrations.fill_free_seats(session, event, now=now)
    return event


def cancel_event(session: Session, admin: User, event_id: int, reason: str, *, now: datetime) -> ProgrammeEvent:
    """Cancel the event; the notifications worker tells everyone registered or waiting (from the
    ``programme_event.cancelled`` event). A second cancel is 409."""
    event = lock_event(session, event_id)
    if event.status == CANCELLED:
        raise EventCancelled()
    event.status, event.cancel_reason, event.updated_at = CANCELLED, reason, now
    session.flush()
    record(session, "programme_event.cancelled", event.id, {"programme_event_id": event.id})
    return event


def set_photo(session: Session, storage: MediaStorage, event_id: int, processed: ProcessedImage) -> ProgrammeEvent:
    """Store a processed photo (decoded before this, in the bounded image pool) as the event's photo;
    the new files go if the transaction does not commit, the old ones once it has."""
    event = lock_event(session, event_id)
    stored = photos.store(session, storage, f"programme/{event.id}", processed)
    old = [event.photo_key, event.photo_thumb_key]
    event.photo_key, event.photo_thumb_key = stored.key, stored.thumb_key
    photos.delete_when_committed(session, storage, old)
    return event


def seated_count(session: Session, event_id: int) -> int:
    return int(session.scalar(select(func.count(Registration.id)).where(
        Registration.event_id == event_id, Registration.status.in_(SEATED))) or 0)


# --- reads ---------------------------------------------------------------------------------------------


@dataclass
class EventView:
    """An event with its figures (seats left, waiting list) and, for festivals and markets, its shops."""

    event: ProgrammeEvent
    seated: int = 0
    waitlisted: int = 0
    shops: list[Any] = field(default_factory=list)

    @property
    def seats_left(self) -> int:
        return max(0, self.event.capacity - self.seated)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.event, name)


def _figures(session: Session, event_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not event_ids:
        return {}
    rows = session.execute(
        select(Registration.event_id,
               func.sum(case((Registration.status.in_(SEATED), 1), else_=0)),
               func.sum(case((Registration.status == WAITLISTED, 1), else_=0)))
        .where(Registration.event_id.in_(event_ids)).group_by(Registration.event_id))
    return {event_id: (int(seated or 0), int(waiting or 0)) for event_id, seated, waiting in rows}


def views(session: Session, events: list[ProgrammeEvent], *, with_shops: bool = False,
          all_shops: bool = False) -> list[EventView]:
    figures = _figures(session, [e.id for e in events])
    out = []
    for event in events:
        seated, waiting = figures.get(event.id, (0, 0))
        view = EventView(event, seated, waiting)
        if with_shops and event.kind in SHOP_KINDS:
            from marketplace.programme import participation

            view.shops = participation.shops_of(session, event.id, accepted_only=not all_shops)
        out.append(view)
    return out


def view(session: Session, event: ProgrammeEvent, *, all_shops: bool = False) -> EventView:
    return views(session, [event], with_shops=True, all_shops=all_shops)[0]


def list_events(session: Session, *, now: datetime, city: str | None = None, sentra_id: int | None = None,
                kind: str | None = None, from_: datetime | None = None, to: datetime | None = None,
                include_cancelled: bool = False, limit: int = 200) -> list[EventView]:
    """Events not yet ended (or from ``from_``), soonest first, optionally of a city, sentra or kind."""
    stmt = select(ProgrammeEvent).where(ProgrammeEvent.ends_at >= (from_ or now))
    if not include_cancelled:
        stmt = stmt.where(ProgrammeEvent.status == SCHEDULED)
    if city:
        stmt = stmt.where(ProgrammeEvent.city == city)
    if sentra_id is not None:
        stmt = stmt.where(ProgrammeEvent.sentra_id == sentra_id)
    if kind:
        stmt = stmt.where(ProgrammeEvent.kind == kind)
    if to is not None:
        stmt = stmt.where(ProgrammeEvent.starts_at <= to)
    events = list(session.scalars(stmt.order_by(ProgrammeEvent.starts_at, ProgrammeEvent.id).limit(limit)))
    return views(session, events)


def events_of_kelurahan(session: Session, city: str, kelurahan: str, *, now: datetime) -> list[EventView]:
    """The upcoming events of a kelurahan's sentra, then the city's own (held by no sentra)."""
    sentra_ids = list(session.scalars(select(Sentra.id).where(Sentra.city == city, Sentra.kelurahan == kelurahan)))
    stmt = (select(ProgrammeEvent).where(ProgrammeEvent.ends_at >= now, ProgrammeEvent.status == SCHEDULED,
                                         ProgrammeEvent.city == city)
            .where(ProgrammeEvent.sentra_id.in_(sentra_ids) | ProgrammeEvent.sentra_id.is_(None))
            .order_by(ProgrammeEvent.starts_at, ProgrammeEvent.id).limit(50))
    return views(session, list(session.scalars(stmt)))

