"""Dispute use cases (ARCHITECTURE.md §4): the buyer opens one (with photos), the shop's artisan answers
or refunds (full or part), an admin decides what stays open (refund or reject, with a note, audited);
and what the pages and the API read. Services take the session and never commit (§8).

**When.** Within ``DISPUTE_WINDOW_DAYS`` of delivery, or, for a parcel shipped but not delivered,
from ``NOT_RECEIVED_DAYS`` after shipping (then only as ``not_received``); else 422
``dispute_window_closed`` (too late) or ``dispute_too_early``. One per seller order: 409
``dispute_open`` (the unique key decides, even for two at once).

**Money.** A refund goes through the payments' refund path (``payments.refunds.open_refund``: a
pending refund and ``order.refund_requested``; the payments worker sends it, the gateway's webhook
confirms it and writes the ledger). The seller order's payout is held meanwhile
(``marketplace.disputes.holds``); a dispute rejected releases it at once when it is due, a refunded one
once the refund is confirmed (the scheduler; netted by the refund, cancelled after a full one).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from events.outbox import record
from marketplace.accounts.models import Role, User
from marketplace.audit.services import record_admin_action
from marketplace.disputes.models import (
    MAX_PHOTOS_PER_DISPUTE,
    Dispute,
    DisputeOutcome,
    DisputePhoto,
    DisputeReason,
    DisputeStatus,
)
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.media import photos
from marketplace.media.images import ProcessedImage
from marketplace.media.storage import MediaStorage
from marketplace.orders import services as orders
from marketplace.orders.models import SellerOrder, SellerOrderStatus
from marketplace.payments import refunds
from marketplace.payouts import release
from marketplace.payouts.models import Payout
from marketplace.shops.models import Shop

NOT_THE_BUYER = "Only the buyer of this order can open a dispute about it."
NOT_FOUND = "Dispute not found."
WINDOW_CLOSED = "The time to open a dispute about this order has passed."
TOO_EARLY = "It is too early for a dispute: wait until the parcel arrives, or until it is late."
ONLY_NOT_RECEIVED = "Before the parcel has arrived, a dispute can only say it was not received."
ALREADY_OPEN = "This order already has a dispute."
NOT_OPEN = "This dispute is already closed."
ALREADY_ESCALATED = "An admin has already been asked to decide this dispute."
ALREADY_RESPONDED = "The shop has already answered this dispute."
TOO_MANY_PHOTOS = f"A dispute can have at most {MAX_PHOTOS_PER_DISPUTE} photos."
S, O = DisputeStatus, DisputeOutcome


# --- when a dispute may be opened ------------------------------------------------------------------


def window(part: SellerOrder, *, window_days: int, not_received_days: int) -> tuple[datetime, datetime] | None:
    """From when until when ``part``'s buyer may open a dispute (None: not shipped, or cancelled)."""
    if part.status == SellerOrderStatus.DELIVERED.value and part.delivered_at is not None:
        return part.delivered_at, part.delivered_at + timedelta(days=window_days)
    if part.status == SellerOrderStatus.SHIPPED.value and part.shipped_at is not None:
        opens = part.shipped_at + timedelta(days=not_received_days)
        return opens, datetime.max.replace(tzinfo=opens.tzinfo)  # until it is delivered
    return None


def may_open(part: SellerOrder, now: datetime, **days: int) -> bool:
    span = window(part, **days)
    return span is not None and span[0] <= now <= span[1]


