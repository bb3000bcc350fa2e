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

Variants and vouchers (issue #24): a line naming a variant reserves from that variant, in the same
statement as the other lines (:mod:`marketplace.orders.reservation`); each item keeps the variant's id
and its options as bought. The voucher (the code given, or the one kept with the cart) is worked out
before the order is written, so the order and its seller orders are inserted with their discounts; on
PostgreSQL the same statement takes the voucher's use (a conditional ``UPDATE … uses_count <
max_uses``), records it and clears the cart's code. A cart without either takes the path it took before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import json
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import String, TextClause, bindparam, insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import ReturningInsert

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.cart import services as cart_services
from marketplace.db import Base, inserted
from marketplace.errors import Conflict
from marketplace.orders.reservation import line_key, reserve_stock
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
    entries, kept = cart_services.take_items(session, buyer, voucher_id=buyer.cart_voucher_id)
    if not entries:
        raise Conflict("Your cart is empty.", code="cart_empty")
    cart = cart_services.group(entries)
    problems = {line_key(line): line.problems for line in cart.lines if line.problems}
    if problems:
        raise Conflict("Some products in your cart cannot be bought as they are; check your cart.",
                       code="cart_has_problems", fields=problems)
    plan = vouchers.for_checkout(session, buyer, cart.groups, voucher_code, kept, now=now)
    reserve_stock(session, cart.lines, now)

    order, use_taken = _write_order(session, buyer, address, cart, quote_shipping, plan, now=now,
                                    payment_ttl=payment_ttl)
    discounts: dict[str, Any] = {}
    if plan is not None:
        if use_taken is None:  # SQLite: the use is taken and recorded after the insert
            use_taken = vouchers.take_use_after_insert(session, buyer, plan, order, now=now)
        discounts = vouchers.confirm_use(session, buyer, plan, order, taken=use_taken)
    # The payments worker makes the order's payment once this is committed; there is none yet, so the
    # response (``OrderOut.payment``) need not ask the database.
    set_committed_value(order, "payment", None)
    attribute_order(session, order, attribution)
    record(session, "order.placed", key=order.id, data={**placed_event(order), **discounts})
    return order


