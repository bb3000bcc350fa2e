"""Favourites and follows: a user hearts public listings and follows shops; a followed shop's newly
approved listing is left for each follower (``follow_updates``, written by the notifications worker on
``listing.approved``), shown on their "Toko yang diikuti" page and mailed in one daily digest at most.

PUT and DELETE are idempotent: the pair is the primary key, so a second heart is the same row
(``INSERT`` in a savepoint, an ``IntegrityError`` meaning "already there"), and removing what is not
there is no error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, exists, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import User
from marketplace.config import Settings
from marketplace.errors import NotFound, ValidationFailed
from marketplace.follows.models import Favourite, FollowUpdate, ShopFollow
from marketplace.listings.models import Listing, ListingStatus
from marketplace.notifications.models import Notification
from marketplace.shops.models import Shop

APPROVED = ListingStatus.APPROVED.value
OWN_SHOP = "You cannot follow your own shop."
WIB = timezone(timedelta(hours=7))
#: The digest goes out from this hour (WIB) on, once a day: the day's new listings in one e-mail.
DIGEST_HOUR_WIB = 18
DIGEST_KIND = "follow_digest"


def _public_listing(session: Session, listing_id: int) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None or listing.status != APPROVED or listing.shop.suspended_at is not None:
        raise NotFound("Listing not found.")
    return listing


def _public_shop(session: Session, shop_id: int) -> Shop:
    shop = session.get(Shop, shop_id)
    if shop is None or shop.suspended_at is not None:
        raise NotFound("Shop not found.")
    return shop


def _add_once(session: Session, row: Any) -> None:
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        pass  # already there: the same answer as the first time


def favourite(session: Session, user: User, listing_id: int, *, now: datetime) -> None:
    """Heart a public listing (404 otherwise); hearting it again changes nothing."""
    _public_listing(session, listing_id)
    _add_once(session, Favourite(user_id=user.id, listing_id=listing_id, created_at=now))


def unfavourite(session: Session, user: User, listing_id: int) -> None:
    session.execute(delete(Favourite).where(Favourite.user_id == user.id, Favourite.listing_id == listing_id))


def follow(session: Session, user: User, shop_id: int, *, now: datetime) -> None:
    """Follow a public shop (404 otherwise; 422 ``own_shop`` for one's own); again changes nothing."""
    shop = _public_shop(session, shop_id)
    if shop.owner_id == user.id:
        raise ValidationFailed(OWN_SHOP, code="own_shop")
    _add_once(session, ShopFollow(user_id=user.id, shop_id=shop_id, created_at=now))


def unfollow(session: Session, user: User, shop_id: int) -> None:
    session.execute(delete(ShopFollow).where(ShopFollow.user_id == user.id, ShopFollow.shop_id == shop_id))


def favourites(session: Session, user: User) -> list[Listing]:
    """The user's hearted listings that are still public, the most recently hearted first."""
    return list(session.scalars(
        select(Listing).join(Favourite, Favourite.listing_id == Listing.id).join(Shop, Shop.id == Listing.shop_id)
        .where(Favourite.user_id == user.id, Listing.status == APPROVED, Shop.suspended_at.is_(None))
        .order_by(Favourite.created_at.desc(), Listing.id.desc())
        .options(selectinload(Listing.images), selectinload(Listing.shop))))


def favourite_ids(session: Session, user: User | None, listing_ids: list[int] | None = None) -> set[int]:
    """Which listings (of ``listing_ids``, or all) the user has hearted: the cards' filled hearts."""
    if user is None:
        return set()
    stmt = select(Favourite.listing_id).where(Favourite.user_id == user.id)
    if listing_ids is not None:
        stmt = stmt.where(Favourite.listing_id.in_(listing_ids))
    return set(session.scalars(stmt))


def following(session: Session, user: User) -> list[Shop]:
    return list(session.scalars(
        select(Shop).join(ShopFollow, ShopFollow.shop_id == Shop.id)
        .where(ShopFollow.user_id == user.id, Shop.suspended_at.is_(None))
        .order_by(ShopFollow.created_at.desc(), Shop.id.desc())))


def is_following(session: Session, user: User | None, shop_id: int) -> bool:
    if user is None:
        return False
    return session.get(ShopFollow, (user.id, shop_id)) is not None


def updates(session: Session, user: User, limit: int = 30) -> list[Listing]:
    """What followed shops published since the user followed them (in-app), newest first, still public."""
    return list(session.scalars(
        select(Listing).join(FollowUpdate, FollowUpdate.listing_id == Listing.id)
        .where(FollowUpdate.user_id == user.id, Listing.status == APPROVED)
        .order_by(FollowUpdate.created_at.desc(), FollowUpdate.id.desc()).limit(limit)
        .options(selectinload(Listing.images), selectinload(Listing.shop))))


def announce_listing(session: Session, listing_id: int, *, now: datetime) -> int:
    """``listing.approved``: one ``follow_updates`` row per follower of the listing's shop, in one
    statement; a listing approved again after an edit adds nothing (``NOT EXISTS`` and the unique key)."""
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise LookupError(f"listing {listing_id} not found")
    already = exists().where(FollowUpdate.user_id == ShopFollow.user_id, FollowUpdate.listing_id == listing_id)
    chosen = select(ShopFollow.user_id, literal(listing.shop_id), literal(listing_id), literal(now)).where(
        ShopFollow.shop_id == listing.shop_id, ~already)
    result = session.execute(insert(FollowUpdate).from_select(
        ["user_id", "shop_id", "listing_id", "created_at"], chosen))
    return int(result.rowcount or 0)


def digest_day(now: datetime) -> str | None:
    """The WIB date whose digest may go out at ``now`` (None before ``DIGEST_HOUR_WIB``)."""
    local = now.astimezone(WIB)
    return local.date().isoformat() if local.hour >= DIGEST_HOUR_WIB else None


def due_digest_users(session: Session) -> list[int]:
    return list(session.scalars(select(FollowUpdate.user_id).where(FollowUpdate.digested_at.is_(None))
                                .group_by(FollowUpdate.user_id).order_by(FollowUpdate.user_id)))


def send_digest(session: Session, settings: Settings, user_id: int, *, now: datetime,
                queue: Callable[..., Any]) -> bool:
    """Queue the user's digest of today (``follow-digest:<WIB date>``, unique per recipient and kind: one
    a day at most) with the not yet mailed updates, and mark those mailed; False if nothing to do."""
    day = digest_day(now)
    user = session.get(User, user_id)
    if day is None or user is None:
        return False
    rows = session.execute(
        select(FollowUpdate.id, Listing).join(Listing, Listing.id == FollowUpdate.listing_id)
        .where(FollowUpdate.user_id == user_id, FollowUpdate.digested_at.is_(None))
        .order_by(FollowUpdate.created_at, FollowUpdate.id).with_for_update(of=FollowUpdate)).all()
    if not rows:
        return False
    base = settings.public_base_url.rstrip("/")
    listings = [{"title": listing.title, "shop": listing.shop.name, "price_idr": listing.price_idr,
                 "url": f"{base}/listings/{listing.id}"} for _, listing in rows if listing.status == APPROVED]
    event_id = f"follow-digest:{day}"
    sent_today = session.scalar(select(Notification.id).where(
        Notification.event_id == event_id, Notification.recipient_id == user_id, Notification.kind == DIGEST_KIND))
    if sent_today is not None:
        return False  # today's digest went already: these wait for tomorrow's
    if listings:
        queue(session, settings, event_id=event_id, event_type="follow.digest", kind=DIGEST_KIND, recipient=user,
              context={"listings": listings, "following_url": f"{base}/toko-diikuti"}, now=now)
    session.execute(update(FollowUpdate).where(FollowUpdate.id.in_([i for i, _ in rows]))
                    .values(digested_at=now), execution_options={"synchronize_session": False})
    return True


def send_digests(factory: Callable[[], Session], settings: Settings, now: datetime, *,
                 failures: Any = None) -> int:
    """The scheduler's job: each follower with unmailed updates gets today's digest (from
    ``DIGEST_HOUR_WIB`` on), each in its own transaction; how many were queued now."""
    from marketplace.notifications.services import queue
    from marketplace.per_item import each_in_own_transaction

    if digest_day(now) is None:
        return 0
    with factory() as session:
        due = due_digest_users(session)
    return each_in_own_transaction(
        factory, due, lambda session, user_id: send_digest(session, settings, user_id, now=now, queue=queue),
        job="follow digest", failures=failures)
