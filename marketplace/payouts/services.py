"""Payout use cases: the artisan's payout account, scheduling, releasing and paying payouts, and the
provider's webhooks. Every function takes the session and never commits (ARCHITECTURE.md §8).

**The batching rule: one payout per delivered seller order**, with netting. ``order.delivered``
schedules the seller order's payout, due ``PAYOUT_HOLD_HOURS`` later (:func:`schedule_payout`). When it
is due it is *released* (:func:`release_payout`, the scheduler; at once when the hold is 0): with the
order and the shop locked, its amount is fixed as the seller order's payable now (its sale less its
refunds) plus the shop's debt, if any — the negative part of (shop balance − the payable of the shop's
seller orders not paid out yet), which is what refunds after earlier payouts left behind. An amount of
zero or less is not sent: the payout is ``cancelled`` (refunded before payout, or absorbed by the debt,
which then stays for the next payout). A positive amount moves to ``payouts_in_transit`` in the ledger
and ``payout.released`` asks the payouts worker to send it.

**Sending** (:func:`pay_payout`, the worker): one call to the provider with the idempotency key
``payout-<id>`` (``Payout.idempotency_key``) and ``transfer_group`` = ``order-<order id>`` (the
PaymentIntent's). The key is made of
rows committed *before* the call (the release), so redoing the call after a crash (the worker's
transaction lost: SIGKILL between the call and the commit) repeats the same key and the provider answers
with the first transfer. Transient errors are kept on the payout (``attempts``, ``last_error``) and sent
again after a backoff by the scheduler; a permanent one fails the payout, gives the money back to the
artisan's balance and marks the account as needing a fix. A released payout nobody answered for
(worker down, event dead-lettered) is sent again after :data:`RELEASE_LEASE`, with the same key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from events.backoff import Backoff
from events.outbox import record
from marketplace.accounts.models import User
from marketplace.audit.services import record_admin_action
from marketplace.errors import Conflict, NotFound, Unavailable
from marketplace.once import record_once
from marketplace.ledger import services as ledger
from marketplace.orders.models import SellerOrder, SellerOrderStatus
from marketplace.orders.services import lock_order
from marketplace.payouts.models import Payout, PayoutAccount, PayoutProviderEventRecord, PayoutStatus
from marketplace.payouts.providers import AccountDetails, PayoutProvider, PayoutProviderError, ProviderEvent
from marketplace.shops.models import Shop

log = logging.getLogger(__name__)

S = PayoutStatus
#: Payouts whose seller order's money is still the artisan's balance (not sent, not settled).
OUTSTANDING = (S.SCHEDULED.value, S.AWAITING_ACCOUNT.value, S.FAILED.value)
#: How long a released payout may go unanswered before it is sent again (same key: never paid twice).
RELEASE_LEASE = timedelta(minutes=10)
#: Transient provider errors in a row before a payout is failed (an admin can retry it).
MAX_ATTEMPTS = 8
RETRY_BACKOFF = Backoff(initial=30.0, maximum=3600.0)


# --- the payout account --------------------------------------------------------------------------------


class PayoutProviderUnavailable(Unavailable):
    """The payout provider cannot be reached right now; nothing was changed, try again."""

    code = "payout_provider_unavailable"


#: A provider's permanent refusal of ``connect`` (its own words are logged, not shown: they are English).
ACCOUNT_REFUSED_MESSAGE = "The payout provider refused to set up this payout account; please contact us."


def shop_of(session: Session, artisan: User) -> Shop:
    shop = session.scalar(select(Shop).where(Shop.owner_id == artisan.id))
    if shop is None:
        raise Conflict("Open your shop first.", code="no_shop")
    return shop


def account_of(session: Session, shop_id: int) -> PayoutAccount | None:
    return session.scalar(select(PayoutAccount).where(PayoutAccount.shop_id == shop_id))


def connect_account(session: Session, provider: PayoutProvider, artisan: User, details: AccountDetails, *,
                    return_url: str, now: datetime) -> PayoutAccount:
    """Create or update the shop's payout account at the provider (which refuses bad details with
    ``ValidationFailed``, before anything is written here; a provider that cannot be reached is
    ``PayoutProviderUnavailable``, one that refuses the account a ``Conflict``). A connected account
    releases the shop's payouts that were waiting for it, and sends again those that failed (the
    artisan fixed the account: each as a new transfer, as an admin's retry)."""
    shop = shop_of(session, artisan)
    account = account_of(session, shop.id)
    existing = account.account_ref if account is not None and account.provider == provider.name else None
    try:
        connection = provider.connect(shop_id=shop.id, email=artisan.email, details=details,
                                      existing_ref=existing, return_url=return_url)
    except PayoutProviderError as exc:  # an answer for the artisan (503 / 409), never a 500
        log.warning("shop %s: connect at %s failed: %s", shop.id, provider.name, exc.reason)
        if exc.transient:
            raise PayoutProviderUnavailable() from exc
        raise Conflict(ACCOUNT_REFUSED_MESSAGE, code="payout_account_refused") from exc
    if account is None:
        account = PayoutAccount(shop_id=shop.id, created_at=now)
        session.add(account)
    account.provider, account.status, account.account_ref = provider.name, connection.status, connection.account_ref
    account.channel_code, account.account_number = details.channel_code, details.account_number
    account.account_holder_name, account.onboarding_url = details.account_holder_name, connection.onboarding_url
    account.problem, account.updated_at = None, now
    session.flush()
    if account.status == "connected":
        release_waiting(session, shop.id, now=now)
        for payout_id in session.scalars(select(Payout.id).where(
                Payout.shop_id == shop.id, Payout.status == S.FAILED.value).order_by(Payout.id)).all():
            retry_payout(session, payout_id, now=now)
    return account


