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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Row, TextClause, Update, bindparam, insert, text, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import ReturningInsert

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.cart import services as cart_services
from marketplace.catalog import changes
from marketplace.db import Base
from marketplace.errors import Conflict
from marketplace.listings.models import Listing, ListingStatus
from marketplace.orders.models import Order, OrderItem, SellerOrder
from marketplace.promotion.attribution import Touch, attribute_order
from marketplace.shops.models import Shop


ModelT = TypeVar("ModelT", bound=Base)


@dataclass(frozen=True)
class ShippingQuote:
    zone: str
    shipping_idr: int


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
) -> Order:
    """Turn the buyer's cart into an order awaiting payment (see the module doc); raises on any problem.

    ``attribution``: the visit's last touch within the window (the entry point reads it), recorded with
    the order so the promotion figures can credit its channel; ``None`` for a direct order.
    """
    entries = cart_services.take_items(session, buyer)
    if not entries:
        raise Conflict("Your cart is empty.", code="cart_empty")
    cart = cart_services.group(entries)
    problems = {str(line.listing.id): line.problems for line in cart.lines if line.problems}
    if problems:
        raise Conflict("Some products in your cart cannot be bought as they are; check your cart.",
                       code="cart_has_problems", fields=problems)
    _reserve_stock(session, sorted(cart.lines, key=lambda entry: entry.listing.id), now)

    order = _write_order(session, buyer, address, cart, quote_shipping, now=now, payment_ttl=payment_ttl)
    # The payments worker makes the order's payment once this is committed; there is none yet, so the
    # response (``OrderOut.payment``) need not ask the database.
    set_committed_value(order, "payment", None)
    attribute_order(session, order, attribution)
    record(session, "order.placed", key=order.id, data=placed_event(order))
    return order


def _write_order(
    session: Session, buyer: User, address: dict[str, str], cart: cart_services.Cart, quote_shipping: QuoteShipping,
    *, now: datetime, payment_ttl: timedelta,
) -> Order:
    """Insert the order, its seller orders and items with Core ``INSERT … RETURNING`` (one statement per
    table; the seller orders' and items' rows in one statement each), and hand back the mapped objects,
    persistent in the session as if just loaded.

    Why not ``session.add`` and a flush: the unit of work was about a third of a checkout's CPU (issue
    #15). The rows are the same: Core applies the columns' Python defaults (``status``,
    ``updated_at``, …) and ``RETURNING`` every column brings back what the database stored, so the
    objects (and the response built from them) never need a reload.
    """
    groups = [(group, quote_shipping(group.shop, group.weight_grams, address["city"], address["province"]))
              for group in cart.groups]
    subtotal = sum(group.subtotal_idr for group, _ in groups)
    shipping = sum(quote.shipping_idr for _, quote in groups)
    conn = session.connection()
    order_row = conn.execute(_insert_returning(Order), [{
        "buyer_id": buyer.id, "created_at": now, "payment_due_at": now + payment_ttl, "subtotal_idr": subtotal,
        "shipping_idr": shipping, "total_idr": subtotal + shipping, **address,
    }]).one()
    seller_rows = conn.execute(_insert_returning(SellerOrder), [{
        "order_id": order_row.id, "shop_id": group.shop.id, "subtotal_idr": group.subtotal_idr,
        "shipping_idr": quote.shipping_idr, "shipping_zone": quote.zone, "weight_grams": group.weight_grams,
        "processing_days": max((line.listing.processing_days for line in group.lines
                                if line.listing.fulfilment == "made_to_order"), default=0),
    } for group, quote in groups]).all()
    item_rows = conn.execute(_insert_returning(OrderItem), [{
        "seller_order_id": seller_row.id, "listing_id": line.listing.id, "title": line.listing.title,
        "unit_price_idr": line.seen_price_idr, "quantity": line.quantity, "weight_grams": line.listing.weight_grams,
    } for (group, _), seller_row in zip(groups, seller_rows) for line in group.lines]).all()

    items_of: dict[int, list[OrderItem]] = {}
    for item_row in item_rows:
        items_of.setdefault(item_row.seller_order_id, []).append(_loaded(session, OrderItem, item_row))
    order = _loaded(session, Order, order_row)
    seller_orders = []
    for (group, _), seller_row in zip(groups, seller_rows):
        seller_order = _loaded(session, SellerOrder, seller_row)
        set_committed_value(seller_order, "shop", group.shop)
        set_committed_value(seller_order, "order", order)
        set_committed_value(seller_order, "items", items_of.get(seller_row.id, []))
        for item in seller_order.items:
            set_committed_value(item, "seller_order", seller_order)
        seller_orders.append(seller_order)
    set_committed_value(order, "seller_orders", seller_orders)
    set_committed_value(order, "buyer", buyer)
    return order


