"""Notifications worker: who is told what when an order or a payout moves (subscriptions in one screen).

Each handler queues ``notifications`` rows (rendered, in the recipient's language) in the event's own
transaction, with its inbox row: a redelivered event finds the inbox row, and the unique
``(event, recipient, kind)`` backs that up, so nothing is queued, nor sent, twice. Which event tells
whom is ``marketplace.notifications.triggers``:

- ``order.placed`` → buyer: the order and how to pay (link, deadline).
- ``payment.intent_created`` → buyer: how to pay with the method they chose (a VA number, amount,
  deadline; or where to finish a QR or e-wallet payment), until it is paid.
- ``order.paid`` → buyer: paid; each artisan of the order: the part to ship (items, address, ship-by).
- ``order.shipped`` → buyer: courier and tracking number; the confirm-on-arrival reminder, due later.
- ``order.delivered`` → artisan: the buyer confirmed; buyer: an invitation to review the items (optional, once).
- ``order.cancelled`` / ``order.refunded`` → buyer: why, and how much comes back.
- ``payout.paid`` → artisan: the amount (and the orders, when the event names them).
- ``payout.failed`` → every admin.
- ``listing.approved`` / ``listing.rejected`` → artisan, by e-mail and (opted in) WhatsApp, with the reason;
  ``listing.approved`` also leaves the new product for the shop's followers (``marketplace.follows``:
  in-app, and the scheduler's daily digest e-mail).
- ``message.sent`` → the other party of the conversation (at most once per 15 minutes while unread).
- ``dispute.opened`` → the shop's artisan; ``dispute.resolved`` → the buyer, and the artisan when an admin
  decided (``marketplace.disputes.notify``).
- ``programme_event.cancelled`` / ``programme_event.rescheduled`` → everyone registered or waiting; ``registration.promoted`` → the person
  who got a seat from the waiting list (``marketplace.programme.triggers``; the day-before reminders
  are the scheduler's).

Each order step also goes by WhatsApp to a user who opted in with a phone number
(``services.queue_whatsapp``: one more row, channel ``whatsapp``); ``order.delivered`` tells the buyer
there too.

In the background: the mail loop (``marketplace.notifications.delivery``) sends the queued rows
through the ``Mailer`` chosen by ``SMTP_URL`` (the ``var/mail`` files when unset), retrying with backoff.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from marketplace.config import Settings
from marketplace.disputes import notify as disputes_notify
from marketplace.messaging import notify as messaging_notify
from marketplace.notifications import triggers
from marketplace.notifications.delivery import MailLoop
from marketplace.notifications.mailer import mailer_from_settings
from marketplace.notifications.whatsapp import whatsapp_from_settings
from marketplace.programme import triggers as programme_triggers
from workers.worker import BackgroundTask, Dependencies, Handler, HandlerContext

CONSUMER = "notifications"
TOPICS: tuple[str, ...] = ("orders", "payments", "payouts", "listings", "messages", "programme")
MAILER = "mailer"
WHATSAPP = "whatsapp"

Trigger = Callable[[Session, Settings, dict[str, Any], Any], None]


def _handler(trigger: Trigger) -> Handler:
    def handle(ctx: HandlerContext, event: dict[str, Any]) -> None:
        trigger(ctx.session, ctx.settings, event, ctx.clock())

    handle.__name__ = handle.__qualname__ = trigger.__name__
    handle.__doc__ = trigger.__doc__
    return handle


HANDLERS: dict[str, Handler] = {
    "order.placed": _handler(triggers.order_placed),
    "payment.intent_created": _handler(triggers.payment_instructions),
    "order.paid": _handler(triggers.order_paid),
    "order.shipped": _handler(triggers.order_shipped),
    "order.delivered": _handler(triggers.order_delivered),
    "order.cancelled": _handler(triggers.order_cancelled),
    "order.refunded": _handler(triggers.order_refunded),
    "payout.paid": _handler(triggers.payout_paid),
    "listing.approved": _handler(triggers.listing_approved),
    "listing.rejected": _handler(triggers.listing_rejected),
    "payout.failed": _handler(triggers.payout_failed),
    "shipment.updated": _handler(triggers.shipment_updated),
    "message.sent": _handler(messaging_notify.message_sent),
    "programme_event.cancelled": _handler(programme_triggers.programme_event_cancelled),
    "programme_event.rescheduled": _handler(programme_triggers.programme_event_rescheduled),
    "registration.promoted": _handler(programme_triggers.registration_promoted),
    "dispute.opened": _handler(disputes_notify.dispute_opened),
    "dispute.resolved": _handler(disputes_notify.dispute_resolved),
}


def build_dependencies(settings: Settings) -> dict[str, Any]:
    """Called once per process: the ``Mailer`` chosen by ``SMTP_URL`` (files under ``var/mail`` if unset)
    and the WhatsApp sender chosen by ``WHATSAPP_PROVIDER`` (None when off)."""
    return {MAILER: mailer_from_settings(settings), WHATSAPP: whatsapp_from_settings(settings)}


def background_tasks(settings: Settings, dependencies: Dependencies) -> list[BackgroundTask]:
    """The delivery loop: what the handlers (and password resets) queued goes out from here, by mail
    and WhatsApp."""
    return [MailLoop(dependencies[MAILER], whatsapp=dependencies.get(WHATSAPP))]
