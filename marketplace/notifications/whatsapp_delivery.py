"""The WhatsApp job of the notifications' delivery loop: the same leased queue (``marketplace.queue``)
and the same loop as the mail (``delivery.deliver_due`` runs both jobs), over the rows whose
``channel`` is ``whatsapp``.

1. **Taken**: the recipient is read again, so "one tap to stop" stops what is still queued: a user
   who opted out, removed their number, or whose number was refused meanwhile gets the row
   ``skipped`` with the reason. Otherwise the row is leased and the message built with the number
   as it is now (the row never holds it).
2. **Sent** through the ``WhatsAppSender`` (Cloud API, or the sandbox's files): as free-form text while
   the 24-hour window the user opened by writing to us is open (:mod:`marketplace.notifications.inbound`),
   else as the template; a text the API refuses as outside the window is retried as the template.
3. **Recorded**: ``sent`` with the provider's message id (the webhook's statuses find the row by it);
   a temporary failure is retried after the policy's wait or the API's ``Retry-After`` if longer
   (``RetryPolicy``), until ``MAX_ATTEMPTS`` (``failed``); a permanent refusal is ``permanent`` with
   the error (visible to admins) and, when the number itself cannot get WhatsApp, the number is marked
   on the user (:func:`services.mark_phone_failed`): nothing more is sent to it, e-mail carries on.

Logs name the row and the user id, never the number.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.notifications import inbound, services
from marketplace.notifications.models import Channel, DeliveryStatus, Notification, NotificationStatus
from marketplace.notifications.whatsapp import WhatsAppError, WhatsAppMessage, WhatsAppSender
from marketplace.queue import Failed, LeasedQueue, Sent

log = logging.getLogger(__name__)

PENDING = (NotificationStatus.QUEUED.value, NotificationStatus.RETRYING.value)
Result = str | WhatsAppError  # the provider's message id, or why it did not go


@dataclass(frozen=True)
class WhatsApps:
    """The job: a queued or retrying WhatsApp row, sent through the sender."""

    queue: LeasedQueue[WhatsAppMessage, Result]
    sender: WhatsAppSender

    def where(self, now: datetime) -> list[ColumnElement[bool]]:
        return [Notification.status.in_(PENDING), Notification.channel == Channel.WHATSAPP.value]

    def take(self, session: Session, row: Notification, now: datetime) -> WhatsAppMessage | None:
        user = session.get(User, row.recipient_id)
        reason = "opted_out" if user is None else services.whatsapp_blocked(session, user)
        if reason is not None or user is None or not user.phone:
            row.status, row.skip_reason, row.next_attempt_at = NotificationStatus.SKIPPED.value, reason, None
            return None
        self.queue.take(row, now)
        free_form = inbound.window_open(services.preference(session, user.id), user.phone, now)
        return WhatsAppMessage(reference=row.message_id, to=user.phone, kind=row.kind, template=row.subject,
                               language=row.language, parameters=tuple(json.loads(row.parameters or "[]")),
                               text=row.body_text, free_form=free_form)

    def send(self, message: WhatsAppMessage, now: datetime) -> Result:
        try:
            return self.sender.send(message)
        except WhatsAppError as exc:
            return exc

    def record(self, session: Session, row: Notification, message: WhatsAppMessage, result: Result,
               now: datetime) -> bool:
        if isinstance(result, str):
            self.queue.settle(row, Sent(), now)
            row.status, row.sent_at, row.last_error, row.external_id = NotificationStatus.SENT.value, now, None, result
            row.delivery_status, row.delivery_status_at = DeliveryStatus.SENT.value, now
            log.info("whatsapp %s (%s) sent to user %s through %s", row.id, row.kind, row.recipient_id,
                     self.sender.name)
            return True
        row.last_error = str(result)[:500]
        if result.window_closed:
            inbound.close_window(services.preference(session, row.recipient_id))
        if result.permanent:
            self.queue.settle(row, Failed(str(result)), now)
            row.status = NotificationStatus.PERMANENT.value
            row.delivery_status, row.delivery_status_at = DeliveryStatus.FAILED.value, now
            if result.recipient:
                services.mark_phone_failed(session, row.recipient_id, message.to, str(result), now)
            log.warning("whatsapp %s (%s) to user %s refused for good%s: %s", row.id, row.kind, row.recipient_id,
                        " (number marked)" if result.recipient else "", result)
            return False
        services.retry_or_give_up(self.queue, row, result, now, label=f"whatsapp {row.id}",
                                  after=result.retry_after)
        return False
