"""Scheduling and releasing payouts: when a delivered seller order's money becomes a payout, how much
goes out, and asking the payouts worker (again) to send it. Every use case takes the session and never
commits (ARCHITECTURE.md §8); :func:`release_due_payouts` is the scheduler's job over them.

**The batching rule: one payout per delivered seller order**, with netting. ``order.delivered``
schedules the seller order's payout, due ``PAYOUT_HOLD_HOURS`` later (:func:`schedule_payout`). When it
is due it is *released* (:func:`release_payout`, the scheduler; at once when the hold is 0): with the
order and the shop locked, its amount is fixed as the seller order's payable now (its sale less its
refunds) plus the shop's debt, if any — the negative part of (shop balance − the payable of the shop's
seller orders not paid out yet), which is what refunds after earlier payouts left behind. An amount of
zero or less is not sent: the payout is ``cancelled`` (refunded before payout, or absorbed by the debt,
which then stays for the next payout). A payout a dispute holds (``marketplace.disputes.holds``) stays
``scheduled`` until the dispute closes and its refund, if any, is confirmed. A positive amount moves to ``payouts_in_transit`` in the ledger
and ``payout.released`` asks the payouts worker to send it (``marketplace.payouts.transfers``).

A released payout nobody answered for (worker down, event dead-lettered) is sent again after
:data:`RELEASE_LEASE`, with the same key (:func:`resend`); an admin's retry of a failed payout releases
it again as a new transfer (:func:`retry_payout`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.audit.services import record_admin_action
from marketplace.disputes.holds import is_held
from marketplace.errors import Conflict, NotFound
from marketplace.ledger import services as ledger
from marketplace.orders.models import SellerOrder, SellerOrderStatus
from marketplace.orders.services import lock_order
from marketplace.payouts.models import Payout, PayoutStatus
from marketplace.payouts.queries import (
    OUTSTANDING,
    account_of,
    due_releases,
    due_resends,
    lock_payout,
    seller_id_of,
)
from marketplace.per_item import each_in_own_transaction
from marketplace.shops.models import Shop

log = logging.getLogger(__name__)

S = PayoutStatus
#: How long a released payout may go unanswered before it is sent again (same key: never paid twice).
RELEASE_LEASE = timedelta(minutes=10)


def schedule_payout(session: Session, seller_order_id: int, *, hold_hours: int, now: datetime) -> Payout | None:
    """The delivered seller order's payout (``payout.scheduled``), once; released now if the hold is 0."""
    part = session.get(SellerOrder, seller_order_id)
    if part is None:
        raise LookupError(f"seller order {seller_order_id} does not exist")
    lock_order(session, part.order_id)
    existing = session.scalar(select(Payout).where(Payout.seller_order_id == seller_order_id))
    if existing is not None:
        return existing
    if part.status != SellerOrderStatus.DELIVERED.value or not ledger.has_sale(session, part.id):
        log.warning("seller order %s is not a delivered, paid one: no payout", seller_order_id)
        return None
    net = ledger.payable_by_seller_order(session, part.shop_id, [part.id]).get(part.id, 0)
    commission = ledger.commission_by_seller_order(session, [part.id]).get(part.id, 0)
    payout = Payout(shop_id=part.shop_id, seller_order_id=part.id, order_id=part.order_id,
                    status=S.SCHEDULED.value, amount_idr=max(net, 0), commission_idr=max(commission, 0),
                    due_at=now + timedelta(hours=hold_hours), created_at=now, updated_at=now)
    session.add(payout)
    session.flush()
    record(session, "payout.scheduled", key=seller_id_of(payout), data={
        "payout_id": payout.id, "seller_order_id": part.id, "shop_id": part.shop_id,
        "seller_id": seller_id_of(payout), "amount_idr": payout.amount_idr, "commission_idr": payout.commission_idr,
        "due_at": payout.due_at.isoformat(), "order_id": part.order_id,
    })
    if payout.due_at <= now:
        release_payout(session, payout.id, now=now)
    return payout


def amount_to_send(session: Session, payout: Payout) -> tuple[int, int]:
    """``(amount, payable)``: what releasing ``payout`` sends (its seller order's payable netted
    against the shop's debt; see the module doc) and that payable alone."""
    shop_id = payout.shop_id
    paid_parts = set(session.scalars(
        select(ledger.LedgerEntry.seller_order_id).distinct()
        .where(ledger.LedgerEntry.account == ledger.seller_payable(shop_id),
               ledger.LedgerEntry.seller_order_id.is_not(None))))
    settled = set(session.scalars(select(Payout.seller_order_id).where(
        Payout.shop_id == shop_id, Payout.status.not_in(OUTSTANDING))))
    outstanding = sorted((paid_parts - settled) | {payout.seller_order_id})
    payable = ledger.payable_by_seller_order(session, shop_id, outstanding)
    debt = min(0, ledger.balance(session, ledger.seller_payable(shop_id)) - sum(payable.values()))
    own = payable.get(payout.seller_order_id, 0)
    return own + debt, own


