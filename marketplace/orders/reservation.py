"""Checkout's stock reservation: each cart line's quantity taken off its listing's stock, or off its
variant's, if it is still there at the price the buyer saw; else a 409 naming the lines that fell short
(the caller rolls the whole checkout back).

On PostgreSQL every line is reserved by **one statement** (:func:`_reserve_all_statement`): the
listings of all lines are locked in id order first (so concurrent checkouts, restocks and edits cannot
deadlock), then a conditional ``UPDATE`` of the variants (``stock >= q AND price_idr = <price shown>``,
not archived) and one of the listings (approved; for a line without variants ``stock >= q AND price_idr
= <price shown>``; for a listing with variants its stock, the sum of its variants', falls by the
quantities taken). Each ``UPDATE`` re-checks a row as committed by whoever held it (READ COMMITTED), so
no interleaving of buyers oversells a listing or a variant. A listing's lowest available price
(``listings.variants``) changes only when one of its variants reaches 0; then, and only then, its totals
are recomputed by a second statement, under the lock already held. On SQLite, whose writers are
serial, one conditional ``UPDATE`` a line.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import TextClause, Update, bindparam, text, update
from sqlalchemy.orm import Session

from events.outbox import record
from marketplace.cart import services as cart_services
from marketplace.catalog import changes
from marketplace.errors import Conflict
from marketplace.listings import variants
from marketplace.listings.models import Listing, ListingStatus

Line = cart_services.CartLine


def line_key(line: Line) -> str:
    """How a refusal names a cart line: ``"<listing id>"``, or ``"<listing id>:<variant id>"``."""
    return f"{line.listing.id}:{line.variant.id}" if line.variant is not None else str(line.listing.id)


def reserve_stock(session: Session, lines: list[Line], now: datetime) -> None:
    """Reserve every line (see the module doc); ``listing.sold_out`` for each listing that reached 0."""
    lines = sorted(lines, key=lambda line: line.listing.id)
    if session.get_bind().dialect.name == "postgresql":
        listing_stock, variant_stock = _reserve_all(session, lines, now)
    else:
        listing_stock, variant_stock = _reserve_each(session, lines)
    short = [line_key(line) for line in lines
             if line.listing.id not in listing_stock
             or (line.variant is not None and line.variant.id not in variant_stock)]
    if short:
        raise Conflict("Someone else just bought this; check your cart.", code="out_of_stock",
                       fields={key: ["insufficient_stock"] for key in short})
    emptied = sorted({line.listing.id for line in lines if line.variant is not None and variant_stock[line.variant.id] == 0})
    for listing_id in emptied:  # a variant sold out: the listing's lowest available price may have moved
        listing_stock[listing_id] = variants.refresh_totals(session, listing_id) or 0
    for listing in {line.listing.id: line.listing for line in lines}.values():
        if listing_stock[listing.id] == 0:
            record(session, "listing.sold_out", key=listing.id, data={"listing_id": listing.id, "shop_id": listing.shop_id})
        session.expire(listing, ["stock", "price_idr"] if listing.id in emptied else ["stock"])
    for line in lines:
        if line.variant is not None:
            session.expire(line.variant, ["stock"])


def _reserve_all(session: Session, lines: list[Line], now: datetime) -> tuple[dict[int, int], dict[int, int]]:
    """PostgreSQL: the one statement; (listing id → stock left, variant id → stock left) of what it reserved."""
    conn = session.connection()  # Core: nothing of the ORM's to synchronise or flush here
    with changes.stock_only(conn):
        rows = conn.execute(_reserve_all_statement(), {
            "ids": [line.listing.id for line in lines], "variant_ids": [line.variant_id or 0 for line in lines],
            "quantities": [line.quantity for line in lines], "prices": [line.seen_price_idr for line in lines],
            "now": now, **changes.announcement_params(conn, changes.STOCK),
        }).all()
    if any(row.variant_id == 0 for row in rows):
        changes.announced_in_statement(conn, changes.STOCK)
    listing_stock = {row.listing_id: row.stock for row in rows if row.variant_id == 0}
    variant_stock = {row.variant_id: row.stock for row in rows if row.variant_id != 0}
    return listing_stock, variant_stock


def _reserve_each(session: Session, lines: list[Line]) -> tuple[dict[int, int], dict[int, int]]:
    """SQLite: one conditional update a line (after a refusal the rest are still tried, to name them
    all); a variant listing's totals recomputed after its variants'."""
    conn = session.connection()
    listing_stock: dict[int, int] = {}
    variant_stock: dict[int, int] = {}
    for line in lines:
        if line.variant is None:
            left = conn.execute(_reserve_statement(), {"reserve_id": line.listing.id, "reserve_quantity": line.quantity,
                                                       "reserve_price": line.seen_price_idr}).scalar()
            if left is not None:
                listing_stock[line.listing.id] = left
            continue
        left = variants.reserve(session, line.variant.id, line.listing.id, line.quantity, line.seen_price_idr)
        if left is not None:
            variant_stock[line.variant.id] = left
    for listing_id in sorted({line.listing.id for line in lines if line.variant is not None}):
        listing_stock[listing_id] = variants.refresh_totals(session, listing_id) or 0
    return listing_stock, variant_stock


@cache
def _reserve_all_statement() -> TextClause:
    """Every line's conditional update in one statement (PostgreSQL), from ``unnest`` of four arrays
    (listing, variant or 0, quantity, price shown); one result row per reserved listing (``variant_id``
    0) and per reserved variant, with the stock left.

    Lock order: the listings' rows are locked by ``locked``'s ``ARRAY(SELECT … ORDER BY id FOR UPDATE)``
    — an uncorrelated sub-select, which PostgreSQL runs to the end (locking in ``ORDER BY`` order)
    before either ``UPDATE`` can change a row, since both test their rows against its result. Every
    writer of a variant holds its listing's lock first, so the variants' rows never make a checkout wait
    in another order. The listings' ``RETURNING`` also evaluates the catalogue's announcement
    (``pg_notify`` with one payload: PostgreSQL sends it once, at the commit).
    """
    return text(f"""
        WITH wanted AS (
            SELECT * FROM unnest(CAST(:ids AS INTEGER[]), CAST(:variant_ids AS INTEGER[]),
                                 CAST(:quantities AS INTEGER[]), CAST(:prices AS BIGINT[]))
                   AS line (listing_id, variant_id, quantity, price)
        ), locked AS (
            SELECT ARRAY(SELECT listings.id FROM listings WHERE listings.id = ANY(CAST(:ids AS INTEGER[]))
                         ORDER BY listings.id FOR UPDATE) AS ids
        ), per_listing AS (
            SELECT listing_id, SUM(quantity) AS quantity, bool_or(variant_id <> 0) AS by_variant,
                   MIN(price) AS price
            FROM wanted GROUP BY listing_id
        ), taken_variants AS (
            UPDATE listing_variants SET stock = listing_variants.stock - wanted.quantity
            FROM wanted
            WHERE wanted.variant_id <> 0 AND listing_variants.id = wanted.variant_id
              AND listing_variants.listing_id = wanted.listing_id
              AND listing_variants.listing_id = ANY(CAST((SELECT ids FROM locked) AS INTEGER[]))
              AND NOT listing_variants.archived AND listing_variants.stock >= wanted.quantity
              AND listing_variants.price_idr = wanted.price
            RETURNING listing_variants.listing_id, listing_variants.id AS variant_id, listing_variants.stock
        ), taken_listings AS (
            UPDATE listings SET stock = listings.stock - per_listing.quantity, updated_at = :now
            FROM per_listing
            WHERE listings.id = per_listing.listing_id AND listings.id = ANY(CAST((SELECT ids FROM locked) AS INTEGER[]))
              AND listings.status IN ('{ListingStatus.APPROVED.value}', '{ListingStatus.PRIVATE.value}')
              AND listings.stock >= per_listing.quantity
              AND (CASE WHEN per_listing.by_variant THEN listings.has_variants
                        ELSE listings.price_idr = per_listing.price END)
            RETURNING listings.id AS listing_id, 0 AS variant_id, listings.stock, {changes.ANNOUNCEMENT_SQL} AS announced
        )
        SELECT listing_id, variant_id, stock FROM taken_listings
        UNION ALL SELECT listing_id, variant_id, stock FROM taken_variants
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
