"""Programme figures per city, kelurahan and sentra for a period (ARCHITECTURE §4 "Programme figures").

**What is counted** (a period is the half-open UTC range of :class:`~marketplace.impact.counted.Period`):

- *artisans*: shops opened before the period's end (one shop per artisan); the size of a group, which
  decides suppression;
- *active artisans*: shops that sold (a counted seller order, as the impact figures count them:
  :func:`marketplace.impact.counted.counted`) or listed (a listing created or approved) in the period;
  *young active artisans*: those whose owner gave a birth year in Gen Z (1997–2012);
- *new shops*: opened in the period; *listings*: listings approved by a moderator in the period;
- *orders*, *GMV* (paid less refunds), the *shares sold outside the city / the province* (of the counted
  orders, as impact defines them);
- *booth sales*: counted orders whose ``orders.fulfilment`` is ``pickup`` (booth sales at festivals and
  markets). :func:`booth_flag` is the one hook: while that column does not exist the figures are
  ``null`` and ``booth_sales_counted`` is false;
- *events held*: programme events not cancelled that started in the period (and before now), by the
  event's city and its sentra (and that sentra's kelurahan); *attendees*: their checked-in registrations;
- the **training funnel** (:mod:`marketplace.figures.funnel`).

**Computed in SQL on both backends**: one statement groups the per-shop figures by (city, kelurahan,
sentra) and one the events; every figure there is a count or a sum, so the city, kelurahan, sentra and
total rows are exact sums of those few grouped rows. The funnel's medians are not sums: it has its own
statements per level.

**Suppression**: in the public figures a group of fewer than :data:`MIN_GROUP` artisans shows no number
at all (``suppressed: true``); a funnel whose cohort is under :data:`MIN_GROUP` people shows none either.
Admins get every number (``suppress=False``). No name, e-mail or birth year is ever selected here: the
birth year is read inside a ``sum`` only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, or_, select, text
from sqlalchemy.orm import Session

from marketplace.figures import funnel
from marketplace.figures.models import GEN_Z, ArtisanProfile
from marketplace.impact.counted import Period, between, counted, is_postgresql, key_of
from marketplace.listings.models import Listing
from marketplace.moderation.models import ModerationDecision
from marketplace.orders.models import Order
from marketplace.programme.models import EventStatus, ProgrammeEvent, RegistrationStatus, Registration
from marketplace.sentra.models import Sentra
from marketplace.shops.models import Shop

#: Public figures hide any group of fewer artisans than this (ARCHITECTURE §4).
MIN_GROUP = 5
LEVELS = ("city", "kelurahan", "sentra")
SUMS = ("artisans", "active_artisans", "young_active_artisans", "new_shops", "listings", "orders", "gmv_idr",
        "outside_city_orders", "outside_province_orders", "booth_orders", "booth_gmv_idr")
EVENT_SUMS = ("events_held", "attendees")
FIGURES = (*SUMS, "outside_city_share", "outside_province_share", *EVENT_SUMS)


def booth_flag(order_id: Any) -> ColumnElement[int] | None:
    """1 for a booth sale (an order with ``fulfilment = 'pickup'``), as SQL over ``order_id``; None while
    ``orders`` has no ``fulfilment`` column (booth sales are being added in parallel: this is the hook)."""
    column = Order.__table__.c.get("fulfilment")
    if column is None:
        return None
    return case((select(column).where(Order.__table__.c.id == order_id).scalar_subquery() == "pickup", 1), else_=0)


def _shops(session: Session, period: Period, city: str | None) -> Any:
    """One row per (city, kelurahan, sentra) of the shops opened before the period's end, with the sums."""
    c = counted(session, key_of("city"), period).subquery("c")
    booth = booth_flag(c.c.order_id)
    zero = literal(0)
    sales = select(c.c.shop_id, func.count().label("orders"), func.sum(c.c.gmv).label("gmv"),
                   func.sum(c.c.outside_city).label("oc"), func.sum(c.c.outside_province).label("op"),
                   func.sum(booth if booth is not None else zero).label("booth"),
                   func.sum(booth * c.c.gmv if booth is not None else zero).label("booth_gmv"),
                   ).group_by(c.c.shop_id).subquery("sales")
    listed = select(Listing.shop_id).where(or_(between(Listing.created_at, period), between(Listing.approved_at, period)))
    approved = (select(Listing.shop_id, func.count(func.distinct(ModerationDecision.listing_id)).label("n"))
                .join(Listing, Listing.id == ModerationDecision.listing_id)
                .where(ModerationDecision.decision == "approved", between(ModerationDecision.decided_at, period))
                .group_by(Listing.shop_id).subquery("approved"))
    active = case((or_(sales.c.shop_id.is_not(None), Shop.id.in_(listed)), 1), else_=0)
    young = case((ArtisanProfile.birth_year.between(*GEN_Z), 1), else_=0)
    place = (Shop.city, Shop.kelurahan, Shop.sentra_id)
    stmt = (select(*place, func.count().label("artisans"), func.sum(active).label("active_artisans"),
                   func.sum(active * young).label("young_active_artisans"),
                   func.sum(case((between(Shop.created_at, period), 1), else_=0)).label("new_shops"),
                   func.sum(func.coalesce(approved.c.n, 0)).label("listings"),
                   func.sum(func.coalesce(sales.c.orders, 0)).label("orders"),
                   func.sum(func.coalesce(sales.c.gmv, 0)).label("gmv_idr"),
                   func.sum(func.coalesce(sales.c.oc, 0)).label("outside_city_orders"),
                   func.sum(func.coalesce(sales.c.op, 0)).label("outside_province_orders"),
                   func.sum(func.coalesce(sales.c.booth, 0)).label("booth_orders"),
                   func.sum(func.coalesce(sales.c.booth_gmv, 0)).label("booth_gmv_idr"))
            .select_from(Shop)
            .outerjoin(ArtisanProfile, ArtisanProfile.user_id == Shop.owner_id)
            .outerjoin(sales, sales.c.shop_id == Shop.id)
            .outerjoin(approved, approved.c.shop_id == Shop.id)
            .where(Shop.created_at < period.end)
            .group_by(*place))
    if city:
        stmt = stmt.where(Shop.city == city)
    if not is_postgresql(session):
        return session.execute(stmt).all()
    # As the impact report runs the same counted seller orders (``impact.services.report``): no JIT (its
    # compiling costs more than it saves here) and the joins in the order written (a period's orders and
    # their seller orders first, then their ledger totals), for this statement only.
    session.execute(text("SET LOCAL jit = off"))
    session.execute(text("SET LOCAL join_collapse_limit = 1"))
    rows = session.execute(stmt).all()
    session.execute(text("SET LOCAL join_collapse_limit TO DEFAULT"))
    return rows