def _write_order(
    session: Session, buyer: User, address: dict[str, str], cart: cart_services.Cart, quote_shipping: QuoteShipping,
    plan: vouchers.CheckoutVoucher | None, *, now: datetime, payment_ttl: timedelta,
) -> tuple[Order, bool | None]:
    """Insert the order, its seller orders and items, and hand back the mapped objects, persistent in
    the session as if just loaded.

    Why not ``session.add`` and a flush: the unit of work was about a third of a checkout's CPU (issue
    #15). Every column's value is set here (the defaults the models declare, ``now`` for the
    timestamps, NULL for the rest), so the database hands back only the ids it chose, and the objects
    hold exactly the stored rows without a reload. On PostgreSQL the three tables are written by one
    statement (:func:`_insert_order_statement`), which with a voucher (``plan``) also takes and records
    its use (the second value returned: whether it got one; None on SQLite, one Core ``INSERT …
    RETURNING id`` a table, where the caller takes the use after).
    """
    groups = [(group, quote_shipping(group.shop, group.weight_grams, address["city"], address["province"]))
              for group in cart.groups]
    discount = plan.total_idr if plan is not None else 0
    subtotal = sum(group.subtotal_idr for group, _ in groups) - discount
    shipping = sum(quote.shipping_idr for _, quote in groups)
    order_values = {
        "buyer_id": buyer.id, "status": OrderStatus.PENDING_PAYMENT.value, "subtotal_idr": subtotal,
        "shipping_idr": shipping, "total_idr": subtotal + shipping, "discount_idr": discount, **address,
        "created_at": now, "updated_at": now, "payment_due_at": now + payment_ttl,
    }
    seller_values = [{
        "shop_id": group.shop.id, "status": SellerOrderStatus.PENDING_PAYMENT.value,
        **(plan.seller_fields(group.shop.id, group.subtotal_idr) if plan is not None
           else {"subtotal_idr": group.subtotal_idr, "discount_idr": 0, "subsidy_idr": 0}),
        "shipping_idr": quote.shipping_idr, "shipping_zone": quote.zone,
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

    use_taken: bool | None = None
    if session.get_bind().dialect.name == "postgresql":
        order_id, seller_ids, item_ids, use_taken = _insert_all(session, order_values, seller_values, item_values, plan)
        if plan is not None and buyer.cart_voucher_id is not None:
            set_committed_value(buyer, "cart_voucher_id", None)  # (the statement cleared it)
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
    return order, use_taken


def _insert_all(
    session: Session, order: Values, sellers: list[Values], items: list[list[Values]],
    plan: vouchers.CheckoutVoucher | None,
) -> tuple[int, list[int], dict[tuple[int, int | None], int], bool | None]:
    """PostgreSQL: the order, its seller orders and items in one statement; their ids (the seller
    orders' in ``sellers`` order, the items' by (listing, variant): one line of an order each), and
    with a voucher whether its use was taken (None without one)."""
    params = dict(order)
    if plan is not None:
        params.update(voucher_id=plan.voucher.id, use_discount_idr=plan.total_idr, use_funded_by=plan.voucher.funded_by)
    for column in _SELLER_COLUMNS:
        params["seller_" + column] = [values[column] for values in sellers]
    lines = [(seller["shop_id"], item) for seller, group in zip(sellers, items) for item in group]
    params["item_shop_id"] = [shop_id for shop_id, _ in lines]
    for column in _ITEM_COLUMNS:
        params["item_" + column] = [item[column] for _, item in lines]
    rows = session.connection().execute(_insert_order_statement(plan is not None), params).all()
    seller_of_shop = {row.shop_id: row.seller_order_id for row in rows}
    return rows[0].order_id, [seller_of_shop[seller["shop_id"]] for seller in sellers], {
        (row.listing_id, row.variant_id): row.item_id for row in rows}, (
        rows[0].uses_taken > 0 if plan is not None else None)


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


_ORDER_COLUMNS = ("buyer_id", "status", "subtotal_idr", "shipping_idr", "total_idr", "discount_idr", "recipient", "phone", "line1",
                  "city", "province", "postal_code", "created_at", "updated_at", "payment_due_at")
_SELLER_COLUMNS = ("shop_id", "status", "subtotal_idr", "discount_idr", "subsidy_idr", "shipping_idr",
                   "shipping_zone", "weight_grams", "processing_days", "courier", "shipping_service")
_ITEM_COLUMNS = ("listing_id", "title", "unit_price_idr", "quantity", "weight_grams", "variant_id", "variant_options")


@cache
def _insert_order_statement(with_voucher: bool) -> TextClause:
    """:func:`_insert_all`'s statement: the order's row, then its seller orders (one per shop, from
    arrays ``seller_<column>``, joined to the new order's id), then the items (from arrays
    ``item_<column>`` and ``item_shop_id``, joined to their shop's new seller order); one result row
    per item with the ids. Every sub-statement of a ``WITH`` sees the same snapshot and the foreign
    keys are checked at the end of the statement, so the children may name the parent inserted
    beside them. The ``ORDER BY``s number the rows in cart order, as separate inserts did.

    ``with_voucher``: the voucher's use taken by a conditional update (``taken_use``: live, a use left;
    waiting for a concurrent checkout's lock and re-checking its committed row, so two buyers never
    both get the last use), recorded for the new order only if taken (``new_use``), the cart's kept
    code cleared; ``uses_taken`` (0 or 1) says whether it was taken."""
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
    voucher_ctes = voucher_column = ""
    if with_voucher:
        voucher_ctes = f"""
        , taken_use AS (
            UPDATE vouchers SET uses_count = vouchers.uses_count + 1, updated_at = :created_at
            WHERE vouchers.id = :voucher_id AND NOT vouchers.paused AND vouchers.starts_at <= :created_at
              AND vouchers.ends_at > :created_at
              AND (vouchers.max_uses IS NULL OR vouchers.uses_count < vouchers.max_uses)
            RETURNING vouchers.id
        ), new_use AS (
            INSERT INTO voucher_uses (voucher_id, order_id, buyer_id, status, discount_idr, funded_by, created_at)
            SELECT taken_use.id, new_order.id, :buyer_id, '{vouchers.RESERVED}', :use_discount_idr,
                   :use_funded_by, :created_at
            FROM taken_use, new_order
            RETURNING id
        ), cleared AS (
            UPDATE users SET cart_voucher_id = NULL WHERE users.id = :buyer_id AND users.cart_voucher_id IS NOT NULL
        )"""
        voucher_column = ", (SELECT count(*) FROM new_use) AS uses_taken"
    statement = text(_one_line(f"""
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
        ){voucher_ctes}
        SELECT new_order.id AS order_id, new_seller_orders.shop_id, new_items.seller_order_id,
               new_items.id AS item_id, new_items.listing_id, new_items.variant_id{voucher_column}
        FROM new_order, new_items JOIN new_seller_orders ON new_seller_orders.id = new_items.seller_order_id
    """))
    return statement.bindparams(*(bindparam(column, type_=orders[column].type) for column in _ORDER_COLUMNS))


def _one_line(sql: str) -> str:
    """``sql`` with its runs of whitespace made one space (it holds no comment and no quoted text
    with spaces): psycopg keeps its parse of a statement's text for the next execution only when
    the text is at most 4,096 characters (``psycopg._queries.MAX_CACHED_STATEMENT_LENGTH``), and
    the indented statement with a voucher was longer, so every voucher checkout parsed it again."""
    return " ".join(sql.split())


@cache
def _insert_returning_id(model: type[Base]) -> ReturningInsert[Any]:
    """``INSERT INTO <model's table> … RETURNING id``, ids returned in the order of the parameters."""
    table = model.__table__
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


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

