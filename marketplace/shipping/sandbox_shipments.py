"""The sandbox couriers' shipments, moved by an admin or a test (``POST /api/v1/sandbox/shipments/
<waybill>/advance``): each step is sent as the signed Biteship ``order.status`` webhook the real
courier would send, and goes through the webhook's own path (:func:`marketplace.shipping.webhooks.receive`:
signature check, once per status, never backwards), in the request's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.errors import Conflict, NotFound
from marketplace.orders.models import SellerOrder
from marketplace.shipping.providers import FINAL, STATUSES, status_rank
from marketplace.shipping.sandbox import SandboxProvider

PATH = ("confirmed", "picked_up", "in_transit", "delivered")


def advance(session: Session, provider: SandboxProvider, waybill: str, status: str | None, *,
            now: datetime) -> SellerOrder:
    """Move the booked shipment ``waybill`` to ``status`` (None: the next on the way); 404 for an unknown
    waybill, 409 ``shipment_final`` once delivered or returned, 409 ``not_forward`` for a step back."""
    from marketplace.shipping.webhooks import receive

    part = session.scalars(select(SellerOrder).where(SellerOrder.tracking_number == waybill,
                                                     SellerOrder.shipment_ref.is_not(None))).first()
    if part is None or part.shipment_ref is None:
        raise NotFound("No sandbox shipment has this waybill.")
    if part.tracking_status in FINAL:
        raise Conflict("This shipment has already arrived or gone back.", code="shipment_final")
    target = status or PATH[min(PATH.index(part.tracking_status) + 1 if part.tracking_status else 0, len(PATH) - 1)]
    if target not in STATUSES or status_rank(target) <= status_rank(part.tracking_status):
        raise Conflict("A shipment only moves forward.", code="not_forward")
    body, headers = provider.webhook(provider_ref=part.shipment_ref, waybill=waybill, courier=part.courier or "",
                                     service=part.shipping_service or "", status=target, at=now)
    receive(session, provider, body, headers)
    session.refresh(part)
    return part
