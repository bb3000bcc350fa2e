"""Impact figures for the programme: what the marketplace did for its artisans, by kelurahan, city or sentra.

Everything is computed by SQL over the real tables (orders, seller orders, shops, listings, moderation
decisions and the ledger); nothing is counted by hand elsewhere, so the figures can never drift from the
books. A period is a half-open range of aware UTC instants ``[start, end)``; the API and the page turn WIB
calendar days into it (``schemas``).

**Which orders count.** The unit is the *seller order* (one shop's part of a checkout), since a group is a
place of shops. A seller order counts when its order was paid inside the period (``orders.paid_at``) and
the ledger holds its ``sale`` (every paid order has one; an order never paid, or cancelled before payment,
has none and counts as nothing). Its **GMV** is what the buyer paid for it (items + shipping, the sale's
``buyer_payments`` entry) **less every confirmed refund on it** (the ledger's ``refunds`` entries of that
seller order, a whole-order refund being split over its parts as the ledger splits it). A seller order
refunded in full (a refunded order, or a part the artisan cancelled after payment) is left with GMV 0 and
counts as nothing; a partial refund leaves an order with a smaller GMV. Refunds are taken from the sale's
period, whenever they happened, so a period's figures say what its sales were finally worth.
**Artisans' earnings** are the ``seller_payable:<shop_id>`` entries of the same seller orders: sale
credits minus refund debits (payouts move money out of that account but carry no seller order). These
per-seller-order sums of entries are read from ``ledger_seller_order_totals``, which the database's
triggers keep equal to them as every entry is written (``marketplace.ledger.totals``).

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

import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (ColumnElement, Select, Table, and_, case, distinct, func, literal_column, or_, select, text,
                        tuple_, union)
from sqlalchemy.orm import Session

from marketplace.ledger.models import SellerOrderTotals
from marketplace.listings.models import Listing
from marketplace.moderation.models import ModerationDecision
from marketplace.orders.models import Order, SellerOrder
from marketplace.sentra.models import Sentra
from marketplace.shipping.provinces import CITY_PROVINCE
from marketplace.shops.models import Shop

GROUPINGS = ("kelurahan", "city", "sentra")
#: The whole marketplace, for the totals row and the monthly series.
ALL = "all"

@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive, aware UTC
    end: datetime  # exclusive


# --- building blocks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """What makes a group: two labelled columns ``k1``, ``k2`` to select, and the real columns among
    them to group by (PostgreSQL refuses a constant in ``GROUP BY``)."""

    columns: list[ColumnElement[Any]]
    group: list[ColumnElement[Any]]


def _key(group_by: str) -> Key:
    """The columns of ``shops`` that make a group (``ALL``: one group, the whole marketplace)."""
    none = literal_column("NULL").label("k2")
    if group_by == "city":
        return Key([Shop.city.label("k1"), none], [Shop.city])
    if group_by == "kelurahan":
        return Key([Shop.kelurahan.label("k1"), Shop.city.label("k2")], [Shop.kelurahan, Shop.city])
    if group_by == "sentra":
        return Key([Shop.sentra_id.label("k1"), none], [Shop.sentra_id])
    return Key([literal_column(f"'{ALL}'").label("k1"), none], [])


def _between(col: Any, period: Period) -> ColumnElement[bool]:
    return and_(col >= period.start, col < period.end)


def _norm(col: Any) -> ColumnElement[str]:
    return func.lower(func.trim(col))


def shop_province() -> ColumnElement[Any]:
    """The province of the shop's city, as SQL (``CITY_PROVINCE`` is the one source)."""
    return case(*[(Shop.city == city, province) for city, province in CITY_PROVINCE.items()], else_=None)


def group_ids(key: Key) -> Select[Any]:
    """Each shop with the id of its group (``g``: the smallest shop id of its group of ``key``, a number
    whatever the grouping) and what the figures compare its orders with (its city as compared, trimmed
    and lower case; the province of its city): computed once per shop, not once per seller order."""
    return select(Shop.id, func.min(Shop.id).over(partition_by=key.group).label("g"),
                  _norm(Shop.city).label("city_key"), shop_province().label("province"))


def group_labels(session: Session, key: Key, ids: set[Any]) -> dict[Any, tuple[Any, Any]]:
    """Group ids (:func:`group_ids`) → their group's ``(k1, k2)`` of ``key``, read from the shop each id
    is (so a shop opened or closed since the counted orders were taken cannot move another group's id)."""
    if not ids:
        return {}
    rows = session.execute(select(Shop.id.label("g"), *key.columns).where(Shop.id.in_(ids)))
    return {row.g: (row.k1, row.k2) for row in rows}


