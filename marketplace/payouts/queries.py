"""The reads every payout use case shares: a shop and its payout account, a payout locked, what is due.

Kept apart from the use cases (``accounts``, ``release``, ``transfers``, ``provider_events``) so each of
them can read the same rows the same way without importing another use-case module.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.disputes.holds import held
from marketplace.errors import Conflict
from marketplace.payouts.models import Payout, PayoutAccount, PayoutStatus
from marketplace.shops.models import Shop

#: Payouts whose seller order's money is still the artisan's balance (not sent, not settled).
OUTSTANDING = (PayoutStatus.SCHEDULED.value, PayoutStatus.AWAITING_ACCOUNT.value, PayoutStatus.FAILED.value)


def shop_of(session: Session, artisan: User) -> Shop:
    """The artisan's shop; 409 ``no_shop`` when they have none yet."""
    shop = session.scalar(select(Shop).where(Shop.owner_id == artisan.id))
    if shop is None:
        raise Conflict("Open your shop first.", code="no_shop")
    return shop


def account_of(session: Session, shop_id: int) -> PayoutAccount | None:
    return session.scalar(select(PayoutAccount).where(PayoutAccount.shop_id == shop_id))


def seller_id_of(payout: Payout) -> int:
    """The artisan a payout goes to (the key of its events: one artisan's payouts stay in order)."""
    return payout.shop.owner_id


def lock_payout(session: Session, payout_id: int) -> Payout | None:
    """The payout, locked and re-read (None if there is no such payout)."""
    return session.scalar(select(Payout).where(Payout.id == payout_id).with_for_update()
                          .execution_options(populate_existing=True))


def due_releases(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Scheduled payouts past their hold, and not held by a dispute (``marketplace.disputes.holds``)."""
    return list(session.scalars(select(Payout.id).where(
        Payout.status == PayoutStatus.SCHEDULED.value, Payout.due_at <= now, ~held(Payout.seller_order_id))
        .order_by(Payout.due_at).limit(limit)))


def due_resends(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Released payouts whose retry time (or lease) has come."""
    return list(session.scalars(select(Payout.id).where(
        Payout.status == PayoutStatus.PROCESSING.value, Payout.next_attempt_at <= now)
        .order_by(Payout.next_attempt_at).limit(limit)))
