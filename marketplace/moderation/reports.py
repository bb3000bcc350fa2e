"""Reports of public listings, and what admins do with them; bulk decisions from the queue.

A logged-in user reports a listing once (the unique constraint decides, so two quick clicks cannot
make two reports). An approved listing with open reports is in the moderation queue as "reported",
with the count and the reasons; the admin dismisses the reports (the listing stays) or takes the
listing down (it becomes ``rejected`` with a reason the seller sees, its reports resolved). Both are
audited. Bulk decisions take each item in its own savepoint: an item whose listing changed answers
409 for that item only, and the others are decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.audit.services import record_admin_action
from marketplace.db import utcnow
from marketplace.errors import Conflict, DomainError, NotFound
from marketplace.listings.models import Listing, ListingStatus
from marketplace.moderation import services
from marketplace.moderation.models import ListingReport, ModerationDecision

APPROVED = ListingStatus.APPROVED.value
REJECTED = ListingStatus.REJECTED.value
ALREADY_REPORTED = "You have already reported this listing."


def report(session: Session, user: User, listing_id: int, reason: str) -> ListingReport:
    """Report a public listing; 404 if it is not public, 409 ``already_reported`` the second time."""
    listing = session.get(Listing, listing_id)
    if listing is None or listing.status != APPROVED or listing.shop.suspended_at is not None:
        raise NotFound("Listing not found.")
    row = ListingReport(listing_id=listing_id, reporter_id=user.id, reason=reason, created_at=utcnow())
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict(ALREADY_REPORTED, code="already_reported") from None
    return row


@dataclass
class ReportedListing:
    listing: Listing
    reasons: list[str] = field(default_factory=list)

    @property
    def report_count(self) -> int:
        return len(self.reasons)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.listing, name)


def reported(session: Session) -> list[ReportedListing]:
    """Approved listings with open reports, the most reported first."""
    rows = session.execute(
        select(ListingReport.listing_id, ListingReport.reason)
        .join(Listing, Listing.id == ListingReport.listing_id)
        .where(ListingReport.resolved_at.is_(None), Listing.status == APPROVED)
        .order_by(ListingReport.created_at, ListingReport.id)
    ).all()
    reasons: dict[int, list[str]] = {}
    for listing_id, reason in rows:
        reasons.setdefault(listing_id, []).append(reason)
    if not reasons:
        return []
    listings = session.scalars(select(Listing).where(Listing.id.in_(reasons))
                               .options(selectinload(Listing.images), selectinload(Listing.shop))).all()
    found = [ReportedListing(listing, reasons[listing.id]) for listing in listings]
    return sorted(found, key=lambda r: (-r.report_count, r.listing.id))


def _resolve(session: Session, listing_id: int, resolution: str) -> int:
    result = session.execute(
        update(ListingReport).where(ListingReport.listing_id == listing_id, ListingReport.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolution=resolution),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def dismiss(session: Session, admin: User, listing_id: int) -> int:
    """The admin keeps the listing: its open reports are closed; 409 ``no_open_reports`` if there are none."""
    if session.get(Listing, listing_id) is None:
        raise NotFound("Listing not found.")
    count = _resolve(session, listing_id, "dismissed")
    if count == 0:
        raise Conflict("This listing has no open reports.", code="no_open_reports")
    record_admin_action(session, admin, "listing.reports_dismiss", "listing", listing_id,
                        {"open_reports": count}, {"open_reports": 0})
    return count


def take_down(session: Session, admin: User, listing_id: int, revision: int, reason: str) -> Listing:
    """A reported (approved) listing leaves the catalogue as ``rejected`` with ``reason``; its reports
    are resolved. The same conditional update as a decision: 409 when it changed since ``revision``."""
    now = utcnow()
    result = session.execute(
        update(Listing).where(Listing.id == listing_id, Listing.status == APPROVED, Listing.revision == revision)
        .values(status=REJECTED, rejection_reason=reason, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    listing = session.get(Listing, listing_id, populate_existing=True)
    if listing is None:
        raise NotFound("Listing not found.")
    if result.rowcount != 1:  # type: ignore[attr-defined]
        if listing.status != APPROVED:
            raise Conflict("Only a public listing can be taken down.", code="not_approved")
        raise Conflict(services.LISTING_CHANGED, code="listing_changed")
    count = _resolve(session, listing_id, "rejected")
    session.add(ModerationDecision(listing_id=listing.id, moderator_id=admin.id, decision=REJECTED, reason=reason,
                                   revision=revision, decided_at=now))
    record(session, "listing.rejected", key=listing.id, data={
        "listing_id": listing.id, "shop_id": listing.shop_id, "reason": reason})
    record_admin_action(session, admin, "listing.reject", "listing", listing.id,
                        {"status": APPROVED, "revision": revision, "open_reports": count},
                        {"status": REJECTED, "reason": reason, "open_reports": 0})
    return listing


@dataclass(frozen=True)
class BulkResult:
    listing_id: int
    status_code: int
    status: str | None = None
    code: str | None = None
    message: str | None = None


def _status_of(err: DomainError) -> int:
    if isinstance(err, Conflict):
        return 409
    return 404 if isinstance(err, NotFound) else 422


def bulk_decide(session: Session, admin: User, action: str, items: list[dict[str, int]],
                reason: str | None) -> list[BulkResult]:
    """Approve or reject each ``{listing_id, revision}``; each in a savepoint, so one refusal (a changed
    listing: 409 ``listing_changed``) is that item's result and the others go ahead."""
    results: list[BulkResult] = []
    for item in items:
        listing_id, revision = item["listing_id"], item["revision"]
        try:
            with session.begin_nested():
                if action == "approve":
                    listing = services.approve(session, admin, listing_id, revision)
                else:
                    listing = services.reject(session, admin, listing_id, revision, reason or "")
        except DomainError as err:
            results.append(BulkResult(listing_id, _status_of(err), None, err.code, err.message))
        else:
            results.append(BulkResult(listing_id, 200, listing.status))
    return results


