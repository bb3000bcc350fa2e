"""Programme event use cases for admins (create, edit, cancel, photo) and the public reads (lists with
seats left, one event with its shops). Registration, the waiting list and check-in are
``registrations``; the shops of a festival or market are ``participation``.

Every write locks the event row first (``SELECT … FOR UPDATE``), as the house does for any aggregate
whose events go to the outbox (ARCHITECTURE.md §1): registrations, cancellations and edits of one event
never interleave, so seats are counted from the rows themselves and never oversold.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.audit.services import record_admin_action
from marketplace.errors import ValidationFailed
from marketplace.media import photos
from marketplace.media.images import ProcessedImage
from marketplace.media.storage import MediaStorage
from marketplace.programme import registrations
from marketplace.programme.aggregate import CANCELLED, SCHEDULED, EventCancelled, get_event, lock_event, seated_count
from marketplace.programme.models import ProgrammeEvent
from marketplace.programme.reads import EventView, events_of_kelurahan, list_events, view, views
from marketplace.sentra.models import Sentra

END_MESSAGE = "The end must be after the start."
WINDOW_OPEN_MESSAGE = "Registration must open before it closes."
WINDOW_CLOSE_MESSAGE = "Registration must close before the event ends."
CAPACITY_BELOW_MESSAGE = "More people are registered than this: cancel registrations first."
SENTRA_MESSAGE = "There is no such sentra."
CITY_MESSAGE = "Choose the city (or a sentra)."
#: Changes the people registered must hear of (``programme_event.rescheduled``).
RESCHEDULING = ("starts_at", "ends_at", "venue")

__all__ = ["EventCancelled", "EventView", "create_event", "update_event", "cancel_event", "set_photo", "get_event",
           "lock_event", "seated_count", "list_events", "events_of_kelurahan", "view", "views"]


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
    record_admin_action(session, admin, "programme_event.create", "programme_event", event.id, None,
                        {"title": event.title, "kind": event.kind, "starts_at": event.starts_at})
    record(session, "programme_event.published", event.id, {
        "programme_event_id": event.id, "kind": event.kind, "city": event.city, "sentra_id": event.sentra_id,
        "starts_at": event.starts_at.isoformat()})
    return event


def update_event(session: Session, admin: User, event_id: int, data: dict[str, Any], *,
                 now: datetime) -> ProgrammeEvent:
    """Change some fields of a scheduled event; more seats promote the waiting list, in order."""
    event = lock_event(session, event_id)
    if event.status == CANCELLED:
        raise EventCancelled()
    data = _check(session, data, event)
    changed = [key for key in RESCHEDULING if key in data and data[key] != getattr(event, key)]
    edited = {key: value for key, value in data.items() if value != getattr(event, key)}
    if edited:
        record_admin_action(session, admin, "programme_event.update", "programme_event", event.id,
                            {key: getattr(event, key) for key in edited}, edited)
    for key, value in data.items():
        setattr(event, key, value)
    event.updated_at = now
    session.flush()
    registrations.fill_free_seats(session, event, now=now)
    if changed:  # the people holding a seat or waiting are told the new time or place
        record(session, "programme_event.rescheduled", event.id, {"programme_event_id": event.id, "changed": changed})
    return event


def cancel_event(session: Session, admin: User, event_id: int, reason: str, *, now: datetime) -> ProgrammeEvent:
    """Cancel the event; the notifications worker tells everyone registered or waiting (from the
    ``programme_event.cancelled`` event). A second cancel is 409."""
    event = lock_event(session, event_id)
    if event.status == CANCELLED:
        raise EventCancelled()
    event.status, event.cancel_reason, event.updated_at = CANCELLED, reason, now
    record_admin_action(session, admin, "programme_event.cancel", "programme_event", event.id,
                        {"status": SCHEDULED}, {"status": CANCELLED, "reason": reason})
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
