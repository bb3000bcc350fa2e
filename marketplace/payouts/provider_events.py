"""The payout provider's webhooks, applied once: an account became usable or not, a transfer was paid
or failed. Verified and translated into a ``ProviderEvent`` by the provider (``verify_webhook``) before
they come here; the request's one commit writes the record of the event and its effect together.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.once import record_once
from marketplace.payouts.models import Payout, PayoutAccount, PayoutProviderEventRecord, PayoutStatus
from marketplace.payouts.providers import ProviderEvent
from marketplace.payouts.queries import lock_payout
from marketplace.payouts.release import release_waiting
from marketplace.payouts.transfers import RETRY_BACKOFF, fail_payout, mark_paid

log = logging.getLogger(__name__)

S = PayoutStatus


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
    return lock_payout(session, payout_id) if payout_id is not None else None


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
        mark_paid(session, payout, now)
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
