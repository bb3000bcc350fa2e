"""The impact test marketplace (``tests.unit.impact.dataset``, January 2026 WIB) with what the programme
figures add, worked out by hand in the tests:

- birth years: A's artisan 2000 (Gen Z), B's 1990, C's 2005 (Gen Z); D's none;
- A is in the sentra S of Cipayung (Tangerang Selatan); A also has a listing approved on 20 Dec 2025;
- E1: a training of S (Tangerang Selatan) on 6 Jan 02:00 UTC: A's artisan, buyer X and Z checked in,
  Y registered but did not come; E2: a workshop in Bekasi (no sentra) on 8 Jan: B's artisan checked in;
  E3: a festival in Tangerang Selatan cancelled (not held); E4: a training in February (outside);
- Z opened shop D (Tangerang Selatan, Serua) on 16 Jan 00:00 UTC, its listing created 18 Jan and
  approved 20 Jan 00:00 UTC; no sale.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from marketplace.figures.models import ArtisanProfile
from marketplace.moderation.models import ModerationDecision
from marketplace.programme.models import ProgrammeEvent, Registration
from marketplace.sentra.models import Sentra
from tests import factories
from tests.unit.impact import dataset as impact
from tests.unit.impact.dataset import FIRST, LAST, QUERY, utc

__all__ = ["FIRST", "LAST", "QUERY", "seed"]
_codes = iter(range(1000, 9999))


def _event(session: Session, kind: str, city: str, starts, *, sentra_id=None, status="scheduled"):  # noqa: ANN001
    event = ProgrammeEvent(kind=kind, status=status, title=f"{kind} {city}", venue="Balai", city=city,
                           sentra_id=sentra_id, starts_at=starts, ends_at=starts + timedelta(hours=3), capacity=10,
                           registration_opens_at=starts - timedelta(days=5),
                           registration_closes_at=starts - timedelta(hours=1))
    session.add(event)
    session.flush()
    return event


def _came(session: Session, event, user, status: str = "attended") -> None:  # noqa: ANN001
    session.add(Registration(event_id=event.id, user_id=user.id, status=status, code=f"K{next(_codes)}",
                             attended_at=event.starts_at if status == "attended" else None))


def seed(session: Session) -> dict[str, object]:
    shops = impact.seed(session)
    a, b, c = shops["a"], shops["b"], shops["c"]
    admin = factories.user(session, "admin")
    session.add(Sentra(id=9101, name="Sentra Batik Cipayung", slug="sentra-batik-cipayung-f", city=a.city,
                       kelurahan=a.kelurahan, focus="batik"))
    session.flush()
    a.sentra_id = 9101
    for shop, year in ((a, 2000), (b, 1990), (c, 2005)):
        session.add(ArtisanProfile(user_id=shop.owner_id, birth_year=year))
    early = factories.listing(session, a.owner, status="approved")
    early.created_at, early.submitted_at, early.approved_at = utc(2025, 12, 19), utc(2025, 12, 19), utc(2025, 12, 20)
    session.add(ModerationDecision(listing_id=early.id, moderator_id=admin.id, decision="approved",
                                   decided_at=utc(2025, 12, 20)))
    x, y, z = (factories.user(session, "buyer") for _ in range(3))
    e1 = _event(session, "training", "Tangerang Selatan", utc(2026, 1, 6, 2), sentra_id=9101)
    e2 = _event(session, "workshop", "Bekasi", utc(2026, 1, 8, 2))
    e3 = _event(session, "festival", "Tangerang Selatan", utc(2026, 1, 12, 2), status="cancelled")
    e4 = _event(session, "training", "Tangerang Selatan", utc(2026, 2, 3, 2))
    for user in (a.owner, x, z):
        _came(session, e1, user)
    _came(session, e1, y, "registered")
    _came(session, e2, b.owner)
    _came(session, e3, x)
    _came(session, e4, y)
    z.role = "artisan"
    d = factories.shop(session, z, city="Tangerang Selatan", kelurahan="Serua", created_at=utc(2026, 1, 16))
    listed = factories.listing(session, z, status="approved")
    listed.created_at, listed.submitted_at, listed.approved_at = utc(2026, 1, 18), utc(2026, 1, 18), utc(2026, 1, 20)
    session.add(ModerationDecision(listing_id=listed.id, moderator_id=admin.id, decision="approved",
                                   decided_at=utc(2026, 1, 20)))
    session.flush()
    return {**shops, "d": d, "sentra_id": 9101}
