"""Review use cases: post (the order item's buyer, after delivery, within ``REVIEW_WINDOW_DAYS``), photos,
the shop's one reply, reports, an admin's hide; and what listing and shop pages show.

Nothing here keeps a running average: :func:`summary` and :func:`averages` compute average, count and
distribution from the visible rows in one query, so two reviews (or a review and a hide) committed at the
same moment can never leave a wrong figure behind. The "once" rules are the database's (unique keys and
conditional updates), not a read-then-write check that two requests could both pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.audit.services import record_admin_action
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.listings.models import Listing, ListingStatus
from marketplace.media import photos
from marketplace.media.images import ProcessedImage
from marketplace.media.storage import MediaStorage
from marketplace.orders.models import OrderItem, SellerOrderStatus
from marketplace.reviews.models import MAX_PHOTOS_PER_REVIEW, Review, ReviewPhoto, ReviewReport
from marketplace.shops.models import Shop

NOT_A_VERIFIED_BUYER = "Only the buyer of this item can review it."
NOT_DELIVERED = "You can review this item once its parcel has been delivered."
WINDOW_CLOSED = "The time to review this item has passed."
ALREADY_REVIEWED = "You have already reviewed this item."
ALREADY_REPLIED = "The shop has already replied to this review."
ALREADY_REPORTED = "You have already reported this review."
ALREADY_HIDDEN = "This review is already hidden."
TOO_MANY_PHOTOS = f"A review can have at most {MAX_PHOTOS_PER_REVIEW} photos."
REVIEW_NOT_FOUND = "Review not found."


def _item_of_buyer(session: Session, buyer: User, listing_id: int, order_item_id: int) -> OrderItem:
    """The order item, if ``buyer`` bought it as ``listing_id``; else 403 ``not_a_verified_buyer`` (the
    same answer whether the item does not exist or is someone else's: no hint of other orders)."""
    item = session.get(OrderItem, order_item_id)
    if (item is None or item.listing_id != listing_id or item.seller_order.order.buyer_id != buyer.id
            or item.seller_order.shop.owner_id == buyer.id):  # (a booth sale's buyer of record: its artisan)
        raise Forbidden(NOT_A_VERIFIED_BUYER, code="not_a_verified_buyer")
    return item


def review_opens(item: OrderItem, window_days: int) -> tuple[datetime, datetime] | None:
    """When the item may be reviewed (from delivery, for ``window_days``), or None before delivery."""
    part = item.seller_order
    if part.status != SellerOrderStatus.DELIVERED.value or part.delivered_at is None:
        return None
    return part.delivered_at, part.delivered_at + timedelta(days=window_days)


def post_review(session: Session, buyer: User, listing_id: int, values: dict[str, Any], *, now: datetime,
                window_days: int) -> Review:
    """The buyer's review of one order item: 403 ``not_a_verified_buyer``, 422 ``not_delivered`` /
    ``review_window_closed``, 409 ``already_reviewed`` (the unique key decides, even for two at once)."""
    if session.get(Listing, listing_id) is None:
        raise NotFound("Listing not found.")
    item = _item_of_buyer(session, buyer, listing_id, values["order_item_id"])
    window = review_opens(item, window_days)
    if window is None:
        raise ValidationFailed(NOT_DELIVERED, code="not_delivered", fields={"order_item_id": [NOT_DELIVERED]})
    if now > window[1]:
        raise ValidationFailed(WINDOW_CLOSED, code="review_window_closed", fields={"order_item_id": [WINDOW_CLOSED]})
    review = Review(order_item_id=item.id, listing_id=listing_id, shop_id=item.seller_order.shop_id,
                    buyer_id=buyer.id, rating=values["rating"], text=values.get("text") or "", created_at=now)
    try:
        with session.begin_nested():
            session.add(review)
    except IntegrityError:
        raise Conflict(ALREADY_REVIEWED, code="already_reviewed") from None
    record(session, "review.posted", key=listing_id, data={
        "review_id": review.id, "listing_id": listing_id, "shop_id": review.shop_id,
        "order_item_id": item.id, "rating": review.rating})
    return review


def _own_review(session: Session, buyer: User, review_id: int, *, for_update: bool = False) -> Review:
    stmt = select(Review).where(Review.id == review_id)
    review = session.scalar(stmt.with_for_update() if for_update else stmt)
    if review is None or review.buyer_id != buyer.id:
        raise NotFound(REVIEW_NOT_FOUND)
    return review


def check_room_for_photo(session: Session, buyer: User, review_id: int) -> None:
    """Before decoding an upload: the review is the caller's and has room (checked again under its lock)."""
    _check_room(session, _own_review(session, buyer, review_id))


def _check_room(session: Session, review: Review) -> None:
    count = session.scalar(select(func.count(ReviewPhoto.id)).where(ReviewPhoto.review_id == review.id)) or 0
    if count >= MAX_PHOTOS_PER_REVIEW:
        raise Conflict(TOO_MANY_PHOTOS, code="too_many_photos", fields={"file": [TOO_MANY_PHOTOS]})


def add_photo(session: Session, storage: MediaStorage, buyer: User, review_id: int,
              processed: ProcessedImage) -> ReviewPhoto:
    """Store a photo decoded by the bounded image pool; at most ``MAX_PHOTOS_PER_REVIEW`` (under the
    review's row lock, so two uploads at once cannot pass the cap)."""
    review = _own_review(session, buyer, review_id, for_update=True)
    _check_room(session, review)
    stored = photos.store(session, storage, f"reviews/{review.id}", processed)
    position = session.scalar(select(func.count(ReviewPhoto.id)).where(ReviewPhoto.review_id == review.id)) or 0
    photo = ReviewPhoto(review_id=review.id, position=position, key=stored.key, thumb_key=stored.thumb_key,
                        content_type=processed.full.content_type, width=processed.full.width,
                        height=processed.full.height)
    session.add(photo)
    return photo


def reply(session: Session, artisan: User, review_id: int, text: str, *, now: datetime) -> Review:
    """The shop's one reply: 404 for a review of another shop, 409 ``already_replied`` the second time
    (a conditional update: two replies at once cannot both land)."""
    review = session.get(Review, review_id)
    shop = session.get(Shop, review.shop_id) if review is not None else None
    if review is None or shop is None or shop.owner_id != artisan.id:
        raise NotFound(REVIEW_NOT_FOUND)
    result = session.execute(
        update(Review).where(Review.id == review_id, Review.reply_text.is_(None))
        .values(reply_text=text, replied_at=now), execution_options={"synchronize_session": False})
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(ALREADY_REPLIED, code="already_replied")
    session.refresh(review)
    record(session, "review.replied", key=review.listing_id, data={
        "review_id": review.id, "listing_id": review.listing_id, "shop_id": review.shop_id})
    return review


def _visible(session: Session, review_id: int) -> Review:
    review = session.get(Review, review_id)
    if review is None or review.hidden_at is not None:
        raise NotFound(REVIEW_NOT_FOUND)
    return review


def report(session: Session, user: User, review_id: int, reason: str, *, now: datetime) -> ReviewReport:
    """A logged-in user's report (once per user and review): it goes to the admins' review queue."""
    _visible(session, review_id)
    row = ReviewReport(review_id=review_id, reporter_id=user.id, reason=reason, created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict(ALREADY_REPORTED, code="already_reported") from None
    return row


def hide(session: Session, admin: User, review_id: int, reason: str, *, now: datetime) -> Review:
    """An admin hides a review with a reason: kept (the buyer's words stay in the database, out of the
    figures and pages), its open reports resolved, the decision in the audit log; 409 if already hidden."""
    review = session.get(Review, review_id)
    if review is None:
        raise NotFound(REVIEW_NOT_FOUND)
    result = session.execute(
        update(Review).where(Review.id == review_id, Review.hidden_at.is_(None))
        .values(hidden_at=now, hidden_reason=reason, hidden_by_id=admin.id),
        execution_options={"synchronize_session": False})
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(ALREADY_HIDDEN, code="already_hidden")
    session.refresh(review)
    session.execute(update(ReviewReport).where(ReviewReport.review_id == review_id,
                                               ReviewReport.resolved_at.is_(None)).values(resolved_at=now),
                    execution_options={"synchronize_session": False})
    record_admin_action(session, admin, "review.hide", "review", review.id, {"hidden": False},
                        {"hidden": True, "reason": reason})
    record(session, "review.hidden", key=review.listing_id, data={
        "review_id": review.id, "listing_id": review.listing_id, "shop_id": review.shop_id, "reason": reason})
    return review


def dismiss_reports(session: Session, admin: User, review_id: int, *, now: datetime) -> int:
    """The admin keeps the review: its open reports close (audited); 409 ``no_open_reports`` if none."""
    if session.get(Review, review_id) is None:
        raise NotFound(REVIEW_NOT_FOUND)
    result = session.execute(update(ReviewReport).where(ReviewReport.review_id == review_id,
                                                        ReviewReport.resolved_at.is_(None)).values(resolved_at=now),
                             execution_options={"synchronize_session": False})
    count = int(result.rowcount)  # type: ignore[attr-defined]
    if count == 0:
        raise Conflict("This review has no open reports.", code="no_open_reports")
    record_admin_action(session, admin, "review.reports_dismiss", "review", review_id,
                        {"open_reports": count}, {"open_reports": 0})
    return count


# --- what pages and the API show -------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    average: float | None
    count: int
    distribution: dict[int, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"average": self.average, "count": self.count}


def summary(session: Session, *, listing_id: int | None = None, shop_id: int | None = None) -> Summary:
    """Average (two decimals), count and the count per star of the visible reviews of a listing or a shop,
    from the rows in one statement."""
    where = Review.listing_id == listing_id if listing_id is not None else Review.shop_id == shop_id
    rows = session.execute(select(Review.rating, func.count()).where(where, Review.hidden_at.is_(None))
                           .group_by(Review.rating)).all()
    distribution = {stars: 0 for stars in range(5, 0, -1)}
    for rating, n in rows:
        distribution[int(rating)] = int(n)
    count = sum(distribution.values())
    average = round(sum(s * n for s, n in distribution.items()) / count, 2) if count else None
    return Summary(average, count, distribution)


def averages(session: Session, listing_ids: Iterable[int]) -> dict[int, Summary]:
    """Average and count per listing (cards): only listings with visible reviews are in the answer."""
    ids = list(listing_ids)
    if not ids:
        return {}
    rows = session.execute(select(Review.listing_id, func.avg(Review.rating), func.count())
                           .where(Review.listing_id.in_(ids), Review.hidden_at.is_(None))
                           .group_by(Review.listing_id)).all()
    return {lid: Summary(round(float(avg), 2), int(n)) for lid, avg, n in rows}


def page(session: Session, *, listing_id: int | None = None, shop_id: int | None = None, page_no: int = 1,
         per_page: int = 10) -> tuple[list[Review], int]:
    """One page of visible reviews, newest first, with their photos and buyers; and the total."""
    where = [Review.hidden_at.is_(None),
             Review.listing_id == listing_id if listing_id is not None else Review.shop_id == shop_id]
    total = session.scalar(select(func.count(Review.id)).where(*where)) or 0
    items = list(session.scalars(select(Review).where(*where).order_by(Review.created_at.desc(), Review.id.desc())
                                 .options(selectinload(Review.photos), selectinload(Review.buyer))
                                 .limit(per_page).offset((page_no - 1) * per_page)))
    return items, total


def public_listing(session: Session, listing_id: int) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None or listing.status != ListingStatus.APPROVED.value or listing.shop.suspended_at is not None:
        raise NotFound("Listing not found.")
    return listing


def public_shop(session: Session, shop_id: int) -> Shop:
    shop = session.get(Shop, shop_id)
    if shop is None or shop.suspended_at is not None:
        raise NotFound("Shop not found.")
    return shop


def reported(session: Session) -> list[tuple[Review, list[str]]]:
    """Visible reviews with open reports, the most reported first, with the reasons (the admins' queue)."""
    rows = session.execute(select(ReviewReport.review_id, ReviewReport.reason)
                           .join(Review, Review.id == ReviewReport.review_id)
                           .where(ReviewReport.resolved_at.is_(None), Review.hidden_at.is_(None))
                           .order_by(ReviewReport.created_at, ReviewReport.id)).all()
    reasons: dict[int, list[str]] = {}
    for review_id, reason in rows:
        reasons.setdefault(review_id, []).append(reason)
    if not reasons:
        return []
    reviews = session.scalars(select(Review).where(Review.id.in_(reasons))
                              .options(selectinload(Review.photos), selectinload(Review.buyer))).all()
    return sorted(((r, reasons[r.id]) for r in reviews), key=lambda p: (-len(p[1]), p[0].id))


def reviews_of_items(session: Session, item_ids: Iterable[int]) -> dict[int, Review]:
    """The caller's order page: each item's review, if it has one."""
    ids = list(item_ids)
    if not ids:
        return {}
    return {r.order_item_id: r for r in session.scalars(select(Review).where(Review.order_item_id.in_(ids)))}


def display_name(user: User | None) -> str:
    """How a reviewer is shown: first name and the initial of the last (``Siti A.``), never the e-mail."""
    words = (getattr(user, "name", "") or "").split()
    if not words or not getattr(user, "is_active", True):  # a closed account's reviews stay, under no name
        return "Pembeli"
    return words[0] if len(words) == 1 else f"{words[0]} {words[-1][0]}."
