"""An admin's manual bank refund: the money of a VA transfer cannot go back through the gateway
(Xendit refunds e-wallets and QRIS, not a bank transfer into a virtual account), so the refund stays
``pending`` after ``send_refund`` and the admin, once the bank transfer back is made, records it here
with the bank's reference. It is confirmed exactly as a gateway's refund webhook confirms one
(``refunds.confirm``: the same ledger entries, ``order.refunded``, the order ``refunded`` once all is
back), and the audit log keeps who recorded which reference.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit.services import record_admin_action
from marketplace.errors import Conflict, NotFound
from marketplace.orders import services as orders
from marketplace.payments import refunds
from marketplace.payments.lookups import payment_for_order
from marketplace.payments.methods import METHODS, VA
from marketplace.payments.models import Refund, RefundStatus

#: What makes the reference ours and unique among provider refund ids.
PREFIX = "manual:"


def record_manual_refund(session: Session, admin: User, refund_id: int, *, bank_reference: str,
                         now: datetime) -> Refund:
    """Confirm a pending refund of a VA payment with the bank's reference; 409 if it is not one."""
    found = session.get(Refund, refund_id)
    if found is None:
        raise NotFound("No such refund.")
    order = orders.lock_order(session, found.order_id)
    refund = session.scalar(select(Refund).where(Refund.id == refund_id).with_for_update()
                            .execution_options(populate_existing=True))
    assert refund is not None
    payment = payment_for_order(session, order.id, for_update=True)
    if payment is None or payment.method is None or METHODS[payment.method].action != VA:
        raise Conflict("Only a bank transfer (VA) payment is refunded by hand.", code="not_manual")
    if refund.status != RefundStatus.PENDING.value:
        raise Conflict("This refund is already settled.", code="refund_settled")
    refund.provider_refund_id = (PREFIX + bank_reference)[:255]
    session.flush()
    refunds.confirm(session, order, payment, refund, now)
    record_admin_action(session, admin, "refund.manual", "order", order.id, {"refund_status": "pending"},
                        {"refund_id": refund.id, "bank_reference": bank_reference, "amount_idr": refund.amount_idr})
    return refund
