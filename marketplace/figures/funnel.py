"""The training funnel: attended a training → opened a shop → first approved listing → first sale, with
the median days between the steps.

**The cohort** of a period: everyone (buyer or artisan account) checked in (``attended``) at a
``training`` or ``workshop`` event that started in the period. Each person is placed where they first
trained in the period: that event's city, and its sentra (with the sentra's kelurahan) if a sentra held
it; ties on the start go to the smaller event id.

**The steps** are followed to today (a cohort keeps converting after its period): *opened a shop*: the
person owns a shop (``shops.created_at``); *first approved listing*: the shop's earliest ``approved``
moderation decision; *first sale*: the shop's earliest paid order, counted only after a first listing
(each step is a subset of the one before). A step that happened before the one
it follows (an artisan who already had a shop when they trained) counts as 0 days. Medians are of the
people who reached both steps: ``percentile_cont(0.5)`` on PostgreSQL; SQLite has no such aggregate, so
there the same days are read and the median taken in Python (same definition), rounded to 0.1 day.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from sqlalchemy import case, func, select, text
from sqlalchemy import Select
from sqlalchemy.orm import Session

from marketplace.impact.counted import Period, between, is_postgresql
from marketplace.impact.grouping import seconds_between
from marketplace.moderation.models import ModerationDecision
from marketplace.listings.models import Listing
from marketplace.orders.models import Order, SellerOrder
from marketplace.programme.models import EventKind, ProgrammeEvent, Registration, RegistrationStatus
from marketplace.sentra.models import Sentra
from marketplace.shops.models import Shop

TRAINING_KINDS = (EventKind.TRAINING.value, EventKind.WORKSHOP.value)
STEPS = ("trained", "opened_shop", "first_listing", "first_sale")
GAPS = ("days_training_to_shop", "days_shop_to_listing", "days_listing_to_sale")
MIN_COHORT = 5
TABLE = "figures_cohort"


def cohort(session: Session, period: Period, city: str | None) -> Select[Any]:
    """One row per person of the cohort: their place (city, kelurahan, sentra_id), which steps they reached
    (a time or null) and the days between the steps (null unless both reached)."""
    E, R = ProgrammeEvent, Registration
    attended = (select(R.user_id, E.id.label("event_id"), E.starts_at)
                .join(E, E.id == R.event_id)
                .where(R.status == RegistrationStatus.ATTENDED.value, E.kind.in_(TRAINING_KINDS),
                       between(E.starts_at, period)))
    if city:
        attended = attended.where(E.city == city)
    attended = attended.subquery("attended")
    first_at = (select(attended.c.user_id, func.min(attended.c.starts_at).label("at"))
                .group_by(attended.c.user_id).subquery("first_at"))
    first = (select(first_at.c.user_id, first_at.c.at, func.min(attended.c.event_id).label("event_id"))
             .join(attended, (attended.c.user_id == first_at.c.user_id) & (attended.c.starts_at == first_at.c.at))
             .group_by(first_at.c.user_id, first_at.c.at).subquery("first"))
    # The first approved listing and the first paid order of the cohort's own shops only: correlated
    # look-ups (by ``listings.shop_id``, ``seller_orders.shop_id``), not an aggregate of every shop's orders.
    first_listing = (select(func.min(ModerationDecision.decided_at))
                     .join(Listing, Listing.id == ModerationDecision.listing_id)
                     .where(Listing.shop_id == Shop.id, ModerationDecision.decision == "approved")
                     .correlate(Shop).scalar_subquery())
    first_sale = (select(func.min(Order.paid_at)).select_from(SellerOrder)
                  .join(Order, Order.id == SellerOrder.order_id)
                  .where(SellerOrder.shop_id == Shop.id, Order.paid_at.is_not(None))
                  .correlate(Shop).scalar_subquery())
    return (select(ProgrammeEvent.city.label("city"), Sentra.kelurahan.label("kelurahan"),
                   ProgrammeEvent.sentra_id.label("sentra_id"), first.c.at.label("trained"),
                   Shop.created_at.label("opened_shop"), first_listing.label("first_listing"),
                   first_sale.label("any_sale"))
            .select_from(first).join(ProgrammeEvent, ProgrammeEvent.id == first.c.event_id)
            .outerjoin(Sentra, Sentra.id == ProgrammeEvent.sentra_id)
            .outerjoin(Shop, Shop.owner_id == first.c.user_id))


def _steps(session: Session, c: Any) -> dict[str, Any]:
    """The steps and the days between them, as columns over the cohort's table."""
    def days(later: Any, earlier: Any) -> Any:
        seconds = seconds_between(session, later, earlier)
        return case((seconds < 0, 0.0), else_=seconds / 86400.0)

    sale = case((c.c.first_listing.is_not(None), c.c.any_sale))
    return {"trained": c.c.trained, "opened_shop": c.c.opened_shop, "first_listing": c.c.first_listing,
            "first_sale": sale, GAPS[0]: days(c.c.opened_shop, c.c.trained),
            GAPS[1]: days(c.c.first_listing, c.c.opened_shop), GAPS[2]: days(sale, c.c.first_listing)}


