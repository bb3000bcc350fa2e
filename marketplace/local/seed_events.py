"""The demo's programme events (issue #27): a batik workshop at the first demo sentra next week and a
creative market in Bekasi in two weeks with the Bekasi demo shops taking part, so ``marketplace run``
shows the events pages, a sentra's calendar and a festival's products. Added through the use cases
(an event each, one transaction each); an event whose title is there already is not added again.
Times are relative to the seeding, so the demo's events are always upcoming when it is seeded."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.formatting import TIMEZONE
from marketplace.programme import participation, services
from marketplace.programme.models import ProgrammeEvent
from marketplace.sentra.models import Sentra
from marketplace.shops.models import Shop

WORKSHOP = "Lokakarya membatik dengan canting"
MARKET = "Pasar Kreatif Akhir Pekan Bekasi"


def _wib(now: datetime, days: int, hour: int) -> datetime:
    day = (now.astimezone(TIMEZONE) + timedelta(days=days)).date()
    return datetime.combine(day, time(hour, 0), tzinfo=TIMEZONE)


def _add(session: Session, admin: Any, values: dict[str, Any], now: datetime) -> ProgrammeEvent | None:
    if session.scalar(select(ProgrammeEvent.id).where(ProgrammeEvent.title == values["title"])) is not None:
        return None
    return services.create_event(session, admin, values, now=now)


def seed_events(session: Session, admin: Any, now: datetime) -> int:
    """Add what is missing of the two demo events; how many were added."""
    added = 0
    sentra = session.scalar(select(Sentra).order_by(Sentra.id))
    starts = _wib(now, 7, 9)
    workshop = {
        "kind": "workshop", "title": WORKSHOP, "venue": f"Balai {sentra.name}" if sentra else "Balai Warga",
        "description": "Belajar membatik tulis dari perajin sentra: dari pola, canting, sampai pewarnaan. "
                       "Kain dan alat disediakan; gratis, tempat terbatas.",
        "city": sentra.city if sentra else "Tangerang Selatan", "sentra_id": sentra.id if sentra else None,
        "capacity": 15, "starts_at": starts, "ends_at": starts + timedelta(hours=3),
        "registration_opens_at": now - timedelta(hours=1), "registration_closes_at": starts - timedelta(hours=12)}
    if _add(session, admin, workshop, now) is not None:
        session.commit()
        added += 1
    starts = _wib(now, 14, 8)
    market = {
        "kind": "market", "title": MARKET, "venue": "Alun-alun Kota Bekasi", "city": "Bekasi", "sentra_id": None,
        "description": "Pasar akhir pekan karya perajin Bekasi: batik, anyaman, kuliner kemasan. Bayar di tempat "
                       "dengan QRIS.",
        "capacity": 300, "starts_at": starts, "ends_at": starts + timedelta(hours=9),
        "registration_opens_at": now - timedelta(hours=1), "registration_closes_at": starts}
    event = _add(session, admin, market, now)
    if event is not None:
        for shop_id in session.scalars(select(Shop.id).where(Shop.city == "Bekasi").order_by(Shop.id).limit(4)):
            participation.add_shop(session, admin, event.id, shop_id, now=now)
        session.commit()
        added += 1
    return added
