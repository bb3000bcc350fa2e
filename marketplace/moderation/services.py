"""Moderation use cases: the review queue, approve, reject, and the kept history of decisions.

A decision is a conditional update (``... WHERE status = 'pending_review'``) issued as the transaction's
first statement, so two admins deciding the same listing at once cannot both win: the second one gets
409, and exactly one ``ModerationDecision`` and one event are written.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.errors import Conflict, NotFound
from marketplace.listings.models import Listing, ListingStatus
from marketplace.moderation.models import ModerationDecision

PENDING = ListingStatus.PENDING_REVIEW.value
APPROVED = ListingStatus.APPROVED.value
REJECTED = ListingStatus.REJECTED.value


def queue(session: Session) -> list[Listing]:
    """Listings waiting for review, the longest-waiting first."""
    stmt = (
        select(Listing)
        .where(Listing.status == PENDING)
        .options(selectinload(Listing.images), selectinload(Listing.shop))
        .order_by(Listing.submitted_at.asc(), Listing.id.asc())
    )
    return list(session.scalars(stmt))


def _decide(session: Session, moderator: User, listing_id: int, decision: str, reason: str | None) -> Listing:
    now = utcnow()
    values: dict[str, Any] = {"status": decision, "updated_at": now, "rejection_reason": reason}
    if decision == APPROVED:
        values["approved_at"] = now
    result = session.execute(
        update(Listing).where(Listing.id == listing_id, Listing.status == PENDING).values(**values),
        execution_options={"synchronize_session": False},
    )
    listing = session.get(Listing, listing_id, populate_existing=True)
    if listing is None:
        raise NotFound("Listing not found.")
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("Only listings waiting for review can be decided.", code="not_pending")
    session.add(ModerationDecision(
        listing_id=listing.id, moderator_id=moderator.id, decision=decision, reason=reason, decided_at=now,
    ))
    return listing


def approve(session: Session, moderator: User, listing_id: int) -> Listing:
    """Make a pending listing public (``listing.approved``); 409 if it is not pending."""
    listing = _decide(session, moderator, listing_id, APPROVED, None)
    shop = listing.shop
    record(session, "listing.approved", key=listing.id, data={
        "listing_id": listing.id, "shop_id": listing.shop_id, "title": listing.title,
        "price_idr": listing.price_idr, "category": listing.category, "city": shop.city,
        "kelurahan": shop.kelurahan, "path": f"/listings/{listing.id}",
    })
    return listing


def reject(session: Session, moderator: User, listing_id: int, reason: str) -> Listing:
    """Refuse a pending listing with a reason the seller will see (``listing.rejected``).

    ``reason`` is a loaded :class:`~marketplace.moderation.schemas.RejectIn` reason (trimmed, of a valid length).
    """
    listing = _decide(session, moderator, listing_id, REJECTED, reason)
    record(session, "listing.rejected", key=listing.id, data={
        "listing_id": listing.id, "shop_id": listing.shop_id, "reason": reason,
    })
    return listing


def history(session: Session, listing_id: int) -> tuple[Listing, list[ModerationDecision]]:
    """Every decision on a listing, oldest first, with the moderator."""
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise NotFound("Listing not found.")
    decisions = session.scalars(
        select(ModerationDecision)
        .where(ModerationDecision.listing_id == listing_id)
        .options(selectinload(ModerationDecision.moderator))
        .order_by(ModerationDecision.decided_at.asc(), ModerationDecision.id.asc())
    )
    return listing, list(decisions)