def _events(session: Session, period: Period, city: str | None, now: datetime) -> Any:
    """Events held and attendees per (city, sentra's kelurahan, sentra)."""
    attended = (select(Registration.event_id, func.count().label("n"))
                .where(Registration.status == RegistrationStatus.ATTENDED.value)
                .group_by(Registration.event_id).subquery("attended"))
    E = ProgrammeEvent
    stmt = (select(E.city, Sentra.kelurahan, E.sentra_id, func.count().label("events_held"),
                   func.sum(func.coalesce(attended.c.n, 0)).label("attendees"))
            .select_from(E).outerjoin(Sentra, Sentra.id == E.sentra_id)
            .outerjoin(attended, attended.c.event_id == E.id)
            .where(E.status == EventStatus.SCHEDULED.value, between(E.starts_at, period), E.starts_at < now)
            .group_by(E.city, Sentra.kelurahan, E.sentra_id))
    if city:
        stmt = stmt.where(E.city == city)
    return session.execute(stmt).all()


def _keys(city: str, kelurahan: str | None, sentra_id: int | None) -> list[tuple[str, tuple[Any, ...]]]:
    keys = [("city", (city,))]
    if kelurahan is not None:
        keys.append(("kelurahan", (city, kelurahan)))
    if sentra_id is not None:
        keys.append(("sentra", (sentra_id,)))
    return keys


def _share(part: int | None, whole: int | None) -> float | None:
    return round(part / whole, 4) if part is not None and whole else None


