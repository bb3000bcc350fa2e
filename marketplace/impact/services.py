"""Impact figures for the programme: what the marketplace did for its artisans, by kelurahan, city or sentra.

Everything is computed by SQL over the real tables (orders, seller orders, shops, listings, moderation
decisions and the ledger); nothing is counted by hand elsewhere, so the figures can never drift from the
books. A period is a half-open range of aware UTC instants ``[start, end)``; the API and the page turn WIB
calendar days into it (``schemas``).

Which seller orders count (paid in the period, their ledger sale, GMV less refunds, earnings) is
:mod:`marketplace.impact.counted`; how a figure is taken per group and for the whole marketplace on
both backends is :mod:`marketplace.impact.grouping`. This module computes the figures from them.

**Outside the city / province**: the order's delivery city (``orders.city``, compared case- and
space-insensitively) is not the shop's city; its province (``orders.province``, canonical) is not the
province of the shop's city (``shipping.provinces.CITY_PROVINCE``). Shares are of the counted orders and
of their GMV, as fractions 0..1 rounded to four places (None for a group without orders).

**Other figures**: *active artisans*: shops that sold (a counted seller order) or listed (a listing
created or approved) in the period; *new artisans*: shops opened in the period; *approved listings*:
listings with an approval decision in the period; *buyer cities*: distinct delivery cities;
*repeat-buyer rate*: of the buyers with a counted order in the group, the share with two orders or more;
*median hours to moderation*: decisions in the period, from the listing's submission they decided (the
listing keeps only its latest submission time, so a decision on an earlier submission, since superseded,
is left out rather than measured wrongly); *median hours to shipping*: counted seller orders shipped, from
the order's payment to the shipping. Medians are PostgreSQL's ``percentile_cont(0.5)``; SQLite has no
such aggregate, so there the same durations are read and the median taken in Python (same definition:
the mean of the two middle values for an even count), both rounded to one decimal place of an hour.

Grouping by sentra follows ``shops.sentra_id`` to the sentra's name; shops in no sentra form one group
(``group: null``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, case, distinct, func, literal_column, or_, select, text, union
from sqlalchemy.orm import Session

from marketplace.impact.counted import (GROUPINGS, Key, Period, between, group_labels, is_postgresql, key_of,
                                        materialise)
from marketplace.impact.grouping import WHOLE, grouped, medians, seconds_between, share
from marketplace.ledger import services as ledger
from marketplace.listings.models import Listing
from marketplace.moderation.models import ModerationDecision
from marketplace.programme.booth import figures as booth_figures
from marketplace.sentra.models import Sentra
from marketplace.shops.models import Shop

__all__ = ["GROUPINGS", "Period", "report"]  # what the API, the page and the benchmarks ask for

#: Memory for the sorts and hashes of the report's queries over its temporary table (PostgreSQL, this
#: transaction only): the default 4 MB sent the sorts of a year's seller orders to disk.
WORK_MEM = "32MB"


def _relabel(found: dict[Any, Any], labels: dict[Any, tuple[Any, Any]]) -> dict[tuple[Any, Any] | None, Any]:
    """Rows keyed by ``(g, None)`` (a group id, :func:`group_ids`) re-keyed by their group's ``(k1, k2)``."""
    return {WHOLE if k is WHOLE else labels[k[0]]: v for k, v in found.items()}