def release_waiting(session: Session, shop_id: int, *, now: datetime) -> int:
    """Release the shop's payouts that waited for a usable account; how many went out."""
    ids = list(session.scalars(select(Payout.id).where(
        Payout.shop_id == shop_id, Payout.status == S.AWAITING_ACCOUNT.value).order_by(Payout.id)))
    return sum(release_payout(session, payout_id, now=now) == S.PROCESSING.value for payout_id in ids)


# --- scheduling and releasing --------------------------------------------------------------------------


def _seller_id(payout: Payout) -> int:
    return payout.shop.owner_id


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
    record(session, "payout.scheduled", key=_seller_id(payout), data={
        "payout_id": payout.id, "seller_order_id": part.id, "shop_id": part.shop_id,
        "seller_id": _seller_id(payout), "amount_idr": payout.amount_idr, "commission_idr": payout.commission_idr,
        "due_at": payout.due_at.isoformat(), "order_id": part.order_id,
    })
    if payout.due_at <= now:
        release_payout(session, payout.id, now=now)
    return payout


def transfer_group(order_id: int) -> str:
    """The order's ``transfer_group``, the same as its PaymentIntent's (``marketplace.payments.gateways``),
    so the provider links the buyer's charge and the artisans' transfers."""
    return f"order-{order_id}"


def _lock_payout(session: Session, payout_id: int) -> Payout | None:
    return session.scalar(select(Payout).where(Payout.id == payout_id).with_for_update()
                          .execution_options(populate_existing=True))


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
    payout = _lock_payout(session, payout_id)
    assert payout is not None
    if payout.status not in (S.SCHEDULED.value, S.AWAITING_ACCOUNT.value) or payout.due_at > now:
        return payout.status
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
    record(session, "payout.released", key=_seller_id(payout), data={
        "payout_id": payout.id, "shop_id": payout.shop_id, "seller_id": _seller_id(payout),
        "amount_idr": payout.amount_idr, "seller_order_ids": [payout.seller_order_id],
        "generation": payout.generation,
    })


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


# --- sending (the payouts worker) ----------------------------------------------------------------------