def open_dispute(session: Session, buyer: User, seller_order_id: int, values: dict[str, Any], *, now: datetime,
                 window_days: int, not_received_days: int) -> Dispute:
    """The buyer's dispute (see the module doc): 403 ``not_the_buyer`` (the same for an unknown seller
    order), 422 ``dispute_window_closed`` / ``dispute_too_early``, 409 ``dispute_open``."""
    part = session.get(SellerOrder, seller_order_id)
    if part is None or part.order.buyer_id != buyer.id:
        raise Forbidden(NOT_THE_BUYER, code="not_the_buyer")
    orders.lock_order(session, part.order_id)  # a refund or a delivery of this order waits, or went first
    session.refresh(part)
    if session.scalar(select(Dispute.id).where(Dispute.seller_order_id == part.id)) is not None:
        raise Conflict(ALREADY_OPEN, code="dispute_open")
    span = window(part, window_days=window_days, not_received_days=not_received_days)
    if span is None or now < span[0]:
        raise ValidationFailed(TOO_EARLY, code="dispute_too_early", fields={"reason": [TOO_EARLY]})
    if now > span[1]:
        raise ValidationFailed(WINDOW_CLOSED, code="dispute_window_closed", fields={"reason": [WINDOW_CLOSED]})
    if part.status != SellerOrderStatus.DELIVERED.value and values["reason"] != DisputeReason.NOT_RECEIVED.value:
        raise ValidationFailed(ONLY_NOT_RECEIVED, code="not_received_only", fields={"reason": [ONLY_NOT_RECEIVED]})
    dispute = Dispute(seller_order_id=part.id, order_id=part.order_id, shop_id=part.shop_id, buyer_id=buyer.id,
                      reason=values["reason"], text=values["text"], status=S.OPEN.value, opened_at=now)
    try:
        with session.begin_nested():
            session.add(dispute)
    except IntegrityError:
        raise Conflict(ALREADY_OPEN, code="dispute_open") from None
    record(session, "dispute.opened", key=part.order_id, data={
        "dispute_id": dispute.id, "order_id": part.order_id, "seller_order_id": part.id, "shop_id": part.shop_id,
        "reason": dispute.reason})
    return dispute


# --- who may read and act ---------------------------------------------------------------------------


def _is_artisan_of(session: Session, user: User, shop_id: int) -> bool:
    return user.role == Role.ARTISAN.value and session.scalar(
        select(Shop.id).where(Shop.id == shop_id, Shop.owner_id == user.id)) is not None


def visible_to(session: Session, user: User, dispute_id: int) -> Dispute:
    """The dispute for its buyer, the shop's artisan or an admin; 404 for anyone else."""
    dispute = session.get(Dispute, dispute_id)
    if dispute is None or not (dispute.buyer_id == user.id or user.role == Role.ADMIN.value
                               or _is_artisan_of(session, user, dispute.shop_id)):
        raise NotFound(NOT_FOUND)
    return dispute


def _locked(session: Session, dispute_id: int) -> Dispute:
    """The dispute with its order locked first (the refund path's lock order), then the dispute."""
    found = session.get(Dispute, dispute_id)
    if found is None:
        raise NotFound(NOT_FOUND)
    orders.lock_order(session, found.order_id)
    dispute = session.scalar(select(Dispute).where(Dispute.id == dispute_id).with_for_update()
                             .execution_options(populate_existing=True))
    assert dispute is not None
    return dispute


def _shops_dispute(session: Session, artisan: User, dispute_id: int) -> Dispute:
    found = session.get(Dispute, dispute_id)
    if found is None or not _is_artisan_of(session, artisan, found.shop_id):
        raise NotFound(NOT_FOUND)
    dispute = _locked(session, dispute_id)
    if dispute.status != S.OPEN.value:
        raise Conflict(NOT_OPEN, code="dispute_closed")
    return dispute


# --- photos -----------------------------------------------------------------------------------------


def _own_open(session: Session, buyer: User, dispute_id: int, *, for_update: bool = False) -> Dispute:
    stmt = select(Dispute).where(Dispute.id == dispute_id)
    dispute = session.scalar(stmt.with_for_update() if for_update else stmt)
    if dispute is None or dispute.buyer_id != buyer.id:
        raise NotFound(NOT_FOUND)
    if dispute.status != S.OPEN.value:
        raise Conflict(NOT_OPEN, code="dispute_closed")
    return dispute


def _check_room(session: Session, dispute: Dispute) -> int:
    count = session.scalar(select(func.count(DisputePhoto.id)).where(DisputePhoto.dispute_id == dispute.id)) or 0
    if count >= MAX_PHOTOS_PER_DISPUTE:
        raise Conflict(TOO_MANY_PHOTOS, code="too_many_photos", fields={"file": [TOO_MANY_PHOTOS]})
    return count