def figures(session: Session, group_by: str, period: Period, c: Table
            ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One row of figures per group (``group_by`` in :data:`GROUPINGS`), by GMV then name, and the
    whole marketplace's row (None when nothing happened in the period); ``c``: the period's counted
    seller orders with their group ids (:func:`materialise` with the same ``group_by``)."""
    key = key_of(group_by)
    # Over the temporary table, by group id (a number: hashed, not sorted); relabelled at the end.
    gkey = Key([c.c.g.label("k1"), literal_column("NULL").label("k2")], [c.c.g])
    sales = grouped(session, gkey, lambda cols, group: select(
        *cols, func.count().label("orders"), func.sum(c.c.gmv).label("gmv"), func.sum(c.c.earned).label("earned"),
        func.sum(c.c.outside_city).label("oc_orders"), func.sum(c.c.outside_city * c.c.gmv).label("oc_gmv"),
        func.sum(c.c.outside_province).label("op_orders"),
        func.sum(c.c.outside_province * c.c.gmv).label("op_gmv"),
    ).select_from(c).group_by(*group), "orders")

    def nested(inner_columns: Callable[[], list[Any]], outer_columns: Callable[[Any], list[Any]]
               ) -> Callable[[list[Any], list[Any]], Select[Any]]:
        """A figure counted over distinct pairs (group, something): the pairs grouped first (hashed), then
        counted per group; ``within`` of :func:`grouped` names the something."""
        def build(cols: list[Any], group: list[Any]) -> Select[Any]:
            inner = select(*cols, *inner_columns()).select_from(c).group_by(*group).subquery()
            flag = [inner.c.whole] if "whole" in inner.c else []
            return (select(inner.c.k1, inner.c.k2, *flag, *outer_columns(inner))
                    .group_by(inner.c.k1, inner.c.k2, *flag))
        return build

    # Distinct buyer cities apart from the sums: a distinct count sorted every row of the sums' statement.
    cities = grouped(session, gkey, nested(lambda: [], lambda inner: [func.count().label("n")]),
                      within=[c.c.city_key])
    # A buyer has two orders or more in a group exactly when their first and last order differ: min and
    # max take one pass, where a distinct count sorted every buyer's orders apart (70,000 small sorts).
    # Two statements (the groups', the whole's) rather than grouping sets: two large hash tables (buyer
    # × group, buyer) filled at once cost 15-20 % more than one after the other.
    buyers = grouped(session, gkey, nested(
        lambda: [func.min(c.c.order_id).label("first"), func.max(c.c.order_id).label("last")],
        lambda inner: [func.count().label("buyers"),
                       func.sum(case((inner.c.first != inner.c.last, 1), else_=0)).label("repeat")]),
        "buyers", within=[c.c.buyer_id], sets=False)

    listed = select(Listing.shop_id).where(or_(between(Listing.created_at, period),
                                                between(Listing.approved_at, period)))
    active_ids = union(select(c.c.shop_id), listed).subquery("active")
    active = grouped(session, key, lambda cols, group: select(*cols, func.count(distinct(Shop.id)).label("n"))
                      .join(active_ids, active_ids.c.shop_id == Shop.id).group_by(*group))
    new = grouped(session, key, lambda cols, group: select(*cols, func.count().label("n"))
                   .where(between(Shop.created_at, period)).group_by(*group))
    approved = grouped(session, key, lambda cols, group: (
        select(*cols, func.count(distinct(ModerationDecision.listing_id)).label("n"))
        .select_from(ModerationDecision).join(Listing, Listing.id == ModerationDecision.listing_id)
        .join(Shop, Shop.id == Listing.shop_id)
        .where(ModerationDecision.decision == "approved", between(ModerationDecision.decided_at, period))
        .group_by(*group)))

    moderation = medians(session, key, seconds_between(session, ModerationDecision.decided_at, Listing.submitted_at),
                          lambda cols, group: (
        select(*cols).select_from(ModerationDecision).join(Listing, Listing.id == ModerationDecision.listing_id)
        .join(Shop, Shop.id == Listing.shop_id)
        .where(between(ModerationDecision.decided_at, period), Listing.submitted_at.is_not(None),
               Listing.submitted_at <= ModerationDecision.decided_at).group_by(*group)))
    shipping = medians(session, gkey, seconds_between(session, c.c.shipped_at, c.c.paid_at), lambda cols, group: (
        select(*cols).select_from(c).where(c.c.shipped_at.is_not(None)).group_by(*group)))
    by_id = (sales, cities, buyers, shipping)
    labels = group_labels(session, key, {k[0] for d in by_id for k in d if k is not WHOLE})
    sales, cities, buyers, shipping = (_relabel(d, labels) for d in by_id)

    def row(k: tuple[Any, Any] | None) -> dict[str, Any]:
        s, b = sales.get(k), buyers.get(k)
        orders, gmv = (int(s.orders), int(s.gmv)) if s else (0, 0)
        group, city = (None, None) if k is WHOLE else k
        return {
            "group": names.get(group, None) if group_by == "sentra" else group,
            "group_id": group if group_by == "sentra" else None,
            "city": city,
            "active_artisans": int(active[k].n) if k in active else 0,
            "new_artisans": int(new[k].n) if k in new else 0,
            "approved_listings": int(approved[k].n) if k in approved else 0,
            "orders": orders,
            "gmv_idr": gmv,
            "artisan_earnings_idr": int(s.earned) if s else 0,
            "outside_city_orders": int(s.oc_orders) if s else 0,
            "outside_city_share": share(int(s.oc_orders), orders) if s else None,
            "outside_city_gmv_share": share(int(s.oc_gmv), gmv) if s else None,
            "outside_province_orders": int(s.op_orders) if s else 0,
            "outside_province_share": share(int(s.op_orders), orders) if s else None,
            "outside_province_gmv_share": share(int(s.op_gmv), gmv) if s else None,
            "buyer_cities": int(cities[k].n) if s and k in cities else 0,
            "buyers": int(b.buyers) if b else 0,
            "repeat_buyer_rate": share(int(b.repeat), int(b.buyers)) if b else None,
            "median_hours_to_moderation": moderation.get(k),
            "median_hours_to_shipping": shipping.get(k),
        }

    keys = set(sales) | set(active) | set(new) | set(approved) | set(moderation)
    groups = [k for k in keys if k is not WHOLE]
    names = _sentra_names(session, {k[0] for k in groups}) if group_by == "sentra" else {}
    items = [row(k) for k in groups]
    items.sort(key=lambda i: (-i["gmv_idr"], str(i["group"] or ""), str(i["city"] or "")))
    return items, ({**row(WHOLE), "group_id": None} if WHOLE in keys else None)


def _sentra_names(session: Session, ids: set[Any]) -> dict[Any, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {row.id: row.name for row in session.execute(select(Sentra.id, Sentra.name).where(Sentra.id.in_(wanted)))}


def _month(session: Session, col: Any) -> ColumnElement[Any]:
    """The WIB calendar month of an aware UTC column (WIB is UTC+7 all year, no DST, and Asia/Jakarta has
    been UTC+7 since 1964, long before any period the API accepts): on PostgreSQL its first instant as a
    local timestamp (``date_trunc`` of the time shifted by a fixed 7 hours: per row, formatting with
    ``to_char`` and looking the zone up each cost as much again), on SQLite ``YYYY-MM``;
    :func:`_month_text` gives the text of either."""
    if is_postgresql(session):
        return func.date_trunc("month", func.timezone(literal_column("INTERVAL '7 hours'"), col))
    return func.strftime("%Y-%m", col, "+7 hours")


def _month_text(value: Any) -> str:
    return value if isinstance(value, str) else value.strftime("%Y-%m")


def monthly(session: Session, c: Table) -> list[dict[str, Any]]:
    """The whole marketplace per WIB month of payment: orders, GMV and GMV shipped outside the shop's city."""
    month = _month(session, c.c.paid_at).label("month")
    rows = session.execute(
        select(month, func.count().label("orders"), func.sum(c.c.gmv).label("gmv"),
               func.sum(c.c.outside_city * c.c.gmv).label("oc_gmv"))
        .group_by(month).order_by(month))
    return [{"month": _month_text(r.month), "orders": int(r.orders), "gmv_idr": int(r.gmv),
             "outside_city_gmv_idr": int(r.oc_gmv)} for r in rows]


def buyer_provinces(session: Session, c: Table) -> list[dict[str, Any]]:
    """Where the counted orders went, per delivery province: orders, GMV, and how many distinct buyers."""
    rows = session.execute(
        select(c.c.province, func.count(distinct(c.c.order_id)).label("orders"), func.sum(c.c.gmv).label("gmv"),
               func.count(distinct(c.c.buyer_id)).label("buyers"))
        .group_by(c.c.province).order_by(func.sum(c.c.gmv).desc(), c.c.province))
    return [{"province": r.province, "orders": int(r.orders), "gmv_idr": int(r.gmv), "buyers": int(r.buyers)}
            for r in rows]


def report(session: Session, group_by: str, period: Period) -> dict[str, Any]:
    """Everything the dashboard shows: the groups, the marketplace's totals, the months and the provinces."""
    key_of(group_by)  # an unavailable grouping is refused before any work
    if is_postgresql(session):
        # JIT's compiling cost more (25-30 ms) than it ever saved on the report's rows. The counted seller
        # orders are joined in the order written (:func:`counted`): a period's orders and their seller
        # orders first, then their ledger totals; the planner, which cannot estimate ``gmv > 0``, took
        # the totals first and probed 220,000 rows instead of 165,000 (10-15 % of the statement).
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL join_collapse_limit = 1"))
    c = materialise(session, group_by, period)
    if is_postgresql(session):  # after it: the table's own plan was faster than a hash with more memory
        session.execute(text("SET LOCAL join_collapse_limit TO DEFAULT"))
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    items, total = figures(session, group_by, period, c)
    months, provinces = monthly(session, c), buyer_provinces(session, c)
    # What programme vouchers cost per month: what the city owes (``marketplace.vouchers``).
    subsidy = [{"month": month, "owed_idr": owed}
               for month, owed in ledger.programme_subsidy_by_month(session, period.start, period.end).items()]
    # After an error the entry point rolls back, and the table's creation with it (DDL is transactional
    # on both backends); a DROP there would only fail again on PostgreSQL's aborted transaction.
    session.execute(text(f"DROP TABLE IF EXISTS {c.name}"))
    return {"group_by": group_by, "from_": period.start, "to": period.end, "items": items, "totals": total,
            "months": months, "buyer_provinces": provinces, "programme_subsidy": subsidy,
            "booth_sales": booth_figures.by_event(session, period.start, period.end)}