def _level_columns(c: Any, level: str) -> list[Any]:
    return {"city": [c.c.city], "kelurahan": [c.c.city, c.c.kelurahan], "sentra": [c.c.sentra_id], "total": []}[level]


def by_level(session: Session, period: Period, city: str | None) -> dict[tuple[str, tuple[Any, ...]], dict[str, Any]]:
    """The funnel per ``(level, key)`` as the figures key their rows (``("total", ())`` for everything)."""
    # The cohort once, into a temporary table of this connection that the levels' statements share
    # (each would otherwise find every first listing and first sale again); dropped at the end, or with
    # the transaction's rollback (DDL is transactional on both backends).
    session.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
    create = cohort(session, period, city).into(TABLE, temporary=True)
    session.execute(create)
    c = create.table
    col = _steps(session, c)
    postgres = is_postgresql(session)
    out: dict[tuple[str, tuple[Any, ...]], dict[str, Any]] = {}
    for level in ("city", "kelurahan", "sentra", "total"):
        cols = _level_columns(c, level)
        stmt = select(*cols, *[func.count(col[s]).label(s) for s in STEPS])
        if postgres:
            stmt = stmt.add_columns(*[func.percentile_cont(0.5).within_group(col[g]).label(g) for g in GAPS])
        for r in session.execute(stmt.group_by(*cols)):
            ident = tuple(r[: len(cols)])
            if any(v is None for v in ident) or not r.trained:
                continue
            found = {s: int(getattr(r, s)) for s in STEPS}
            found.update({g: _days(getattr(r, g)) for g in GAPS} if postgres else {})
            out[(level, ident)] = found
        if not postgres:
            values: dict[tuple[Any, ...], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
            for r in session.execute(select(*cols, *[col[g].label(g) for g in GAPS])):
                for g in GAPS:
                    if getattr(r, g) is not None:
                        values[tuple(r[: len(cols)])][g].append(float(getattr(r, g)))
            for ident, found in ((k[1], v) for k, v in out.items() if k[0] == level):
                found.update({g: _days(statistics.median(values[ident][g])) if values[ident][g] else None
                              for g in GAPS})
    session.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
    return out


def _days(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def public(found: dict[str, Any] | None, *, hidden: bool, suppress: bool) -> dict[str, Any]:
    """The funnel as the figures show it: every number null when the group is hidden or (public figures)
    the cohort is under :data:`MIN_COHORT` people."""
    empty = {name: None for name in (*STEPS, *GAPS)}
    if found is None:
        return {**empty, "suppressed": True} if hidden else {
            **empty, **{s: 0 for s in STEPS}, "suppressed": False}
    if hidden or (suppress and found["trained"] < MIN_COHORT):
        return {**empty, "suppressed": True}
    return {**found, "suppressed": False}