def release_payout(session: Session, payout_id: int, *, now: datetime) -> str:
    """Release one due payout (see the module doc); returns its status afterwards."""
    found = session.get(Payout, payout_id)
    if found is None:
        raise NotFound("Payout not found.")
    lock_order(session, found.order_id)  # refunds of this order wait, or went first
    session.execute(select(Shop.id).where(Shop.id == found.shop_id).with_for_update())  # one release per shop
    payout = lock_payout(session, payout_id)
    assert payout is not None
    if payout.status not in (S.SCHEDULED.value, S.AWAITING_ACCOUNT.value) or payout.due_at > now:
        return payout.status
    if is_held(session, payout.seller_order_id):
        return payout.status  # a dispute holds it: it goes once the dispute closes (marketplace.disputes)
    account = account_of(session, payout.shop_id)
    payout.updated_at = now
    if account is None or account.status != "connected":
        payout.status = S.AWAITING_ACCOUNT.value
        return payout.status
    amount, own = amount_to_send(session, payout)
    payout.commission_idr = max(0, ledger.commission_by_seller_order(session, [payout.seller_order_id])
                                .get(payout.seller_order_id, 0))
    if amount <= 0:
        payout.status, payout.amount_idr = S.CANCELLED.value, 0
        payout.failure_reason = ("refunded before payout" if own <= 0 else
                                 "offset against an earlier refund (the balance owed to the buyer)")
        return payout.status
    payout.status, payout.amount_idr, payout.released_at = S.PROCESSING.value, amount, now
    payout.provider, payout.next_attempt_at = account.provider, now + RELEASE_LEASE
    ledger.record_payout_sent(session, payout, now=now)
    _announce_release(session, payout)
    return payout.status


def _announce_release(session: Session, payout: Payout) -> None:
    record(session, "payout.released", key=seller_id_of(payout), data={
        "payout_id": payout.id, "shop_id": payout.shop_id, "seller_id": seller_id_of(payout),
        "amount_idr": payout.amount_idr, "seller_order_ids": [payout.seller_order_id],
        "generation": payout.generation,
    })


def release_waiting(session: Session, shop_id: int, *, now: datetime) -> int:
    """Release the shop's payouts that waited for a usable account; how many went out."""
    ids = list(session.scalars(select(Payout.id).where(
        Payout.shop_id == shop_id, Payout.status == S.AWAITING_ACCOUNT.value).order_by(Payout.id)))
    return sum(release_payout(session, payout_id, now=now) == S.PROCESSING.value for payout_id in ids)


def adjust_for_refund(session: Session, seller_order_ids: list[int], *, now: datetime) -> int:
    """A refund before payout (``order.refunded``): the waiting payouts show what is left, or are
    cancelled when nothing is. (Releasing recomputes from the ledger anyway; this keeps the artisan's
    page true meanwhile.) How many payouts changed."""
    changed = 0
    for payout in session.scalars(select(Payout).where(
            Payout.seller_order_id.in_(seller_order_ids),
            Payout.status.in_((S.SCHEDULED.value, S.AWAITING_ACCOUNT.value))).with_for_update()):
        net = ledger.payable_by_seller_order(session, payout.shop_id, [payout.seller_order_id]).get(
            payout.seller_order_id, 0)
        payout.amount_idr = max(net, 0)
        payout.commission_idr = max(0, ledger.commission_by_seller_order(
            session, [payout.seller_order_id]).get(payout.seller_order_id, 0))
        if net <= 0:
            payout.status, payout.failure_reason = S.CANCELLED.value, "refunded before payout"
        payout.updated_at = now
        changed += 1
    return changed


def resend(session: Session, payout_id: int, *, now: datetime) -> bool:
    """Ask the worker again for a released payout (a new ``payout.released``, the same idempotency key)."""
    payout = lock_payout(session, payout_id)
    if payout is None or payout.status != S.PROCESSING.value or (payout.next_attempt_at or now) > now:
        return False
    payout.next_attempt_at, payout.updated_at = now + RELEASE_LEASE, now
    _announce_release(session, payout)
    return True


def retry_payout(session: Session, payout_id: int, *, now: datetime, actor: User | None = None) -> Payout:
    """An admin's retry: a failed payout is released again as a new transfer (a new idempotency key,
    since the provider refused the old one); one waiting for a transient retry is sent now.

    ``actor`` is the admin who asked (the retry lands in the audit log); None when the system retries
    on its own (a seller connecting an account), which is not an admin action."""
    payout = lock_payout(session, payout_id)
    if payout is None:
        raise NotFound("Payout not found.")
    before = {"status": payout.status, "generation": payout.generation, "failure_reason": payout.failure_reason}
    if payout.status == S.FAILED.value:
        payout.generation += 1
        payout.status, payout.due_at, payout.attempts = S.SCHEDULED.value, now, 0
        payout.failure_reason = payout.last_error = payout.transfer_id = None
        session.flush()
        release_payout(session, payout.id, now=now)
    elif payout.status == S.PROCESSING.value:
        payout.next_attempt_at = now
        resend(session, payout.id, now=now)
    else:
        raise Conflict("Only a failed payout, or one waiting to be sent again, can be retried.",
                       code="not_retryable")
    if actor is not None:
        record_admin_action(session, actor, "payout.retry", "payout", payout.id, before,
                            {"status": payout.status, "generation": payout.generation})
    return payout


# --- the scheduler's job -------------------------------------------------------------------------------


def release_due_payouts(factory: Callable[[], Session], now: datetime, *,
                        failures: Counter[str] | None = None) -> int:
    """Release every payout past its hold, and send again those whose retry time came; how many.
    Each payout in its own transaction: one that fails is logged, counted in ``failures`` and tried
    again next round, and the others still go (``marketplace.per_item``)."""
    with factory() as session:
        due, resends = due_releases(session, now), due_resends(session, now)
    done = each_in_own_transaction(
        factory, due, lambda session, payout_id: release_payout(session, payout_id, now=now) != S.SCHEDULED.value,
        job="release payout", failures=failures)
    done += each_in_own_transaction(
        factory, resends, lambda session, payout_id: resend(session, payout_id, now=now),
        job="resend payout", failures=failures)
    return done
