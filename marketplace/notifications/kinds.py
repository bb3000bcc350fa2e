"""Every message we send, in one table: who gets it and whether they may turn it off.

Transactional messages (an order step, money moved, a password reset) always go: a buyer who opted
out of "order paid" would still need to know. The optional ones are reminders and courtesy notes; a
user switches them off on the account settings page (``/account/notifications``), and each carries a
``List-Unsubscribe`` header pointing there. ``label`` is the message id of the settings page's text.
"""

from __future__ import annotations

from dataclasses import dataclass

BUYER, ARTISAN, ADMIN, ANYONE = "buyer", "artisan", "admin", "anyone"


@dataclass(frozen=True)
class Kind:
    name: str
    audience: str
    transactional: bool
    label: str = ""


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("order_placed", BUYER, True),
    Kind("payment_instructions", BUYER, True),
    Kind("order_paid", BUYER, True),
    Kind("order_shipped", BUYER, True),
    Kind("order_delivery_reminder", BUYER, False, "Reminders to confirm a parcel that has arrived"),
    Kind("order_cancelled", BUYER, True),
    Kind("order_refunded", BUYER, True),
    Kind("review_invite", BUYER, False, "An invitation to review what you bought, once it has arrived"),
    Kind("seller_order_to_ship", ARTISAN, True),
    Kind("seller_order_delivered", ARTISAN, False, "A note when a buyer confirms they received an order"),
    Kind("payout_paid", ARTISAN, True),
    Kind("payout_failed", ADMIN, True),
    Kind("listing_approved", ARTISAN, True),
    Kind("listing_rejected", ARTISAN, True),
    Kind("shipment_picked_up", BUYER, False, "A note when the courier picks up your parcel"),
    Kind("shipment_returned", ADMIN, True),
    Kind("password_reset", ANYONE, True),
    Kind("welcome", ANYONE, True),
    Kind("message_received", ANYONE, False, "A note when someone sends you a message (at most every 15 minutes)"),
    Kind("programme_event_cancelled", ANYONE, True),
    Kind("programme_event_rescheduled", ANYONE, True),
    Kind("registration_promoted", ANYONE, True),
    Kind("programme_event_reminder", ANYONE, False, "Reminders the day before an event you registered for"),
    Kind("follow_digest", ANYONE, False, "A daily e-mail of new products from the shops you follow"),
    Kind("dispute_opened", ARTISAN, True),
    Kind("dispute_resolved", ANYONE, True),
)}

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"


def optional_kinds(role: str) -> list[Kind]:
    """The messages a user of ``role`` may switch off (what their settings page offers)."""
    return [k for k in KINDS.values() if not k.transactional and k.audience in (role, ANYONE)]