def counted(session: Session, key: Key, period: Period) -> Select[Any]:
    """One row per counted seller order of the period (see the module doc), with its group id ``g``
    (:func:`group_ids`), its GMV and earnings, and what the figures ask of each: outside the shop's city
    or province (0/1), the buyer's city as compared (trimmed, lower case), payment and shipping times.

    GMV and earnings come from ``ledger_seller_order_totals``: each seller order's sums of its ledger
    entries, kept by the database beside the entries (``marketplace.ledger.totals``; a row exists once
    the seller order has a sale or refund entry, so a seller order with none is left out as before).
    Summing the entries here instead cost a year's report 55,000 index look-ups (or a hash aggregate of
    the whole ledger), over half its time. The group is a number (the temporary table's rows stay
    narrow, and the figures hash small integers instead of sorting text); its label is joined after."""
    totals = SellerOrderTotals
    gmv = totals.buyer_paid_idr - totals.refunded_idr
    shop = group_ids(key).subquery("shop")
    # The period's orders with their delivery city as compared, computed once per order: a subquery kept
    # apart (``OFFSET 0``, PostgreSQL only), as PostgreSQL computes an expression anew wherever it is
    # written, and the case-folding ``lower(trim())`` of every row twice was a tenth of the statement.
    order = (select(Order.id, Order.buyer_id, Order.province, Order.paid_at, _norm(Order.city).label("city_key"))
             .where(Order.paid_at.is_not(None), _between(Order.paid_at, period)))
    order = (order.offset(0) if _postgresql(session) else order).subquery("o")
    outside_city = case((order.c.city_key != shop.c.city_key, 1), else_=0)
    outside_province = case((or_(shop.c.province.is_(None), order.c.province != shop.c.province), 1), else_=0)
    return (
        select(shop.c.g, SellerOrder.shop_id, SellerOrder.shipped_at, order.c.id.label("order_id"), order.c.buyer_id,
               order.c.city_key, order.c.province, order.c.paid_at,
               outside_city.label("outside_city"), outside_province.label("outside_province"),
               gmv.label("gmv"), totals.seller_payable_idr.label("earned"))
        .select_from(SellerOrder)
        .join(order, order.c.id == SellerOrder.order_id)
        .join(totals, totals.seller_order_id == SellerOrder.id)
        .join(shop, shop.c.id == SellerOrder.shop_id)
        .where(gmv > 0)
    )


def counted_table(group_by: str) -> str:
    """The temporary table's name, one per grouping (their columns once had the grouping's types, and
    psycopg's prepared statements refuse a cached plan whose result type changed; the group is a number
    in every grouping now, and the names stay apart all the same)."""
    assert group_by in GROUPINGS
    return f"impact_counted_{group_by}"


#: Memory for the sorts and hashes of the report's queries over its temporary table (PostgreSQL, this
#: transaction only): the default 4 MB sent the sorts of a year's seller orders to disk.
WORK_MEM = "32MB"


def materialise(session: Session, group_by: str, period: Period) -> Table:
    """The period's counted seller orders, each with its group id, in a temporary table of this
    connection, for the report's queries to share: computing them means joining a period's orders, seller
    orders and their ledger totals, and the report needs them several times (the groups and totals, the
    months, the provinces, the medians). A temporary table is private to the connection, so concurrent reports never
    see each other's; it is dropped again by :func:`report` (or with the transaction's rollback). It is
    not analysed: that cost more (0.2 s) than the planner's rough guess of its size ever did."""
    name = counted_table(group_by)
    session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    create = counted(session, _key(group_by), period).into(name, temporary=True)
    session.execute(create)
    return create.table


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


#: Where :func:`_grouped` files the whole marketplace's row (a group is always a tuple ``(k1, k2)``).
WHOLE = None


