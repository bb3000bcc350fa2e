"""The payment row of an order or of a gateway intent, read (or locked) one way by every payment use case.

Shared by the payment use cases (``marketplace.payments.services``) and the refund use cases
(``marketplace.payments.refunds``), which need the same rows and the same "we did not create that
intent" answer; here, neither of them has to import the other.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.errors import BadRequest
from marketplace.payments.models import Payment


class UnknownIntent(BadRequest):
    """The webhook names a payment intent we did not create."""

    code = "unknown_intent"


def payment_for_order(session: Session, order_id: int, *, for_update: bool = False) -> Payment | None:
    """The order's live payment attempt (None before any); ``for_update`` locks and re-reads it."""
    stmt = select(Payment).where(Payment.order_id == order_id, Payment.superseded_at.is_(None))
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalar(stmt)


def payment_for_intent(session: Session, intent_id: object) -> Payment:
    """The payment of the gateway intent a webhook names; ``UnknownIntent`` (400) if it is not ours."""
    payment = session.scalar(select(Payment).where(Payment.provider_intent_id == str(intent_id or "")))
    if payment is None:
        raise UnknownIntent("The webhook names a payment intent we did not create.")
    return payment
