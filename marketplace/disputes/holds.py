"""Which seller orders' payouts a dispute holds: while its dispute is ``open``, and while the refund
that closed it is still ``pending`` at the gateway (released then, the payout would go out before the
refund took its part back from the artisan's balance). Read by ``marketplace.payouts``: the scheduler
skips a held payout and :func:`~marketplace.payouts.release.release_payout` leaves it ``scheduled``; it
goes out (netted by the refund, or cancelled after a full one) once the hold ends.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from marketplace.disputes.models import Dispute, DisputeStatus
from marketplace.payments.models import Refund, RefundStatus


def held(seller_order_id: Any) -> Any:
    """A SQL condition: a dispute holds the payout of ``seller_order_id`` (a column or a value)."""
    pending_refund = exists(select(Refund.id).where(Refund.id == Dispute.refund_id,
                                                    Refund.status == RefundStatus.PENDING.value))
    return exists(select(Dispute.id).where(
        Dispute.seller_order_id == seller_order_id,
        or_(Dispute.status == DisputeStatus.OPEN.value, pending_refund)))


def is_held(session: Session, seller_order_id: int) -> bool:
    return bool(session.scalar(select(held(seller_order_id))))
