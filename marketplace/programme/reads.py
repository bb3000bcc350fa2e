"""The public reads of programme events: lists with seats left and the waiting list's length, one event
with the shops taking part. GETs only: nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from marketplace.programme import participation
from marketplace.programme.aggregate import SCHEDULED
from marketplace.programme.models import SEATED, SHOP_KINDS, ProgrammeEvent, Registration, RegistrationStatus
from marketplace.sentra.models import Sentra

WAITLISTED = RegistrationStatus.WAITLISTED.value


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