def check_room_for_photo(session: Session, buyer: User, dispute_id: int) -> None:
    """Before decoding an upload: the open dispute is the caller's and has room (checked again under lock)."""
    _check_room(session, _own_open(session, buyer, dispute_id))


def add_photo(session: Session, storage: MediaStorage, buyer: User, dispute_id: int,
              processed: ProcessedImage) -> DisputePhoto:
    """A photo decoded by the bounded image pool, stored; at most ``MAX_PHOTOS_PER_DISPUTE``."""
    dispute = _own_open(session, buyer, dispute_id, for_update=True)
    position = _check_room(session, dispute)
    stored = photos.store(session, storage, f"disputes/{dispute.id}", processed)
    photo = DisputePhoto(dispute_id=dispute.id, position=position, key=stored.key, thumb_key=stored.thumb_key,
                         content_type=processed.full.content_type, width=processed.full.width,
                         height=processed.full.height)
    session.add(photo)
    return photo


# --- the artisan ------------------------------------------------------------------------------------


def respond(session: Session, artisan: User, dispute_id: int, text: str, *, now: datetime) -> Dispute:
    """The shop's answer (once: 409 ``already_responded``); the dispute stays open for an admin to decide."""
    dispute = _shops_dispute(session, artisan, dispute_id)
    if dispute.response_text is not None:
        raise Conflict(ALREADY_RESPONDED, code="already_responded")
    dispute.response_text, dispute.responded_at = text, now
    return dispute


def refund_by_artisan(session: Session, artisan: User, dispute_id: int, amount_idr: int, *, now: datetime) -> Dispute:
    """The artisan gives back ``amount_idr`` (all or part of what the buyer paid for the seller order):
    the dispute is resolved with that refund (409 ``refund_exceeds_payment`` beyond it)."""
    dispute = _shops_dispute(session, artisan, dispute_id)
    return _resolve_with_refund(session, dispute, artisan, amount_idr, note="", now=now)


def _resolve_with_refund(session: Session, dispute: Dispute, actor: User, amount_idr: int | None, *, note: str,
                         now: datetime) -> Dispute:
    order = orders.lock_order(session, dispute.order_id)
    part = next(so for so in order.seller_orders if so.id == dispute.seller_order_id)
    amount = part.buyer_paid_idr if amount_idr is None else amount_idr
    refund = refunds.open_refund(session, order, part, reason=f"Dispute #{dispute.id}: {dispute.reason}",
                                 requested_by=actor.id, now=now, amount_idr=amount)
    dispute.refund_id, dispute.refund_amount_idr = refund.id, refund.amount_idr
    return _close(session, dispute, actor, O.REFUND.value, note, now)


def _close(session: Session, dispute: Dispute, actor: User, outcome: str, note: str, now: datetime) -> Dispute:
    dispute.status, dispute.outcome, dispute.resolution_note = S.RESOLVED.value, outcome, note or None
    dispute.resolved_by_id, dispute.resolved_at = actor.id, now
    session.flush()
    record(session, "dispute.resolved", key=dispute.order_id, data={
        "dispute_id": dispute.id, "order_id": dispute.order_id, "seller_order_id": dispute.seller_order_id,
        "shop_id": dispute.shop_id, "outcome": outcome, "refund_id": dispute.refund_id,
        "amount_idr": dispute.refund_amount_idr or 0,
        "resolved_by": "admin" if actor.role == Role.ADMIN.value else "artisan"})
    if outcome == O.REJECT.value:  # nothing comes back: the held payout goes now if it is due
        payout_id = session.scalar(select(Payout.id).where(Payout.seller_order_id == dispute.seller_order_id))
        if payout_id is not None:
            release.release_payout(session, payout_id, now=now)
    return dispute


# --- the admin --------------------------------------------------------------------------------------