def pay_payout(session: Session, provider: PayoutProvider, payout_id: int, *, now: datetime) -> str:
    """Send a released payout (``payout.released``); returns what happened. Never twice: see the module doc."""
    payout = _lock_payout(session, payout_id)
    if payout is None:
        raise LookupError(f"payout {payout_id} does not exist")
    if payout.status != S.PROCESSING.value:
        return "unchanged"  # paid, pending or failed already: a redelivery
    account = account_of(session, payout.shop_id)
    if account is None:
        raise LookupError(f"payout {payout_id}: the shop has no payout account")
    details = AccountDetails(account.channel_code, account.account_number, account.account_holder_name)
    payout.attempts += 1
    payout.updated_at = now
    try:
        transfer = provider.transfer(
            payout_id=payout.id, amount_idr=payout.amount_idr, account_ref=account.account_ref, details=details,
            transfer_group=transfer_group(payout.order_id), idempotency_key=payout.idempotency_key,
            description=f"Pasar Kreatif payout #{payout.id} (order #{payout.order_id})",
        )
    except PayoutProviderError as exc:
        payout.last_error = exc.reason[:500]
        if exc.transient and payout.attempts < MAX_ATTEMPTS:
            payout.next_attempt_at = now + timedelta(seconds=RETRY_BACKOFF.delay(payout.attempts))
            log.warning("payout %s: transient provider error (%s), retry at %s", payout.id, exc.reason,
                        payout.next_attempt_at)
            return "retrying"
        fail_payout(session, payout, exc.reason, now=now, account_needs_fix=not exc.transient)
        return "failed"
    payout.transfer_id, payout.last_error = transfer.transfer_id, None
    if transfer.status == "paid":
        _paid(session, payout, now)
        return "paid"
    payout.status, payout.next_attempt_at = S.PENDING.value, None
    return "pending"


def _paid(session: Session, payout: Payout, now: datetime) -> None:
    payout.status, payout.paid_at, payout.next_attempt_at, payout.updated_at = S.PAID.value, now, None, now
    ledger.record_payout_paid(session, payout, now=now)
    record(session, "payout.paid", key=_seller_id(payout), data={
        "payout_id": payout.id, "seller_id": _seller_id(payout), "amount_idr": payout.amount_idr,
        "transfer_id": payout.transfer_id, "shop_id": payout.shop_id, "order_id": payout.order_id,
        "seller_order_ids": [payout.seller_order_id], "commission_idr": payout.commission_idr,
    })


def fail_payout(session: Session, payout: Payout, reason: str, *, now: datetime, account_needs_fix: bool) -> None:
    """The money did not go out, or came back after it was paid (a reversed transfer): back to the
    artisan's balance, the payout ``failed`` (``payout.failed``)."""
    if payout.status == S.PAID.value:
        ledger.record_payout_returned(session, payout, now=now)
        payout.paid_at = None
    else:
        ledger.record_payout_reversed(session, payout, now=now)
    payout.status, payout.failure_reason = S.FAILED.value, reason[:500]
    payout.next_attempt_at, payout.updated_at = None, now
    if account_needs_fix:
        account = account_of(session, payout.shop_id)
        if account is not None:
            account.status, account.problem, account.updated_at = "restricted", reason[:500], now
    record(session, "payout.failed", key=_seller_id(payout), data={
        "payout_id": payout.id, "seller_id": _seller_id(payout), "reason": reason[:500] or "failed",
        "shop_id": payout.shop_id, "amount_idr": payout.amount_idr, "seller_order_ids": [payout.seller_order_id],
        "account_needs_fix": account_needs_fix,
    })