@cache
def _insert_returning(model: type[Base]) -> ReturningInsert[Any]:
    """``INSERT INTO <model's table> … RETURNING *``, rows returned in the order of the parameters."""
    table = model.__table__
    return insert(table).returning(*table.c, sort_by_parameter_order=True)


def _loaded(session: Session, model: type[ModelT], row: Row[Any]) -> ModelT:
    """``row`` (every column of ``model``'s table) as a persistent object, as a query would load it."""
    instance = model(**row._asdict())
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def _reserve_stock(session: Session, lines: list[cart_services.CartLine], now: datetime) -> None:
    """Take each line's quantity off its listing's stock if it is still there at that price (lines in
    listing-id order); else 409 naming the listings that fell short, and the caller rolls back.

    On PostgreSQL, one statement for all lines (:func:`_reserve_all_statement`), which also carries
    the catalogue's stock-change announcement; on SQLite, whose writers are serial, one conditional
    ``UPDATE`` per line.
    """
    conn = session.connection()  # Core: nothing of the ORM's to synchronise or flush here
    if conn.dialect.name == "postgresql":
        rows = conn.execute(_reserve_all_statement(), {
            "ids": [line.listing.id for line in lines], "quantities": [line.quantity for line in lines],
            "prices": [line.seen_price_idr for line in lines], "now": now, **changes.announcement_params(changes.STOCK),
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
    short = [line.listing.id for line in lines if line.listing.id not in remaining]
    if short:
        raise Conflict("Someone else just bought this; check your cart.", code="out_of_stock",
                       fields={str(listing_id): ["insufficient_stock"] for listing_id in short})
    for line in lines:
        listing = line.listing
        if remaining[listing.id] == 0:
            record(session, "listing.sold_out", key=listing.id, data={"listing_id": listing.id, "shop_id": listing.shop_id})
        session.expire(listing, ["stock"])


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
          AND listings.status = '{ListingStatus.APPROVED.value}' AND listings.stock >= wanted.quantity
          AND listings.price_idr = wanted.price
        RETURNING listings.id, listings.stock, {changes.ANNOUNCEMENT_SQL}
    """).bindparams(bindparam("now", type_=Listing.__table__.c.updated_at.type))


@cache
def _reserve_statement() -> Update:
    """One line's conditional stock update (SQLite), built once."""
    listings = Listing.__table__.c
    return (
        update(Listing.__table__)
        .where(listings.id == bindparam("reserve_id"), listings.status == ListingStatus.APPROVED.value,
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
                "items": [{"listing_id": i.listing_id, "title": i.title, "quantity": i.quantity,
                           "unit_price_idr": i.unit_price_idr} for i in so.items],
            }
            for so in order.seller_orders
        ],
    }


def shipping_quoter(settings: Any) -> QuoteShipping:
    """The checkout's shipping: each shop's parcel priced from the rate table the settings name."""
    from marketplace.shipping.rates import rates_for
    from marketplace.shipping.services import quote_for_shop

    rates = rates_for(settings)

    def quote(shop: Shop, weight_grams: int, city: str, province: str) -> ShippingQuote:
        found = quote_for_shop(shop.city, weight_grams, city, province, rates)
        return ShippingQuote(zone=found.zone, shipping_idr=found.shipping_idr)

    return quote
