"""The artisan's payout account: connecting it at the provider, and what a connected account unblocks.

Every function takes the session and never commits (ARCHITECTURE.md §8). The provider checks the
details (``ValidationFailed`` before anything is written here); a connected account releases the shop's
payouts that waited for it and sends again those that failed (``marketplace.payouts.release``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.errors import Conflict, Unavailable
from marketplace.payouts.models import Payout, PayoutAccount, PayoutStatus
from marketplace.payouts.providers import AccountDetails, PayoutProvider, PayoutProviderError
from marketplace.payouts.queries import account_of, shop_of
from marketplace.payouts.release import release_waiting, retry_payout

log = logging.getLogger(__name__)

#: A provider's permanent refusal of ``connect`` (its own words are logged, not shown: they are English).
ACCOUNT_REFUSED_MESSAGE = "The payout provider refused to set up this payout account; please contact us."


class PayoutProviderUnavailable(Unavailable):
    """The payout provider cannot be reached right now; nothing was changed, try again."""

    code = "payout_provider_unavailable"


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
                Payout.shop_id == shop.id, Payout.status == PayoutStatus.FAILED.value).order_by(Payout.id)).all():
            retry_payout(session, payout_id, now=now)
    return account
