"""Sending a released payout to the artisan (the payouts worker), and what a paid or failed transfer
means for the payout, the account and the ledger. Every function takes the session and never commits
(ARCHITECTURE.md §8).

**Sending** (:func:`pay_payout`, on ``payout.released``): one call to the provider with the idempotency
key ``payout-<id>`` (``Payout.idempotency_key``) and ``transfer_group`` = ``order-<order id>`` (the
PaymentIntent's). The key is made of rows committed *before* the call (the release,
``marketplace.payouts.release``), so redoing the call after a crash (the worker's transaction lost:
SIGKILL between the call and the commit) repeats the same key and the provider answers with the first
transfer. Transient errors are kept on the payout (``attempts``, ``last_error``) and sent again after a
backoff by the scheduler; a permanent one fails the payout (:func:`fail_payout`), gives the money back to
the artisan's balance and marks the account as needing a fix.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from events.backoff import Backoff
from events.outbox import record
from marketplace.ledger import services as ledger
from marketplace.payouts.models import Payout, PayoutStatus
from marketplace.payouts.providers import AccountDetails, PayoutProvider, PayoutProviderError
from marketplace.payouts.queries import account_of, lock_payout, seller_id_of

log = logging.getLogger(__name__)

S = PayoutStatus
#: Transient provider errors in a row before a payout is failed (an admin can retry it).
MAX_ATTEMPTS = 8
RETRY_BACKOFF = Backoff(initial=30.0, maximum=3600.0)


def transfer_group(order_id: int) -> str:
    """The order's ``transfer_group``, the same as its PaymentIntent's (``marketplace.payments.gateways``),
    so the provider links the buyer's charge and the artisans' transfers."""
    return f"order-{order_id}"


def pay_payout(session: Session, provider: PayoutProvider, payout_id: int, *, now: datetime) -> str:
    """Send a released payout (``payout.released``); returns what happened. Never twice: see the module doc."""
    payout = lock_payout(session, payout_id)
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
        mark_paid(session, payout, now)
        return "paid"
    payout.status, payout.next_attempt_at = S.PENDING.value, None
    return "pending"


def mark_paid(session: Session, payout: Payout, now: datetime) -> None:
    """The money reached the artisan: ``paid``, out of ``payouts_in_transit`` (``payout.paid``)."""
    payout.status, payout.paid_at, payout.next_attempt_at, payout.updated_at = S.PAID.value, now, None, now
    ledger.record_payout_paid(session, payout, now=now)
    record(session, "payout.paid", key=seller_id_of(payout), data={
        "payout_id": payout.id, "seller_id": seller_id_of(payout), "amount_idr": payout.amount_idr,
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
    record(session, "payout.failed", key=seller_id_of(payout), data={
        "payout_id": payout.id, "seller_id": seller_id_of(payout), "reason": reason[:500] or "failed",
        "shop_id": payout.shop_id, "amount_idr": payout.amount_idr, "seller_order_ids": [payout.seller_order_id],
        "account_needs_fix": account_needs_fix,
    })
