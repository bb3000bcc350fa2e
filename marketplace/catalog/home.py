"""The home page's storefront (issue #29): the campaign of the moment for the hero, the best sellers,
sentra to meet and the next events. Each part is one small statement; the best sellers' ids are kept in
the catalogue memo (a sales ranking a few seconds old is as good as a fresh one), their listings loaded
afresh as every card is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from marketplace.catalog.card_facts import SOLD_STATUSES
from marketplace.listings.models import Listing, ListingStatus
from marketplace.orders.models import OrderItem, SellerOrder
from marketplace.programme import reads as programme
from marketplace.programme.models import SHOP_KINDS
from marketplace.sentra.models import Sentra
from marketplace.shops.models import Shop
from marketplace.vouchers.models import Voucher

if TYPE_CHECKING:
    from marketplace.catalog.memo import CatalogMemo

APPROVED = ListingStatus.APPROVED.value


@dataclass(frozen=True)
class Campaign:
    """What the hero shows: a festival or market coming up, else a programme voucher running."""

    event: Any = None
    voucher: Voucher | None = None


def campaign(session: Session, events: list[Any], *, now: datetime) -> Campaign | None:
    """The hero's campaign: the first festival or market among ``events`` (the upcoming ones), else the
    programme voucher (no shop: the programme pays) running now that ends first."""
    for event in events:
        if event.kind in SHOP_KINDS:
            return Campaign(event=event)
    voucher = session.scalars(
        select(Voucher).where(Voucher.shop_id.is_(None), Voucher.paused.is_(False), Voucher.starts_at <= now,
                              Voucher.ends_at > now,
                              or_(Voucher.max_uses.is_(None), Voucher.uses_count < Voucher.max_uses))
        .order_by(Voucher.ends_at, Voucher.id).limit(1)).first()
    return Campaign(voucher=voucher) if voucher is not None else None


def upcoming_events(session: Session, *, now: datetime, limit: int = 3) -> list[Any]:
    return programme.list_events(session, now=now, limit=limit)


def sentra_highlights(session: Session, *, limit: int = 4) -> list[Sentra]:
    """Sentra with a photo, the ones with the most shops first."""
    shops = (select(Shop.sentra_id, func.count(Shop.id).label("n")).where(Shop.suspended_at.is_(None))
             .group_by(Shop.sentra_id).subquery("shops"))
    return list(session.scalars(
        select(Sentra).join(shops, shops.c.sentra_id == Sentra.id).where(Sentra.photo_key.is_not(None))
        .order_by(shops.c.n.desc(), Sentra.id).limit(limit)))


def _bestseller_ids(session: Session, limit: int) -> tuple[int, ...]:
    sold = func.sum(OrderItem.quantity)
    return tuple(session.scalars(
        select(OrderItem.listing_id)
        .join(SellerOrder, SellerOrder.id == OrderItem.seller_order_id)
        .join(Listing, Listing.id == OrderItem.listing_id)
        .join(Shop, Shop.id == Listing.shop_id)
        .where(SellerOrder.status.in_(SOLD_STATUSES), Listing.status == APPROVED, Shop.suspended_at.is_(None),
               Listing.stock > 0)
        .group_by(OrderItem.listing_id).order_by(sold.desc(), OrderItem.listing_id.desc()).limit(limit)))


def bestsellers(session: Session, *, limit: int = 8, memo: "CatalogMemo | None" = None) -> list[Listing]:
    """The approved listings in stock that sold the most units (paid orders), most first."""
    if memo is not None:
        ids = memo.fetch(session, ("bestsellers", limit), lambda: _bestseller_ids(session, limit))
    else:
        ids = _bestseller_ids(session, limit)
    if not ids:
        return []
    loaded = session.scalars(
        select(Listing).join(Shop, Shop.id == Listing.shop_id).where(Listing.id.in_(ids))
        .options(contains_eager(Listing.shop).joinedload(Shop.sentra_centre), selectinload(Listing.images))
    ).unique().all()
    by_id = {listing.id: listing for listing in loaded}
    return [by_id[i] for i in ids if i in by_id]