def figures(session: Session, period: Period, *, city: str | None = None, suppress: bool = True,
            now: datetime) -> dict[str, Any]:
    """The figures of the period (one city, or both): rows per city, kelurahan and sentra, and the total."""
    sums: dict[tuple[str, tuple[Any, ...]], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in _shops(session, period, city):
        for key in (*_keys(r.city, r.kelurahan, r.sentra_id), ("total", ())):
            for name in SUMS:
                sums[key][name] += int(getattr(r, name) or 0)
    for r in _events(session, period, city, now):
        for key in (*_keys(r.city, r.kelurahan, r.sentra_id), ("total", ())):
            for name in EVENT_SUMS:
                sums[key][name] += int(getattr(r, name) or 0)
    funnels = funnel.by_level(session, period, city)
    names = _sentra(session, {k[1][0] for k in sums if k[0] == "sentra"} | {
        k[1][0] for k in funnels if k[0] == "sentra"})
    booth = booth_flag(literal(0)) is not None
    hidden_keys = _hidden(sums, names) if suppress else set()

    def row(key: tuple[str, tuple[Any, ...]]) -> dict[str, Any]:
        level, ident = key
        s = sums.get(key) or defaultdict(int)
        out: dict[str, Any] = {"level": level, "city": None, "kelurahan": None, "sentra": None, "sentra_id": None}
        if level == "city":
            out["city"] = ident[0]
        elif level == "kelurahan":
            out["city"], out["kelurahan"] = ident
        elif level == "sentra":
            out["sentra_id"] = ident[0]
            out["city"], out["kelurahan"], out["sentra"] = names.get(ident[0], (None, None, None))
        hidden = key in hidden_keys
        out["suppressed"] = hidden
        figures_ = {name: s[name] for name in (*SUMS, *EVENT_SUMS)}
        figures_["outside_city_share"] = _share(s["outside_city_orders"], s["orders"])
        figures_["outside_province_share"] = _share(s["outside_province_orders"], s["orders"])
        if not booth:
            figures_["booth_orders"] = figures_["booth_gmv_idr"] = None
        out.update({name: (None if hidden else figures_[name]) for name in FIGURES})
        out["funnel"] = funnel.public(funnels.get(key), hidden=hidden, suppress=suppress)
        return out

    keys = set(sums) | set(funnels)
    rows = {level: sorted((row(k) for k in keys if k[0] == level),
                          key=lambda r: (str(r["city"] or ""), str(r["kelurahan"] or ""), str(r["sentra"] or "")))
            for level in LEVELS}
    return {"from_": period.start, "to": period.end, "city": city, "min_group_size": MIN_GROUP,
            "suppressed_below": MIN_GROUP if suppress else None, "booth_sales_counted": booth,
            "totals": row(("total", ())), "cities": rows["city"], "kelurahan": rows["kelurahan"],
            "sentra": rows["sentra"]}


def _hidden(sums: dict[tuple[str, tuple[Any, ...]], dict[str, int]], names: dict[int, tuple[str, str, str]]
            ) -> set[tuple[str, tuple[Any, ...]]]:
    """The rows to suppress: every group of fewer than :data:`MIN_GROUP` artisans, and then, so that no
    hidden group can be worked out by subtraction, more: within each parent (the kelurahan and the
    sentra of a city, the cities of the total), the artisans hidden (the hidden children, plus the
    parent's artisans in no listed child: the shops in no sentra) must be none or at least
    :data:`MIN_GROUP`; the smallest visible child is hidden until they are, or the parent itself when
    no child is left to hide. Repeated until nothing changes (hiding a city can unbalance the total)."""
    def n(key: tuple[str, tuple[Any, ...]]) -> int:
        return sums[key]["artisans"] if key in sums else 0

    hidden = {k for k in sums if n(k) < MIN_GROUP}
    total = ("total", ())
    partitions = [(total, [k for k in sums if k[0] == "city"])]
    for city in [k for k in sums if k[0] == "city"]:
        partitions.append((city, [k for k in sums if k[0] == "kelurahan" and k[1][0] == city[1][0]]))
        partitions.append((city, [k for k in sums if k[0] == "sentra" and names.get(k[1][0], (None,))[0] == city[1][0]]))
    changed = True
    while changed:
        changed = False
        for parent, children in partitions:
            if parent in hidden:
                continue
            rest = n(parent) - sum(n(c) for c in children)
            out = rest + sum(n(c) for c in children if c in hidden)
            if 0 < out < MIN_GROUP:
                visible = sorted((c for c in children if c not in hidden), key=lambda c: (n(c), str(c)))
                hidden.add(visible[0] if visible else parent)
                changed = True
    return hidden


def _sentra(session: Session, ids: set[Any]) -> dict[int, tuple[str, str, str]]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {r.id: (r.city, r.kelurahan, r.name)
            for r in session.execute(select(Sentra.id, Sentra.city, Sentra.kelurahan, Sentra.name)
                                     .where(Sentra.id.in_(wanted)))}