def _grouped(session: Session, key: Key, build: Callable[[list[Any], list[Any]], Select[Any]],
             count: str = "n", within: Sequence[Any] = (), sets: bool = True
             ) -> dict[tuple[Any, Any] | None, Any]:
    """Rows by group, and the whole marketplace's row under :data:`WHOLE`; a group (or a whole) with
    nothing counted is left out. ``build(columns, group_by)`` makes the statement for a key's labelled
    columns and what to group by; ``within``: columns every grouping also groups by (a nested query's).

    PostgreSQL answers both in one statement (``GROUPING SETS``, the whole marketplace's rows told apart
    by ``grouping()``) unless ``sets`` is false; SQLite has no grouping sets, so there it is the statement
    twice, once with the group's columns and once with none. Either way each figure of the whole is
    computed over the whole marketplace, never summed from the groups (medians and distinct counts
    cannot be)."""
    if _postgresql(session) and sets:
        whole = func.grouping(*key.group).label("whole")
        sets = func.grouping_sets(tuple_(*key.group, *within), tuple_(*within))
        rows = session.execute(build([*key.columns, whole], [sets]))
        return {WHOLE if row.whole else (row.k1, row.k2): row for row in rows if getattr(row, count)}
    found: dict[tuple[Any, Any] | None, Any] = {
        (row.k1, row.k2): row for row in session.execute(build(key.columns, [*key.group, *within]))
        if getattr(row, count)}
    everything = _key(ALL)
    found.update({WHOLE: row for row in session.execute(build(everything.columns, list(within)))
                  if getattr(row, count)})
    return found


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _median_hours(values: list[float]) -> float | None:
    return round(statistics.median(values) / 3600, 1) if values else None