def due_resends(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Released payouts whose retry time (or lease) has come."""
    return list(session.scalars(select(Payout.id).where(
        Payout.status == S.PROCESSING.value, Payout.next_attempt_at <= now).order_by(Payout.next_attempt_at)
        .limit(limit)))


def resend(session: Session, payout_id: int, *, now: datetime) -> bool:
    """Ask the worker again for a released payout (a new ``payout.released``, the same idempotency key)."""
    payout = _lock_payout(session, payout_id)
    if payout is None or payout.status != S.PROCESSING.value or (payout.next_attempt_at or now) > now:
        return False
    payout.next_attempt_at, payout.updated_at = now + RELEASE_LEASE, now
    _announce_release(session, payout)
    return True


def due_releases(session: Session, now: datetime, limit: int = 100) -> list[int]:
    return list(session.scalars(select(Payout.id).where(
        Payout.status == S.SCHEDULED.value, Payout.due_at <= now).order_by(Payout.due_at).limit(limit)))


def retry_payout(session: Session, payout_id: int, *, now: datetime, actor: User | None = None) -> Payout:
    """An admin's retry: a failed payout is released again as a new transfer (a new idempotency key,
    since the provider refused the old one); one waiting for a transient retry is sent now.

    ``actor`` is the admin who asked (the retry lands in the audit log); None when the system retries
    on its own (a seller connecting an account), which is not an admin action."""
    payout = _lock_payout(session, payout_id)
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


# --- the provider's webhooks ---------------------------------------------------------------------------


def _claim(session: Session, event: ProviderEvent, now: datetime) -> bool:
    return record_once(session, PayoutProviderEventRecord, event_id=event.event_id[:255], kind=event.kind[:40],
                       received_at=now)


def _payout_for(session: Session, event: ProviderEvent) -> Payout | None:
    payout_id = None
    if event.transfer_id:
        payout_id = session.scalar(select(Payout.id).where(Payout.transfer_id == event.transfer_id))
    ref = (event.payout_reference or "").removeprefix("payout-").split("-")[0]
    if payout_id is None and ref.isdigit():
        payout_id = int(ref)
    return _lock_payout(session, payout_id) if payout_id is not None else None


def apply_provider_event(session: Session, event: ProviderEvent, clock: Callable[[], datetime]) -> str:
    """Apply a verified provider webhook once (a redelivery: ``duplicate``, nothing changes).

    ``account.updated``: the account (by ``account_ref``) becomes connected or restricted; connected
    releases the shop's payouts waiting for it. ``transfer.paid`` / ``transfer.failed`` (by
    ``transfer_id``, else ``payout_reference`` = the payout id or its idempotency key) settle a pending
    payout: paid; failed and ``permanent`` → failed with the reason, the account needing a fix; failed
    otherwise → sent again later as a new transfer (the money stays in transit). A permanent failure of
    a payout already paid is a reversal (the money came back): failed, its amount owed to the artisan
    again. An event naming an account or transfer we do not know is not recorded (``unknown_account`` /
    ``unknown_transfer``), so a redelivery can still apply it. Returns what it did."""
    now = clock()
    if session.get(PayoutProviderEventRecord, event.event_id[:255]) is not None:
        return "duplicate"
    if event.kind == "account.updated":
        account = session.scalar(select(PayoutAccount).where(PayoutAccount.account_ref == (event.account_ref or "")))
        if account is None:  # not recorded as seen: a redelivery, once we know the account, applies it
            log.warning("provider event %s names account %s we do not know", event.event_id, event.account_ref)
            return "unknown_account"
        if not _claim(session, event, now):
            return "duplicate"
        account.status = "connected" if event.can_receive else "restricted"
        account.onboarding_url = None if event.can_receive else account.onboarding_url
        account.problem = None if event.can_receive else (event.reason or account.problem)
        account.updated_at = now
        session.flush()
        if event.can_receive:
            release_waiting(session, account.shop_id, now=now)
            return "account_connected"
        return "account_restricted"
    if event.kind not in ("transfer.paid", "transfer.failed"):
        _claim(session, event, now)
        return "ignored"
    payout = _payout_for(session, event)
    if payout is None:
        log.warning("provider event %s names a transfer we did not make (%s / %s)", event.event_id,
                    event.transfer_id, event.payout_reference)
        return "unknown_transfer"
    if not _claim(session, event, now):
        return "duplicate"
    if payout.status == S.PAID.value and event.kind == "transfer.failed" and event.permanent:
        # Reversed after it was paid (Stripe ``transfer.reversed``, Xendit ``payout.reversed``): owed again.
        fail_payout(session, payout, event.reason or "the transfer was reversed", now=now, account_needs_fix=True)
        return "failed"
    if payout.status not in (S.PENDING.value, S.PROCESSING.value):
        return "unchanged"
    if event.transfer_id and payout.transfer_id is None:
        payout.transfer_id = event.transfer_id[:255]
    if event.kind == "transfer.paid":
        _paid(session, payout, now)
        return "paid"
    reason = event.reason or "the provider refused the transfer"
    if event.permanent:
        fail_payout(session, payout, reason, now=now, account_needs_fix=True)
        return "failed"
    payout.generation += 1  # that transfer is over at the provider: the next one needs its own key
    payout.status, payout.transfer_id, payout.last_error = S.PROCESSING.value, None, reason[:500]
    payout.attempts += 1
    payout.next_attempt_at = now + timedelta(seconds=RETRY_BACKOFF.delay(payout.attempts))
    payout.updated_at = now
    return "retrying"
