"""What a product card shows beyond the listing row (issue #29): its rating, how many were sold, and whether
its shop has a voucher running — for one grid of cards at a time.

Three grouped statements over the grid's ids (at most a page, 24 by default), each on an index:
``ix_reviews_listing_id_created_at``, ``ix_order_items_listing_id`` (joined to the seller order by its key)
and ``ix_vouchers_shop_id``. Nothing is stored twice: the figures are the rows, so a hidden review or a
cancelled order is out of them at once. "Sold" counts the units of paid seller orders (awaiting shipment,
shipped, delivered), never those waiting for payment or cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from marketplace.orders.models import OrderItem, SellerOrder, SellerOrderStatus
from marketplace.reviews.models import Review
from marketplace.vouchers.models import Voucher

SOLD_STATUSES = (SellerOrderStatus.AWAITING_SHIPMENT.value, SellerOrderStatus.SHIPPED.value,
                 SellerOrderStatus.DELIVERED.value)


@dataclass(frozen=True)
class CardFacts:
    rating: float | None = None  # the average of the visible reviews, None without any
    reviews: int = 0
    sold: int = 0
    voucher: bool = False


NONE = CardFacts()


def card_facts(session: Session, cards: Iterable[tuple[int, int]], *, now: datetime) -> dict[int, CardFacts]:
    """For ``(listing_id, shop_id)`` pairs: each listing's :class:`CardFacts` (listings with nothing to show
    are left out; use :data:`NONE` for them)."""
    pairs = list(cards)
    if not pairs:
        return {}
    ids = sorted({listing_id for listing_id, _ in pairs})
    shop_ids = sorted({shop_id for _, shop_id in pairs})
    ratings = {lid: (float(avg), int(n)) for lid, avg, n in session.execute(
        select(Review.listing_id, func.avg(Review.rating), func.count())
        .where(Review.listing_id.in_(ids), Review.hidden_at.is_(None)).group_by(Review.listing_id))}
    sold = {lid: int(n) for lid, n in session.execute(
        select(OrderItem.listing_id, func.sum(OrderItem.quantity))
        .join(SellerOrder, SellerOrder.id == OrderItem.seller_order_id)
        .where(OrderItem.listing_id.in_(ids), SellerOrder.status.in_(SOLD_STATUSES))
        .group_by(OrderItem.listing_id))}
    with_voucher = set(session.scalars(
        select(Voucher.shop_id).where(
            Voucher.shop_id.in_(shop_ids), Voucher.paused.is_(False), Voucher.starts_at <= now, Voucher.ends_at > now,
            or_(Voucher.max_uses.is_(None), Voucher.uses_count < Voucher.max_uses)).distinct()))
    out: dict[int, CardFacts] = {}
    for listing_id, shop_id in pairs:
        rating = ratings.get(listing_id)
        facts = CardFacts(rating=round(rating[0], 2) if rating else None, reviews=rating[1] if rating else 0,
                          sold=sold.get(listing_id, 0), voucher=shop_id in with_voucher)
        if facts != NONE:
            out[listing_id] = facts
    return out
