"""The events a shop rings up booth sales at: the festivals and markets it is accepted at, not cancelled
and not over, those on now first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.programme.models import SHOP_KINDS, EventShop, EventStatus, ParticipationStatus, ProgrammeEvent
from marketplace.shops.models import Shop


def booth_events(session: Session, artisan: User, *, now: datetime, limit: int = 20) -> list[ProgrammeEvent]:
    return list(session.scalars(
        select(ProgrammeEvent)
        .join(EventShop, EventShop.event_id == ProgrammeEvent.id)
        .join(Shop, Shop.id == EventShop.shop_id)
        .where(Shop.owner_id == artisan.id, EventShop.status == ParticipationStatus.ACCEPTED.value,
               ProgrammeEvent.kind.in_(SHOP_KINDS), ProgrammeEvent.status == EventStatus.SCHEDULED.value,
               ProgrammeEvent.ends_at > now)
        .order_by(ProgrammeEvent.starts_at, ProgrammeEvent.id).limit(limit)))