def resolve(session: Session, admin: User, dispute_id: int, values: dict[str, Any], *, now: datetime) -> Dispute:
    """An admin's decision: ``refund`` (``amount_idr``, or all the buyer paid for the seller order) or
    ``reject``, with a note; audit-logged; 409 ``dispute_closed`` when already decided."""
    dispute = _locked(session, dispute_id)
    if dispute.status != S.OPEN.value:
        raise Conflict(NOT_OPEN, code="dispute_closed")
    before = {"status": dispute.status}
    if values["outcome"] == O.REFUND.value:
        _resolve_with_refund(session, dispute, admin, values.get("amount_idr"), note=values["note"], now=now)
    else:
        _close(session, dispute, admin, O.REJECT.value, values["note"], now)
    record_admin_action(session, admin, "dispute.resolve", "dispute", dispute.id, before, {
        "status": dispute.status, "outcome": dispute.outcome, "refund_id": dispute.refund_id,
        "amount_idr": dispute.refund_amount_idr, "note": values["note"]})
    return dispute


def escalate(session: Session, user: User, dispute_id: int, *, now: datetime) -> Dispute:
    """The buyer or the shop's artisan asks an admin to decide now (404 for anyone else; 409
    ``dispute_closed`` / ``already_escalated``)."""
    found = session.get(Dispute, dispute_id)
    if found is None or not (found.buyer_id == user.id or _is_artisan_of(session, user, found.shop_id)):
        raise NotFound(NOT_FOUND)
    dispute = _locked(session, dispute_id)
    if dispute.status != S.OPEN.value:
        raise Conflict(NOT_OPEN, code="dispute_closed")
    if dispute.escalated_at is not None:
        raise Conflict(ALREADY_ESCALATED, code="already_escalated")
    dispute.escalated_at = now
    return dispute


def is_escalated(dispute: Dispute, now: datetime, response_days: int) -> bool:
    """Open, and either party asked an admin to decide, or the shop left it unanswered
    ``response_days`` after it was opened: the admins decide it."""
    return dispute.status == S.OPEN.value and (dispute.escalated_at is not None or (
        dispute.response_text is None and now >= dispute.opened_at + timedelta(days=response_days)))


def queue(session: Session, status: str | None, *, now: datetime, response_days: int) -> list[Dispute]:
    """The admins' queue, oldest first: ``open``, ``resolved``, ``escalated`` (open, and escalated by a
    party or unanswered past ``DISPUTE_RESPONSE_DAYS``) or every dispute (None)."""
    stmt = select(Dispute).options(selectinload(Dispute.photos)).order_by(Dispute.opened_at, Dispute.id)
    if status == "escalated":
        overdue = Dispute.response_text.is_(None) & (Dispute.opened_at <= now - timedelta(days=response_days))
        stmt = stmt.where(Dispute.status == S.OPEN.value, Dispute.escalated_at.is_not(None) | overdue)
    elif status is not None:
        stmt = stmt.where(Dispute.status == status)
    return list(session.scalars(stmt.limit(200)))


def of_shop(session: Session, artisan: User) -> list[Dispute]:
    """The artisan's disputes, open ones first, newest first."""
    stmt = (select(Dispute).join(Shop, Shop.id == Dispute.shop_id).where(Shop.owner_id == artisan.id)
            .order_by((Dispute.status == S.OPEN.value).desc(), Dispute.opened_at.desc()).limit(200))
    return list(session.scalars(stmt))


def of_seller_orders(session: Session, seller_order_ids: list[int]) -> dict[int, Dispute]:
    """The order page: each seller order's dispute, if it has one."""
    if not seller_order_ids:
        return {}
    return {d.seller_order_id: d for d in session.scalars(
        select(Dispute).where(Dispute.seller_order_id.in_(seller_order_ids)))}


def has_open(session: Session, user: User) -> bool:
    """A dispute of the user's (as buyer, or of their shop) is still open: their account stays open."""
    shop_ids = select(Shop.id).where(Shop.owner_id == user.id)
    return session.scalar(select(Dispute.id).where(
        Dispute.status == S.OPEN.value, (Dispute.buyer_id == user.id) | Dispute.shop_id.in_(shop_ids)).limit(1)) is not None
