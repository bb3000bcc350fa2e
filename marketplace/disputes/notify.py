"""Who hears of a dispute (the notifications worker; e-mail, and WhatsApp to whoever opted in):

- ``dispute.opened`` → the shop's artisan: which order, what went wrong, the link to answer or refund.
- ``dispute.resolved`` → the buyer: the outcome (the refund's amount, or rejected, with the note); and
  the artisan too when an admin decided (an artisan who refunded knows already).

Once per (event, recipient, kind): ``notifications.services.queue`` finds the row a redelivered event
queued, so a replay sends nothing twice. The mails name the reason and outcome, never the buyer's words
(mail bodies are visible to admins; the dispute page shows the rest to its parties).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from marketplace.config import Settings
from marketplace.disputes.models import Dispute
from marketplace.notifications import services as notifications

OPENED, RESOLVED = "dispute_opened", "dispute_resolved"


def _dispute(session: Session, dispute_id: int) -> Dispute:
    dispute = session.get(Dispute, dispute_id)
    if dispute is None:
        raise LookupError(f"dispute {dispute_id} not found")  # retried, then parked in the DLQ
    return dispute


def _context(settings: Settings, dispute: Dispute) -> dict[str, Any]:
    return {"dispute": dispute, "order_id": dispute.order_id, "shop": dispute.seller_order.shop,
            "dispute_url": f"{settings.public_base_url.rstrip('/')}/disputes/{dispute.id}"}


def dispute_opened(session: Session, settings: Settings, event: dict[str, Any], now: datetime) -> None:
    """The artisan: a buyer opened a dispute about their part of an order."""
    dispute = _dispute(session, event["data"]["dispute_id"])
    notifications.queue(session, settings, event_id=str(event["id"]), event_type=event["type"], kind=OPENED,
                        recipient=dispute.seller_order.shop.owner, context=_context(settings, dispute), now=now,
                        seller_order_id=dispute.seller_order_id)


def dispute_resolved(session: Session, settings: Settings, event: dict[str, Any], now: datetime) -> None:
    """The buyer (and the artisan when an admin decided): how the dispute ended."""
    data = event["data"]
    dispute = _dispute(session, data["dispute_id"])
    context = {**_context(settings, dispute), "outcome": data["outcome"], "amount_idr": data["amount_idr"]}
    recipients = [dispute.buyer]
    if data["resolved_by"] == "admin":
        recipients.append(dispute.seller_order.shop.owner)
    for recipient in recipients:
        if recipient is None or not recipient.is_active:
            continue  # a closed account: nobody to tell
        notifications.queue(session, settings, event_id=str(event["id"]), event_type=event["type"], kind=RESOLVED,
                            recipient=recipient, context=context, now=now)
