"""Moderation use cases: the review queue, approve, reject, and the kept history of decisions.

A decision names the listing's ``revision`` the moderator saw (the queue and its page carry it) and is
one conditional update, ``... WHERE status = 'pending_review' AND revision = :seen``, issued as the
transaction's first statement. So:

- two admins deciding the same listing at once cannot both win: the second gets 409 ``not_pending``,
  and exactly one ``ModerationDecision`` and one event are written;
- an edit committed after the moderator read the listing (a new title, a price of Rp 999.000.000)
  makes the update match nothing: 409 ``listing_changed``, nothing published. Edits hold the
  listing's row lock, so on PostgreSQL an update that meets an edit in flight waits for it and then
  re-checks the row as committed (READ COMMITTED re-evaluates the WHERE on the new version); on
  SQLite writers are serial. Either the decision is taken on the revision shown or not at all.

The revision decided on is kept with the decision, so the history says which version was approved.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.audit.services import record_admin_action
from marketplace.db import utcnow
from marketplace.errors import Conflict, NotFound
from marketplace.listings.models import Listing, ListingStatus
from marketplace.moderation.models import ModerationDecision

PENDING = ListingStatus.PENDING_REVIEW.value
APPROVED = ListingStatus.APPROVED.value
REJECTED = ListingStatus.REJECTED.value
LISTING_CHANGED = (
    "This listing changed since you opened it. Nothing was decided: its new content is shown below, review it again."
)


def queue(session: Session) -> list[Listing]:
    """Listings waiting for review, the longest-waiting first."""
    stmt = (
        select(Listing)
        .where(Listing.status == PENDING)
        .options(selectinload(Listing.images), selectinload(Listing.shop), selectinload(Listing.variants))
        .order_by(Listing.submitted_at.asc(), Listing.id.asc())
    )
    return list(session.scalars(stmt))


def _decide(
    session: Session, moderator: User, listing_id: int, revision: int, decision: str, reason: str | None
) -> Listing:
    now = utcnow()
    values: dict[str, Any] = {"status": decision, "updated_at": now, "rejection_reason": reason}
    if decision == APPROVED:
        values["approved_at"] = now
    result = session.execute(
        update(Listing)
        .where(Listing.id == listing_id, Listing.status == PENDING, Listing.revision == revision)
        .values(**values),
        execution_options={"synchronize_session": False},
    )
    listing = session.get(Listing, listing_id, populate_existing=True)
    if listing is None:
        raise NotFound("Listing not found.")
    if result.rowcount != 1:  # type: ignore[attr-defined]
        if listing.status != PENDING:
            raise Conflict("Only listings waiting for review can be decided.", code="not_pending")
        raise Conflict(LISTING_CHANGED, code="listing_changed")
    session.add(ModerationDecision(
        listing_id=listing.id, moderator_id=moderator.id, decision=decision, reason=reason,
        revision=revision, decided_at=now,
    ))
    record_admin_action(session, moderator, "listing.approve" if decision == APPROVED else "listing.reject",
                        "listing", listing.id, {"status": PENDING, "revision": revision},
                        {"status": decision, "revision": revision, "reason": reason})
    return listing


def approve(session: Session, moderator: User, listing_id: int, revision: int) -> Listing:
    """Make a pending listing public (``listing.approved``) as it was at ``revision``.

    409 ``not_pending`` if it is not pending, 409 ``listing_changed`` if it was edited since ``revision``.
    """
    listing = _decide(session, moderator, listing_id, revision, APPROVED, None)
    shop = listing.shop
    record(session, "listing.approved", key=listing.id, data={
        "listing_id": listing.id, "shop_id": listing.shop_id, "title": listing.title,
        "price_idr": listing.price_idr, "category": listing.category, "city": shop.city,
        "kelurahan": shop.kelurahan, "path": f"/listings/{listing.id}",
    })
    return listing


def reject(session: Session, moderator: User, listing_id: int, revision: int, reason: str) -> Listing:
    """Refuse a pending listing, as it was at ``revision``, with a reason the seller will see
    (``listing.rejected``); the same 409s as :func:`approve`.

    ``reason`` is a loaded :class:`~marketplace.moderation.schemas.RejectIn` reason (trimmed, of a valid length).
    """
    listing = _decide(session, moderator, listing_id, revision, REJECTED, reason)
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
