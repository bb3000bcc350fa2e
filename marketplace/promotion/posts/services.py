"""Promotion use cases: queue a listing's posts, stop them when it is no longer public, list and retry
them for admins. No commit here (ARCHITECTURE.md §8); the posting itself is the worker's loop
(``workers.promotion.delivery``), which calls the outside platforms outside any transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from events.outbox import record
from marketplace.config import Settings
from marketplace.errors import Conflict, NotFound
from marketplace.listings.models import Listing, ListingImage, ListingStatus
from marketplace.promotion.posts.captions import PostListing
from marketplace.promotion.posts.models import Promotion, PromotionStatus as S

FEED = "feed"
RETRYABLE = (S.FAILED.value, S.PERMANENT.value)
PENDING = (S.QUEUED.value, S.RETRYING.value)


def is_public(listing: Listing | None) -> bool:
    """Only an approved listing with stock is worth a post (a withdrawn, rejected or sold-out one is not)."""
    return listing is not None and listing.status == ListingStatus.APPROVED.value and listing.stock > 0


def post_listing(session: Session, settings: Settings, listing_id: int) -> PostListing | None:
    """What a channel is told about the listing (its first photo as an absolute URL); None if gone."""
    listing = session.get(Listing, listing_id)
    if listing is None:
        return None
    key = session.scalar(select(ListingImage.key).where(ListingImage.listing_id == listing_id)
                         .order_by(ListingImage.position, ListingImage.id).limit(1))
    image_url = None
    if key is not None:
        from marketplace.media.storage import storage_from_settings

        image_url = storage_from_settings(settings).url(key)
        if image_url.startswith("/"):
            image_url = settings.public_base_url.rstrip("/") + image_url
    shop = listing.shop
    return PostListing(id=listing.id, title=listing.title, price_idr=listing.price_idr, shop_name=shop.name,
                       kelurahan=shop.kelurahan, city=shop.city, category=listing.category, image_url=image_url)


def record_posted(session: Session, row: Promotion) -> None:
    record(session, "promotion.posted", key=row.listing_id, data={
        "promotion_id": row.id, "listing_id": row.listing_id, "channel": row.channel,
        "external_id": row.external_id, "url": row.url,
    })


def record_failed(session: Session, row: Promotion) -> None:
    record(session, "promotion.failed", key=row.listing_id, data={
        "promotion_id": row.id, "listing_id": row.listing_id, "channel": row.channel,
        "error": (row.last_error or "unknown error")[:2000], "attempts": max(1, row.attempts),
    })


def queue_for_listing(session: Session, listing_id: int, channels: Iterable[str], now: datetime,
                      feed_entry: tuple[str, str]) -> list[Promotion]:
    """One row per enabled channel for a just-approved listing (``listing.approved``); the ``feed`` row
    is posted at once (``feed_entry`` = its id and URL). Rows that exist already are kept as they are,
    except that a re-approved listing's cancelled posts are queued again and its pending removals
    called off. Returns the rows queued or posted now."""
    existing = {row.channel: row for row in session.scalars(
        select(Promotion).where(Promotion.listing_id == listing_id).with_for_update())}
    listing = session.get(Listing, listing_id)
    if not is_public(listing):
        return []  # withdrawn or sold out again before this event was handled
    changed = []
    for channel in channels:
        row = existing.get(channel)
        if row is None:
            row = Promotion(listing_id=listing_id, channel=channel, attempts=0, created_at=now)
            session.add(row)
        elif row.status == S.WITHDRAWING.value:
            row.status, row.next_attempt_at = S.POSTED.value, None
            continue
        elif row.status != S.CANCELLED.value and not (channel == FEED and row.status == S.REMOVED.value):
            continue
        if channel == FEED:
            row.status, row.attempts, row.posted_at, row.next_attempt_at = S.POSTED.value, 1, now, None
            row.external_id, row.url = feed_entry
            session.flush()
            record_posted(session, row)
        else:
            row.status, row.next_attempt_at, row.last_error = S.QUEUED.value, now, None
        changed.append(row)
    session.flush()
    return changed


def listing_gone(session: Session, listing_id: int, now: datetime) -> None:
    """The listing is withdrawn, rejected, back in review or sold out: what is not posted yet will not
    be, what is posted is to be taken down (the feed's at once; the others by the posting loop)."""
    if is_public(session.get(Listing, listing_id)):
        return  # e.g. a listing.updated that left it approved with stock
    rows = session.scalars(select(Promotion).where(Promotion.listing_id == listing_id).with_for_update())
    for row in rows:
        if row.status in PENDING:
            row.status, row.next_attempt_at = S.CANCELLED.value, None
        elif row.status == S.POSTED.value:
            if row.channel == FEED:
                row.status = S.REMOVED.value
            else:
                row.status, row.next_attempt_at = S.WITHDRAWING.value, now
        # attempting: the loop sees the listing is gone when it records the result, and withdraws it


def admin_list(session: Session, *, listing_id: int | None = None, channel: str | None = None,
               status: str | None = None, limit: int = 200) -> list[Promotion]:
    """Promotions, newest first, filtered as asked."""
    stmt = select(Promotion).order_by(Promotion.created_at.desc(), Promotion.id.desc()).limit(limit)
    if listing_id is not None:
        stmt = stmt.where(Promotion.listing_id == listing_id)
    if channel:
        stmt = stmt.where(Promotion.channel == channel)
    if status:
        stmt = stmt.where(Promotion.status == status)
    return list(session.scalars(stmt))


def as_item(row: Promotion) -> dict[str, Any]:
    return {"id": row.id, "listing_id": row.listing_id, "channel": row.channel, "status": row.status,
            "url": row.url, "attempts": row.attempts, "error": row.last_error,
            "created_at": row.created_at, "posted_at": row.posted_at}


def retry(session: Session, promotion_id: int, now: datetime) -> Promotion:
    """Queue a failed or refused post again (an admin fixed the token, or checked it is missing);
    409 ``not_retryable`` otherwise, and 409 ``listing_not_public`` when there is nothing to promote."""
    row = session.get(Promotion, promotion_id, with_for_update=True)
    if row is None:
        raise NotFound("Promotion not found.")
    if row.status not in RETRYABLE:
        raise Conflict("Only a failed or refused post can be retried.", code="not_retryable")
    if not is_public(session.get(Listing, row.listing_id)):
        raise Conflict("The listing is not public any more, so it is not posted.", code="listing_not_public")
    row.status, row.next_attempt_at, row.attempts = S.QUEUED.value, now, 0  # a fresh round of retries
    # ``checkpoint`` stays: an Instagram container made before is resumed, not made again
    return row
