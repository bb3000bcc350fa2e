"""The shops taking part in a festival or market: an admin adds one (accepted at once) or accepts an
artisan's application. Only festivals and markets take shops (422 otherwise). Booth sales (later)
check ``is_participating`` before an artisan may ring one up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.programme import aggregate
from marketplace.programme.models import SHOP_KINDS, EventShop, ParticipationStatus
from marketplace.shops.models import Shop

APPLIED = ParticipationStatus.APPLIED.value
ACCEPTED = ParticipationStatus.ACCEPTED.value
NO_SHOPS_MESSAGE = "Only festivals and markets have participating shops."


class NotAShopEvent(ValidationFailed):
    """Only festivals and markets have participating shops."""

    code = "not_a_shop_event"


@dataclass
class ParticipantView:
    shop: Shop
    status: str

    def __getattr__(self, name: str) -> object:
        return getattr(self.shop, name)


def _shop_event(session: Session, event_id: int):
    event = aggregate.lock_event(session, event_id)
    if event.kind not in SHOP_KINDS:
        raise NotAShopEvent(NO_SHOPS_MESSAGE)
    if event.status == aggregate.CANCELLED:
        raise aggregate.EventCancelled()
    return event


def add_shop(session: Session, admin: User, event_id: int, shop_id: int, *, now: datetime) -> EventShop:
    """Add a shop to the event, or accept its application. 404 no such shop (or suspended)."""
    event = _shop_event(session, event_id)
    shop = session.get(Shop, shop_id)
    if shop is None or shop.suspended_at is not None:
        raise NotFound("No such shop.")
    row = session.scalar(select(EventShop).where(EventShop.event_id == event.id, EventShop.shop_id == shop.id))
    if row is None:
        row = EventShop(event_id=event.id, shop_id=shop.id, status=ACCEPTED, note="", created_at=now)
        session.add(row)
    row.status, row.decided_by, row.decided_at = ACCEPTED, admin.id, now
    session.flush()
    return row


def remove_shop(session: Session, event_id: int, shop_id: int) -> None:
    event = aggregate.lock_event(session, event_id)
    row = session.scalar(select(EventShop).where(EventShop.event_id == event.id, EventShop.shop_id == shop_id))
    if row is None:
        raise NotFound("This shop is not part of the event.")
    session.delete(row)
    session.flush()


def apply(session: Session, shop: Shop, event_id: int, note: str, *, now: datetime) -> EventShop:
    """The artisan's shop applies to take part; 409 ``already_applied`` the second time."""
    event = _shop_event(session, event_id)
    if event.ends_at <= now:
        raise ValidationFailed("This event is over.", code="event_over")
    exists = session.scalar(select(EventShop.id).where(EventShop.event_id == event.id, EventShop.shop_id == shop.id))
    if exists is not None:
        raise Conflict("Your shop has already applied to (or is part of) this event.", code="already_applied")
    row = EventShop(event_id=event.id, shop_id=shop.id, status=APPLIED, note=note, created_at=now)
    session.add(row)
    session.flush()
    return row


def shops_of(session: Session, event_id: int, *, accepted_only: bool = True) -> list[ParticipantView]:
    stmt = (select(Shop, EventShop.status).join(EventShop, EventShop.shop_id == Shop.id)
            .where(EventShop.event_id == event_id, Shop.suspended_at.is_(None)))
    if accepted_only:
        stmt = stmt.where(EventShop.status == ACCEPTED)
    return [ParticipantView(shop, status) for shop, status in session.execute(stmt.order_by(EventShop.status, Shop.name))]


def status_of(session: Session, event_id: int, shop_id: int) -> str | None:
    return session.scalar(select(EventShop.status).where(EventShop.event_id == event_id, EventShop.shop_id == shop_id))


def is_participating(session: Session, event_id: int, shop_id: int) -> bool:
    """Whether the shop is accepted at the event (what a booth sale will check)."""
    return status_of(session, event_id, shop_id) == ACCEPTED
