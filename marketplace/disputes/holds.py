"""Which seller orders' payouts are held: while a dispute is ``open``, and while any refund of the seller
order (a dispute's, an admin's, of the whole order) is still ``pending`` at the gateway (released then, the payout would go out before the
refund took its part back from the artisan's balance). Read by ``marketplace.payouts``: the scheduler
skips a held payout and :func:`~marketplace.payouts.release.release_payout` leaves it ``scheduled``; it
goes out (netted by the refund, or cancelled after a full one) once the hold ends.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from marketplace.disputes.models import Dispute, DisputeStatus
from marketplace.orders.models import SellerOrder
from marketplace.payments.models import Refund, RefundStatus


def held(seller_order_id: Any) -> Any:
    """A SQL condition: the payout of ``seller_order_id`` (a column or a value) is held — by an open
    dispute, or by any refund of that seller order or of its whole order still pending at the gateway
    (an admin's refund of a shipped order, a dispute's: released before the refund is confirmed, the
    payout would pay the artisan what goes back to the buyer)."""
    order_of_part = select(SellerOrder.order_id).where(SellerOrder.id == seller_order_id).scalar_subquery()
    pending_refund = exists(select(Refund.id).where(
        Refund.status == RefundStatus.PENDING.value,
        or_(Refund.seller_order_id == seller_order_id,
            and_(Refund.seller_order_id.is_(None), Refund.order_id == order_of_part))))
    open_dispute = exists(select(Dispute.id).where(Dispute.seller_order_id == seller_order_id,
                                                   Dispute.status == DisputeStatus.OPEN.value))
    return or_(open_dispute, pending_refund)


def is_held(session: Session, seller_order_id: int) -> bool:
    return bool(session.scalar(select(held(seller_order_id))))