def _seconds(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    if _postgresql(session):
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _medians(session: Session, key: Key, seconds: ColumnElement[float],
             build: Callable[[list[Any], list[Any]], Select[Any]]) -> dict[tuple[Any, Any] | None, float | None]:
    """The median of ``seconds`` per group and of the whole (:func:`_grouped`), in hours:
    ``percentile_cont`` on PostgreSQL, Python over the durations on SQLite."""
    if _postgresql(session):
        median = func.percentile_cont(0.5).within_group(seconds).label("m")
        rows = _grouped(session, key, lambda cols, group: build(cols, group).add_columns(
            median, func.count(seconds).label("n")))  # no durations, no median (not a median of 0)
        return {k: round(float(r.m) / 3600, 1) for k, r in rows.items()}
    values: dict[tuple[Any, Any] | None, list[float]] = defaultdict(list)
    for r in session.execute(build(key.columns, []).add_columns(seconds.label("s"))):
        values[(r.k1, r.k2)].append(float(r.s))
        values[WHOLE].append(float(r.s))
    return {k: _median_hours(v) for k, v in values.items()}


# --- the figures -----------------------------------------------------------------------------------------


def _relabel(found: dict[Any, Any], labels: dict[Any, tuple[Any, Any]]) -> dict[tuple[Any, Any] | None, Any]:
    """Rows keyed by ``(g, None)`` (a group id, :func:`group_ids`) re-keyed by their group's ``(k1, k2)``."""
    return {WHOLE if k is WHOLE else labels[k[0]]: v for k, v in found.items()}


def figures(session: Session, group_by: str, period: Period, c: Table
            ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One row of figures per group (``group_by`` in :data:`GROUPINGS`), by GMV then name, and the
    whole marketplace's row (None when nothing happened in the period); ``c``: the period's counted
    seller orders with their group ids (:func:`materialise` with the same ``group_by``)."""
    key = _key(group_by)
    # Over the temporary table, by group id (a number: hashed, not sorted); relabelled at the end.
    gkey = Key([c.c.g.label("k1"), literal_column("NULL").label("k2")], [c.c.g])
    sales = _grouped(session, gkey, lambda cols, group: select(
        *cols, func.count().label("orders"), func.sum(c.c.gmv).label("gmv"), func.sum(c.c.earned).label("earned"),
        func.sum(c.c.outside_city).label("oc_orders"), func.sum(c.c.outside_city * c.c.gmv).label("oc_gmv"),
        func.sum(c.c.outside_province).label("op_orders"),
        func.sum(c.c.outside_province * c.c.gmv).label("op_gmv"),
    ).select_from(c).group_by(*group), "orders")

    def nested(inner_columns: Callable[[], list[Any]], outer_columns: Callable[[Any], list[Any]]
               ) -> Callable[[list[Any], list[Any]], Select[Any]]:
        """A figure counted over distinct pairs (group, something): the pairs grouped first (hashed), then
        counted per group; ``within`` of :func:`_grouped` names the something."""
        def build(cols: list[Any], group: list[Any]) -> Select[Any]:
            inner = select(*cols, *inner_columns()).select_from(c).group_by(*group).subquery()
            flag = [inner.c.whole] if "whole" in inner.c else []
            return (select(inner.c.k1, inner.c.k2, *flag, *outer_columns(inner))
                    .group_by(inner.c.k1, inner.c.k2, *flag))
        return build

    # Distinct buyer cities apart from the sums: a distinct count sorted every row of the sums' statement.
    cities = _grouped(session, gkey, nested(lambda: [], lambda inner: [func.count().label("n")]),
                      within=[c.c.city_key])
    # A buyer has two orders or more in a group exactly when their first and last order differ: min and
    # max take one pass, where a distinct count sorted every buyer's orders apart (70,000 small sorts).
    # Two statements (the groups', the whole's) rather than grouping sets: two large hash tables (buyer
    # × group, buyer) filled at once cost 15-20 % more than one after the other.
    buyers = _grouped(session, gkey, nested(
        lambda: [func.min(c.c.order_id).label("first"), func.max(c.c.order_id).label("last")],
        lambda inner: [func.count().label("buyers"),
                       func.sum(case((inner.c.first != inner.c.last, 1), else_=0)).label("repeat")]),
        "buyers", within=[c.c.buyer_id], sets=False)

    listed = select(Listing.shop_id).where(or_(_between(Listing.created_at, period),
                                                _between(Listing.approved_at, period)))
    active_ids = union(select(c.c.shop_id), listed).subquery("active")
    active = _grouped(session, key, lambda cols, group: select(*cols, func.count(distinct(Shop.id)).label("n"))
                      .join(active_ids, active_ids.c.shop_id == Shop.id).group_by(*group))
    new = _grouped(session, key, lambda cols, group: select(*cols, func.count().label("n"))
                   .where(_between(Shop.created_at, period)).group_by(*group))
    approved = _grouped(session, key, lambda cols, group: (
        select(*cols, func.count(distinct(ModerationDecision.listing_id)).label("n"))
        .select_from(ModerationDecision).join(Listing, Listing.id == ModerationDecision.listing_id)
        .join(Shop, Shop.id == Listing.shop_id)
        .where(ModerationDecision.decision == "approved", _between(ModerationDecision.decided_at, period))
        .group_by(*group)))

    moderation = _medians(session, key, _seconds(session, ModerationDecision.decided_at, Listing.submitted_at),
                          lambda cols, group: (
        select(*cols).select_from(ModerationDecision).join(Listing, Listing.id == ModerationDecision.listing_id)
        .join(Shop, Shop.id == Listing.shop_id)
        .where(_between(ModerationDecision.decided_at, period), Listing.submitted_at.is_not(None),
               Listing.submitted_at <= ModerationDecision.decided_at).group_by(*group)))
    shipping = _medians(session, gkey, _seconds(session, c.c.shipped_at, c.c.paid_at), lambda cols, group: (
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
            "outside_city_share": _share(int(s.oc_orders), orders) if s else None,
            "outside_city_gmv_share": _share(int(s.oc_gmv), gmv) if s else None,
            "outside_province_orders": int(s.op_orders) if s else 0,
            "outside_province_share": _share(int(s.op_orders), orders) if s else None,
            "outside_province_gmv_share": _share(int(s.op_gmv), gmv) if s else None,
            "buyer_cities": int(cities[k].n) if s and k in cities else 0,
            "buyers": int(b.buyers) if b else 0,
            "repeat_buyer_rate": _share(int(b.repeat), int(b.buyers)) if b else None,
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
    if _postgresql(session):
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
    _key(group_by)  # an unavailable grouping is refused before any work
    if _postgresql(session):
        # JIT's compiling cost more (25-30 ms) than it ever saved on the report's rows. The counted seller
        # orders are joined in the order written (:func:`counted`): a period's orders and their seller
        # orders first, then their ledger totals; the planner, which cannot estimate ``gmv > 0``, took
        # the totals first and probed 220,000 rows instead of 165,000 (10-15 % of the statement).
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL join_collapse_limit = 1"))
    c = materialise(session, group_by, period)
    if _postgresql(session):  # after it: the table's own plan was faster than a hash with more memory
        session.execute(text("SET LOCAL join_collapse_limit TO DEFAULT"))
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    items, total = figures(session, group_by, period, c)
    months, provinces = monthly(session, c), buyer_provinces(session, c)
    # After an error the entry point rolls back, and the table's creation with it (DDL is transactional
    # on both backends); a DROP there would only fail again on PostgreSQL's aborted transaction.
    session.execute(text(f"DROP TABLE IF EXISTS {c.name}"))
    return {"group_by": group_by, "from_": period.start, "to": period.end, "items": items, "totals": total,
            "months": months, "buyer_provinces": provinces}
