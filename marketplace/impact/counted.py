"""Which seller orders the impact figures count, and the group each belongs to.

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

A period is a half-open range of aware UTC instants ``[start, end)``; the API and the page turn WIB
calendar days into it (``schemas``). The report reads the period's counted seller orders several times,
so :func:`materialise` writes them once into a temporary table of the connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, case, func, literal_column, or_, select, text
from sqlalchemy.orm import Session

from marketplace.ledger.models import SellerOrderTotals
from marketplace.orders.models import Order, SellerOrder
from marketplace.shipping.provinces import CITY_PROVINCE
from marketplace.shops.models import Shop

GROUPINGS = ("kelurahan", "city", "sentra")
#: The whole marketplace, for the totals row and the monthly series.
ALL = "all"

@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive, aware UTC
    end: datetime  # exclusive


@dataclass(frozen=True)
class Key:
    """What makes a group: two labelled columns ``k1``, ``k2`` to select, and the real columns among
    them to group by (PostgreSQL refuses a constant in ``GROUP BY``)."""

    columns: list[ColumnElement[Any]]
    group: list[ColumnElement[Any]]


def key_of(group_by: str) -> Key:
    """The columns of ``shops`` that make a group (``ALL``: one group, the whole marketplace)."""
    none = literal_column("NULL").label("k2")
    if group_by == "city":
        return Key([Shop.city.label("k1"), none], [Shop.city])
    if group_by == "kelurahan":
        return Key([Shop.kelurahan.label("k1"), Shop.city.label("k2")], [Shop.kelurahan, Shop.city])
    if group_by == "sentra":
        return Key([Shop.sentra_id.label("k1"), none], [Shop.sentra_id])
    return Key([literal_column(f"'{ALL}'").label("k1"), none], [])


def between(col: Any, period: Period) -> ColumnElement[bool]:
    return and_(col >= period.start, col < period.end)


def norm(col: Any) -> ColumnElement[str]:
    return func.lower(func.trim(col))


def shop_province() -> ColumnElement[Any]:
    """The province of the shop's city, as SQL (``CITY_PROVINCE`` is the one source)."""
    return case(*[(Shop.city == city, province) for city, province in CITY_PROVINCE.items()], else_=None)


def group_ids(key: Key) -> Select[Any]:
    """Each shop with the id of its group (``g``: the smallest shop id of its group of ``key``, a number
    whatever the grouping) and what the figures compare its orders with (its city as compared, trimmed
    and lower case; the province of its city): computed once per shop, not once per seller order."""
    return select(Shop.id, func.min(Shop.id).over(partition_by=key.group).label("g"),
                  norm(Shop.city).label("city_key"), shop_province().label("province"))


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
    order = (select(Order.id, Order.buyer_id, Order.province, Order.paid_at, norm(Order.city).label("city_key"))
             .where(Order.paid_at.is_not(None), between(Order.paid_at, period)))
    order = (order.offset(0) if is_postgresql(session) else order).subquery("o")
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


def materialise(session: Session, group_by: str, period: Period) -> Table:
    """The period's counted seller orders, each with its group id, in a temporary table of this
    connection, for the report's queries to share: computing them means joining a period's orders, seller
    orders and their ledger totals, and the report needs them several times (the groups and totals, the
    months, the provinces, the medians). A temporary table is private to the connection, so concurrent reports never
    see each other's; it is dropped again by :func:`report` (or with the transaction's rollback). It is
    not analysed: that cost more (0.2 s) than the planner's rough guess of its size ever did."""
    name = counted_table(group_by)
    session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    create = counted(session, key_of(group_by), period).into(name, temporary=True)
    session.execute(create)
    return create.table


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
