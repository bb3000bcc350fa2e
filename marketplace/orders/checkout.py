"""Checkout: the buyer's cart becomes one order with one seller order per shop, in one transaction.

In the caller's transaction (ARCHITECTURE.md §4, §8): the cart rows are taken out of the cart by the
statement that reads them, which locks them (two checkouts of one cart cannot both win); every line
must be buyable as shown (no problem in the cart: sold out, unavailable, not enough stock, price
changed); stock is reserved with a **conditional update** — ``stock = stock - q WHERE stock >= q AND
status = 'approved' AND price_idr = <price shown>`` — the listings locked in id order (so concurrent
checkouts cannot deadlock), so no interleaving of buyers can oversell; the order, its seller orders
(each with its shipping fee from the shop's city to the address) and items with the price paid are
written; ``order.placed`` and, for listings that reached 0, ``listing.sold_out`` are recorded. Any
refusal raises, and the entry point rolls all of it back (the cart comes back with it).

Variants (issue #24): a line naming a variant reserves from that variant, by the same kind of
conditional update (``listing_variants.stock >= q AND price_idr = <price shown>``, the listing
approved), after the listings of variant lines are locked in id order, and before the listings
without variants are reserved as before (lowest id first within each kind: every checkout takes the
locks in that one order). The listing's totals are then recomputed under its lock
(:func:`marketplace.listings.variants.refresh_totals`); ``listing.sold_out`` when every variant is at
0. A cart without variants takes exactly the path it took before. Each item keeps the variant's id and
its options as bought.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import json
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import String, TextClause, Update, bindparam, insert, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import ReturningInsert

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.cart import services as cart_services
from marketplace.catalog import changes
from marketplace.db import Base, inserted
from marketplace.errors import Conflict
from marketplace.listings import variants
from marketplace.listings.models import Listing, ListingStatus
from marketplace.orders.models import Order, OrderItem, OrderStatus, SellerOrder, SellerOrderStatus
from marketplace.promotion.attribution.services import Touch, attribute_order
from marketplace.shops.models import Shop
from marketplace.vouchers import services as vouchers


Values = dict[str, Any]  # a row's column values


@dataclass(frozen=True)
class ShippingQuote:
    zone: str
    shipping_idr: int
    #: The courier service chosen (``jne``, ``reg``; ``marketplace.shipping.quotes``), None for a plain fee.
    courier: str | None = None
    service: str | None = None
    etd_days: int | None = None


#: (shop, total weight in grams of its items, destination city, destination province) → its fee.
QuoteShipping = Callable[[Shop, int, str, str], ShippingQuote]


def place_order(
    session: Session,
    buyer: User,
    address: dict[str, str],
    *,
    quote_shipping: QuoteShipping,
    now: datetime,
    payment_ttl: timedelta,
    attribution: Touch | None = None,
    voucher_code: str | None = None,
) -> Order:
    """Turn the buyer's cart into an order awaiting payment (see the module doc); raises on any problem.

    ``attribution``: the visit's last touch within the window (the entry point reads it), recorded with
    the order so the promotion figures can credit its channel; ``None`` for a direct order.
    ``voucher_code``: the code to apply (None: the one kept with the cart, if any; ``marketplace.vouchers``).
    """
    entries = cart_services.take_items(session, buyer)
    if not entries:
        raise Conflict("Your cart is empty.", code="cart_empty")
    cart = cart_services.group(entries)
    problems = {_line_key(line): line.problems for line in cart.lines if line.problems}
    if problems:
        raise Conflict("Some products in your cart cannot be bought as they are; check your cart.",
                       code="cart_has_problems", fields=problems)
    _reserve_stock(session, sorted(cart.lines, key=lambda entry: entry.listing.id), now)

    order = _write_order(session, buyer, address, cart, quote_shipping, now=now, payment_ttl=payment_ttl)
    discounts = vouchers.apply_at_checkout(session, buyer, cart.groups, order, voucher_code, now=now)
    # The payments worker makes the order's payment once this is committed; there is none yet, so the
    # response (``OrderOut.payment``) need not ask the database.
    set_committed_value(order, "payment", None)
    attribute_order(session, order, attribution)
    record(session, "order.placed", key=order.id, data={**placed_event(order), **discounts})
    return order


def _write_order(
    session: Session, buyer: User, address: dict[str, str], cart: cart_services.Cart, quote_shipping: QuoteShipping,
    *, now: datetime, payment_ttl: timedelta,
) -> Order:
    """Insert the order, its seller orders and items, and hand back the mapped objects, persistent in
    the session as if just loaded.

    Why not ``session.add`` and a flush: the unit of work was about a third of a checkout's CPU (issue
    #15). Every column's value is set here (the defaults the models declare, ``now`` for the
    timestamps, NULL for the rest), so the database hands back only the ids it chose, and the objects
    hold exactly the stored rows without a reload. On PostgreSQL the three tables are written by one
    statement (:func:`_insert_order_statement`); on SQLite, one Core ``INSERT … RETURNING id`` a table.
    """
    groups = [(group, quote_shipping(group.shop, group.weight_grams, address["city"], address["province"]))
              for group in cart.groups]
    subtotal = sum(group.subtotal_idr for group, _ in groups)
    shipping = sum(quote.shipping_idr for _, quote in groups)
    order_values = {
        "buyer_id": buyer.id, "status": OrderStatus.PENDING_PAYMENT.value, "subtotal_idr": subtotal,
        "shipping_idr": shipping, "total_idr": subtotal + shipping, **address,
        "created_at": now, "updated_at": now, "payment_due_at": now + payment_ttl,
    }
    seller_values = [{
        "shop_id": group.shop.id, "status": SellerOrderStatus.PENDING_PAYMENT.value,
        "subtotal_idr": group.subtotal_idr, "shipping_idr": quote.shipping_idr, "shipping_zone": quote.zone,
        "weight_grams": group.weight_grams, "courier": quote.courier, "shipping_service": quote.service,
        "processing_days": max((line.listing.processing_days for line in group.lines
                                if line.listing.fulfilment == "made_to_order"), default=0),
    } for group, quote in groups]
    item_values = [[{
        "listing_id": line.listing.id, "title": line.listing.title, "unit_price_idr": line.seen_price_idr,
        "quantity": line.quantity, "weight_grams": line.listing.weight_grams, "variant_id": line.variant_id,
        "variant_options": (json.dumps(line.variant.options, ensure_ascii=False)
                            if line.variant is not None else None),
    } for line in group.lines] for group, _ in groups]

    if session.get_bind().dialect.name == "postgresql":
        order_id, seller_ids, item_ids = _insert_all(session, order_values, seller_values, item_values)
    else:
        order_id, seller_ids, item_ids = _insert_each(session, order_values, seller_values, item_values)

    order = inserted(session, Order, {**order_values, "id": order_id})
    seller_orders = []
    for (group, _), values, items, seller_id in zip(groups, seller_values, item_values, seller_ids):
        seller_order = inserted(session, SellerOrder, {**values, "id": seller_id, "order_id": order_id})
        set_committed_value(seller_order, "shop", group.shop)
        set_committed_value(seller_order, "order", order)
        set_committed_value(seller_order, "items", [
            inserted(session, OrderItem, {**item, "id": item_ids[item["listing_id"], item["variant_id"]],
                                          "seller_order_id": seller_id})
            for item in items])
        for item in seller_order.items:
            set_committed_value(item, "seller_order", seller_order)
        seller_orders.append(seller_order)
    set_committed_value(order, "seller_orders", seller_orders)
    set_committed_value(order, "buyer", buyer)
    return order


def _insert_all(
    session: Session, order: Values, sellers: list[Values], items: list[list[Values]],
) -> tuple[int, list[int], dict[tuple[int, int | None], int]]:
    """PostgreSQL: the order, its seller orders and items in one statement; their ids (the seller
    orders' in ``sellers`` order, the items' by (listing, variant): one line of an order each)."""
    params = dict(order)
    for column in _SELLER_COLUMNS:
        params["seller_" + column] = [values[column] for values in sellers]
    lines = [(seller["shop_id"], item) for seller, group in zip(sellers, items) for item in group]
    params["item_shop_id"] = [shop_id for shop_id, _ in lines]
    for column in _ITEM_COLUMNS:
        params["item_" + column] = [item[column] for _, item in lines]
    rows = session.connection().execute(_insert_order_statement(), params).all()
    seller_of_shop = {row.shop_id: row.seller_order_id for row in rows}
    return rows[0].order_id, [seller_of_shop[seller["shop_id"]] for seller in sellers], {
        (row.listing_id, row.variant_id): row.item_id for row in rows}


def _insert_each(
    session: Session, order: Values, sellers: list[Values], items: list[list[Values]],
) -> tuple[int, list[int], dict[tuple[int, int | None], int]]:
    """SQLite (no data-modifying ``WITH``): one ``INSERT … RETURNING id`` a table, rows in order."""
    conn = session.connection()
    order_id = conn.execute(_insert_returning_id(Order), [order]).scalar_one()
    seller_ids = list(conn.execute(_insert_returning_id(SellerOrder),
                                   [{**seller, "order_id": order_id} for seller in sellers]).scalars())
    lines = [{**item, "seller_order_id": seller_id} for seller_id, group in zip(seller_ids, items) for item in group]
    item_ids = conn.execute(_insert_returning_id(OrderItem), lines).scalars()
    return order_id, seller_ids, {(line["listing_id"], line["variant_id"]): item_id
                                  for line, item_id in zip(lines, item_ids)}


_ORDER_COLUMNS = ("buyer_id", "status", "subtotal_idr", "shipping_idr", "total_idr", "recipient", "phone", "line1",
                  "city", "province", "postal_code", "created_at", "updated_at", "payment_due_at")
_SELLER_COLUMNS = ("shop_id", "status", "subtotal_idr", "shipping_idr", "shipping_zone", "weight_grams",
                   "processing_days", "courier", "shipping_service")
_ITEM_COLUMNS = ("listing_id", "title", "unit_price_idr", "quantity", "weight_grams", "variant_id", "variant_options")


@cache
def _insert_order_statement() -> TextClause:
    """:func:`_insert_all`'s statement: the order's row, then its seller orders (one per shop, from
    arrays ``seller_<column>``, joined to the new order's id), then the items (from arrays
    ``item_<column>`` and ``item_shop_id``, joined to their shop's new seller order); one result row
    per item with the ids. Every sub-statement of a ``WITH`` sees the same snapshot and the foreign
    keys are checked at the end of the statement, so the children may name the parent inserted
    beside them. The ``ORDER BY``s number the rows in cart order, as separate inserts did."""
    dialect = postgresql.dialect()

    def unnest(prefix: str, columns: list[Any]) -> str:
        # Text as unbounded VARCHAR: a cast to VARCHAR(n) would cut a longer value where the insert refuses it.
        arrays = ", ".join(f"CAST(:{prefix}{column.key} AS "
                           f"{'VARCHAR' if isinstance(column.type, String) else column.type.compile(dialect)}[])"
                           for column in columns)
        return f"unnest({arrays}) WITH ORDINALITY AS wanted ({listed(tuple(c.key for c in columns))}, position)"

    def listed(columns: tuple[str, ...], prefix: str = "") -> str:
        return ", ".join(prefix + column for column in columns)

    orders, sellers, items = Order.__table__.c, SellerOrder.__table__.c, OrderItem.__table__.c
    statement = text(f"""
        WITH new_order AS (
            INSERT INTO orders ({listed(_ORDER_COLUMNS)}) VALUES ({listed(_ORDER_COLUMNS, ":")}) RETURNING id
        ), new_seller_orders AS (
            INSERT INTO seller_orders (order_id, {listed(_SELLER_COLUMNS)})
            SELECT new_order.id, {listed(_SELLER_COLUMNS, "wanted.")}
            FROM new_order, {unnest("seller_", [sellers[column] for column in _SELLER_COLUMNS])}
            ORDER BY wanted.position
            RETURNING id, shop_id
        ), new_items AS (
            INSERT INTO order_items (seller_order_id, {listed(_ITEM_COLUMNS)})
            SELECT new_seller_orders.id, {listed(_ITEM_COLUMNS, "wanted.")}
            FROM {unnest("item_", [sellers.shop_id] + [items[column] for column in _ITEM_COLUMNS])}
            JOIN new_seller_orders ON new_seller_orders.shop_id = wanted.shop_id
            ORDER BY wanted.position
            RETURNING id, seller_order_id, listing_id, variant_id
        )
        SELECT new_order.id AS order_id, new_seller_orders.shop_id, new_items.seller_order_id,
               new_items.id AS item_id, new_items.listing_id, new_items.variant_id
        FROM new_order, new_items JOIN new_seller_orders ON new_seller_orders.id = new_items.seller_order_id
    """)
    return statement.bindparams(*(bindparam(column, type_=orders[column].type) for column in _ORDER_COLUMNS))


@cache
def _insert_returning_id(model: type[Base]) -> ReturningInsert[Any]:
    """``INSERT INTO <model's table> … RETURNING id``, ids returned in the order of the parameters."""
    table = model.__table__
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


def _reserve_stock(session: Session, lines: list[cart_services.CartLine], now: datetime) -> None:
    """Take each line's quantity off its listing's stock if it is still there at that price (lines in
    listing-id order); else 409 naming the listings that fell short, and the caller rolls back.

    On PostgreSQL, one statement for all lines (:func:`_reserve_all_statement`), which also carries
    the catalogue's stock-change announcement; on SQLite, whose writers are serial, one conditional
    ``UPDATE`` per line.
    """
    variant_lines = [line for line in lines if line.variant is not None]
    if variant_lines:
        variants.lock_listings(session, [line.listing.id for line in variant_lines])
        lines = [line for line in lines if line.variant is None]
    conn = session.connection()  # Core: nothing of the ORM's to synchronise or flush here
    if not lines:
        remaining: dict[int, int] = {}
    elif conn.dialect.name == "postgresql":
        rows = conn.execute(_reserve_all_statement(), {
            "ids": [line.listing.id for line in lines], "quantities": [line.quantity for line in lines],
            "prices": [line.seen_price_idr for line in lines], "now": now, **changes.announcement_params(conn, changes.STOCK),
        }).all()
        if rows:
            changes.announced_in_statement(conn, changes.STOCK)
        remaining = {row.id: row.stock for row in rows}
    else:
        remaining = {}
        for line in lines:
            left = conn.execute(_reserve_statement(), {"reserve_id": line.listing.id, "reserve_quantity": line.quantity,
                                                       "reserve_price": line.seen_price_idr}).scalar()
            if left is not None:  # after a refusal the rest are still tried, to name them all
                remaining[line.listing.id] = left
    short = [str(line.listing.id) for line in lines if line.listing.id not in remaining]
    short += [_line_key(line) for line in variant_lines
              if not variants.reserve(session, line.variant.id, line.listing.id, line.quantity, line.seen_price_idr)]
    if short:
        raise Conflict("Someone else just bought this; check your cart.", code="out_of_stock",
                       fields={key: ["insufficient_stock"] for key in short})
    _refresh_variant_listings(session, variant_lines)
    for line in lines:
        listing = line.listing
        if remaining[listing.id] == 0:
            record(session, "listing.sold_out", key=listing.id, data={"listing_id": listing.id, "shop_id": listing.shop_id})
        session.expire(listing, ["stock"])


def _line_key(line: cart_services.CartLine) -> str:
    """How a refusal names a cart line: ``"<listing id>"``, or ``"<listing id>:<variant id>"``."""
    return f"{line.listing.id}:{line.variant.id}" if line.variant is not None else str(line.listing.id)


def _refresh_variant_listings(session: Session, variant_lines: list[cart_services.CartLine]) -> None:
    """After the variants' reservation: each listing's totals again (under its lock), ``listing.sold_out``
    when every variant is at 0, and the loaded rows expired (Core changed them)."""
    for listing in {line.listing.id: line.listing for line in variant_lines}.values():
        if variants.refresh_totals(session, listing.id) == 0:
            record(session, "listing.sold_out", key=listing.id, data={"listing_id": listing.id, "shop_id": listing.shop_id})
        session.expire(listing, ["stock", "price_idr"])
    for line in variant_lines:
        session.expire(line.variant, ["stock"])


@cache
def _reserve_all_statement() -> TextClause:
    """Every line's conditional stock update in one statement (PostgreSQL): ``stock = stock - q WHERE
    stock >= q AND status = 'approved' AND price_idr = <price shown>``, one row per line from
    ``unnest`` of the three arrays; returns each reserved listing's id and remaining stock.

    Lock order: concurrent checkouts must lock listings in one order (id) or they can deadlock. A join
    locks rows in whatever order its plan meets them, so the rows are first locked by the
    ``ARRAY(SELECT … ORDER BY id FOR UPDATE)`` — an uncorrelated sub-select, which PostgreSQL runs to
    the end (locking in ``ORDER BY`` order) before the scan that uses its result can update a row.
    The update then re-checks each row as committed by whoever held it (READ COMMITTED), so no
    interleaving of buyers oversells. ``RETURNING`` also evaluates the catalogue's announcement
    (``pg_notify`` with one payload: PostgreSQL sends it once, at the commit).
    """
    return text(f"""
        UPDATE listings SET stock = listings.stock - wanted.quantity, updated_at = :now
        FROM unnest(CAST(:ids AS INTEGER[]), CAST(:quantities AS INTEGER[]), CAST(:prices AS BIGINT[]))
             AS wanted (id, quantity, price)
        WHERE listings.id = wanted.id
          AND listings.id = ANY(ARRAY(SELECT locked.id FROM listings AS locked
                                      WHERE locked.id = ANY(CAST(:ids AS INTEGER[]))
                                      ORDER BY locked.id FOR UPDATE))
          AND listings.status IN ('{ListingStatus.APPROVED.value}', '{ListingStatus.PRIVATE.value}')
          AND listings.stock >= wanted.quantity
          AND listings.price_idr = wanted.price
        RETURNING listings.id, listings.stock, {changes.ANNOUNCEMENT_SQL}
    """).bindparams(bindparam("now", type_=Listing.__table__.c.updated_at.type))


@cache
def _reserve_statement() -> Update:
    """One line's conditional stock update (SQLite), built once."""
    listings = Listing.__table__.c
    return (
        update(Listing.__table__)
        .where(listings.id == bindparam("reserve_id"),
               listings.status.in_((ListingStatus.APPROVED.value, ListingStatus.PRIVATE.value)),
               listings.stock >= bindparam("reserve_quantity"), listings.price_idr == bindparam("reserve_price"))
        .values(stock=listings.stock - bindparam("reserve_quantity"))
        .returning(listings.stock)
    )


def placed_event(order: Order) -> dict[str, Any]:
    """``order.placed`` data: what the payments worker and, later, a notifier need."""
    return {
        "order_id": order.id, "buyer_id": order.buyer_id, "subtotal_idr": order.subtotal_idr,
        "shipping_idr": order.shipping_idr, "total_idr": order.total_idr,
        "seller_orders": [
            {
                "seller_order_id": so.id, "shop_id": so.shop_id, "subtotal_idr": so.subtotal_idr,
                "shipping_idr": so.shipping_idr,
                "items": [_placed_item(i) for i in so.items],
            }
            for so in order.seller_orders
        ],
    }


def _placed_item(item: OrderItem) -> dict[str, Any]:
    line: dict[str, Any] = {"listing_id": item.listing_id, "title": item.title, "quantity": item.quantity,
                            "unit_price_idr": item.unit_price_idr}
    if item.variant_id is not None:  # optional fields: an item without a variant reads as before
        line.update(variant_id=item.variant_id, options=item.options)
    return line

