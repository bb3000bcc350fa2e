"""A listing's variants: replacing the set on an edit, and keeping the listing's totals in step.

With variants (ARCHITECTURE.md §4), stock lives on the variants and the listing's own ``stock`` and
``price_idr`` are derived: the sum of the variants' stock, and the lowest price of a variant in stock
(of any variant when all are sold out). They are stored on the listing, so the catalogue's search,
price filters and sort, the feeds and the cards read one column for every listing, with or without
variants. Whoever changes a variant's stock (checkout, a cancellation's restock, an edit) holds the
listing's row lock and then calls :func:`refresh_totals` in the same transaction.

Replacing the set (``PATCH … {variants: [...]}``): a variant whose options are unchanged keeps its id
(carts and orders name it); one left out is *archived*, not deleted (a cart line naming it shows it
unavailable; an order item keeps pointing at it). What the review rule counts (``services``): a new,
removed or re-priced variant, or changed options, is a change of price and options (``"variants"``);
stock, SKU and photo alone are not.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.errors import ValidationFailed
from marketplace.listings.models import Listing, ListingVariant

#: A change of what a moderator reviews (prices, options, which variants exist).
REVIEWED = "variants"
#: A change of stock, SKU or photo of a variant only (no review, no new revision).
STOCK_ONLY = "variant_stock"
IMAGE_MESSAGE = "Choose one of this listing's photos."


def _key(options: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The combination, whatever the order of names or the case: ``M`` and ``m`` are one size."""
    return tuple(sorted((name.casefold(), value.casefold()) for name, value in options.items()))


def replace(listing: Listing, specs: list[dict[str, Any]]) -> set[str]:
    """Make ``specs`` (loaded :class:`~marketplace.listings.schemas.VariantIn`, checked together by the
    schema) the listing's variants; the caller holds the listing's row lock. Returns what changed
    (:data:`REVIEWED`, :data:`STOCK_ONLY`, or nothing) and refreshes the listing's totals."""
    images = {image.id for image in listing.images}
    bad = {str(i): {"image_id": [IMAGE_MESSAGE]} for i, spec in enumerate(specs)
           if spec.get("image_id") is not None and spec["image_id"] not in images}
    if bad:
        raise ValidationFailed(IMAGE_MESSAGE, fields={"variants": bad})
    existing = {_key(variant.options): variant for variant in listing.variants}
    changed: set[str] = set()
    kept: set[int] = set()
    for position, spec in enumerate(specs):
        variant = existing.get(_key(spec["options"]))
        if variant is None:
            variant = ListingVariant(options=dict(spec["options"]), price_idr=spec["price_idr"], stock=spec["stock"],
                                     sku=spec.get("sku"), image_id=spec.get("image_id"), position=position)
            listing.variants.append(variant)
            changed.add(REVIEWED)
            continue
        kept.add(id(variant))
        if variant.archived or variant.options != spec["options"] or variant.price_idr != spec["price_idr"]:
            changed.add(REVIEWED)
        if (variant.stock, variant.sku, variant.image_id, variant.position) != (
                spec["stock"], spec.get("sku"), spec.get("image_id"), position):
            changed.add(STOCK_ONLY)
        variant.archived = False
        variant.options, variant.price_idr, variant.stock = dict(spec["options"]), spec["price_idr"], spec["stock"]
        variant.sku, variant.image_id, variant.position = spec.get("sku"), spec.get("image_id"), position
    for variant in listing.variants:
        if id(variant) not in kept and not variant.archived and variant.id is not None:
            variant.archived = True
            changed.add(REVIEWED)
    _totals_from_rows(listing)
    return changed


def _totals_from_rows(listing: Listing) -> None:
    """The listing's derived fields from its loaded variants (an edit, under the row lock)."""
    active = listing.active_variants
    listing.has_variants = bool(active)
    if not active:
        listing.price_varies = False
        return  # back to a listing without variants: its price and stock stay as they were last
    in_stock = [variant.price_idr for variant in active if variant.stock > 0]
    listing.stock = sum(variant.stock for variant in active)
    listing.price_idr = min(in_stock or [variant.price_idr for variant in active])
    listing.price_varies = len({variant.price_idr for variant in active}) > 1


def lock_listings(session: Session, listing_ids: list[int]) -> None:
    """Take the row locks of these listings, lowest id first (the checkout's order: no deadlock)."""
    if listing_ids and session.get_bind().dialect.name == "postgresql":
        session.connection().execute(_lock_statement(), {"ids": sorted(set(listing_ids))})


@cache
def _lock_statement() -> TextClause:
    return text("SELECT id FROM listings WHERE id = ANY(CAST(:ids AS INTEGER[])) ORDER BY id FOR UPDATE")


def refresh_totals(session: Session, listing_id: int) -> int | None:
    """Recompute a variant listing's stock and lowest available price from its variants (the caller
    holds the listing's row lock, so this statement's snapshot sees every committed variant change);
    returns the listing's stock, or None for a listing without variants."""
    return session.connection().execute(_refresh_statement(), {"listing_id": listing_id, "now": utcnow()}).scalar()


@cache
def _refresh_statement() -> TextClause:
    active = "FROM listing_variants AS v WHERE v.listing_id = listings.id AND NOT v.archived"
    return text(f"""
        UPDATE listings SET
            stock = (SELECT COALESCE(SUM(v.stock), 0) {active}),
            price_idr = COALESCE((SELECT MIN(v.price_idr) {active} AND v.stock > 0),
                                 (SELECT MIN(v.price_idr) {active}), listings.price_idr),
            updated_at = :now
        WHERE listings.id = :listing_id AND listings.has_variants
        RETURNING listings.stock
    """).bindparams(bindparam("now", type_=Listing.__table__.c.updated_at.type))


def reserve(session: Session, variant_id: int, listing_id: int, quantity: int, price_idr: int) -> int | None:
    """Take ``quantity`` off a variant if it is still on sale, at that price, with that much stock, and
    its listing approved (a conditional update: never oversold); its stock left, or None when refused.
    The caller holds the listing's lock (SQLite's checkout; PostgreSQL's reserves in one statement:
    ``orders.reservation``)."""
    return session.connection().execute(_reserve_statement(), {  # type: ignore[no-any-return]
        "variant_id": variant_id, "listing_id": listing_id, "quantity": quantity, "price": price_idr,
    }).scalar()


@cache
def _reserve_statement() -> TextClause:
    return text("""
        UPDATE listing_variants SET stock = stock - :quantity
        WHERE id = :variant_id AND listing_id = :listing_id AND NOT archived
          AND stock >= :quantity AND price_idr = :price
          AND EXISTS (SELECT 1 FROM listings WHERE listings.id = :listing_id AND listings.status = 'approved')
        RETURNING stock
    """)


def give_back(session: Session, variant_id: int, quantity: int) -> None:
    """Return ``quantity`` to a variant (a cancellation, an expiry, a refund); the caller holds the
    listing's lock and refreshes its totals. An archived variant gets it too (it is not on sale)."""
    session.connection().execute(_give_back_statement(), {"variant_id": variant_id, "quantity": quantity})


@cache
def _give_back_statement() -> TextClause:
    return text("UPDATE listing_variants SET stock = stock + :quantity WHERE id = :variant_id")
