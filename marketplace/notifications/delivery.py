"""The notifications worker's delivery loop: send what the handlers queued (mail here, WhatsApp through
``whatsapp_delivery.WhatsApps`` in the same loop and queue), retry what failed, record all.

The handler only writes rows (in the event's transaction); sending happens here, after that commit,
so a rolled-back event sends nothing and a send is never undone by a rollback. The loop is the leased
queue of ``marketplace.queue`` (as the sandbox's webhooks and the social posts are); each row goes
through its three short steps:

1. **Claimed**, in its own transaction: the due row is leased (``next_attempt_at`` pushed ``LEASE``
   ahead, ``attempts`` + 1) and committed before the send, so no transaction is open while SMTP talks
   (on PostgreSQL several workers share the queue). A reminder whose parcel was confirmed meanwhile,
   or an optional message its recipient has switched off since, is skipped here instead.
2. **Sent** through the ``Mailer`` with the row's fixed ``Message-ID`` and ``Date``: a retry is the
   same message. A worker that dies mid-send loses its lease and the row goes again (at-least-once);
   providers de-duplicate on the Message-ID, the file mailer overwrites its file.
3. **Recorded**: ``sent``; or a temporary failure kept in ``last_error`` (``retrying``, next try after
   ``RETRY``: 30 s, 1, 2, 4 … 60 min) until ``MAX_ATTEMPTS`` (``failed``); or a permanent
   one (``permanent``; a rejected address is marked bounced, so later mail to it is skipped).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from events.backoff import Backoff, poll_until_stopped
from marketplace.db import utcnow
from marketplace.notifications import services
from marketplace.notifications.mailer import AddressRejected, Mail, Mailer, MailError
from marketplace.notifications.models import Channel, Notification, NotificationStatus, SkipReason
from marketplace.notifications.whatsapp import WhatsAppSender
from marketplace.notifications.whatsapp_delivery import WhatsApps
from marketplace.orders.models import SellerOrder, SellerOrderStatus
from marketplace.queue import Failed, LeasedQueue, RetryPolicy, Sent

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # longer than one SMTP conversation can take (timeouts included)
RETRY = Backoff(initial=30.0, maximum=3600.0)
MAX_ATTEMPTS = 12  # about 8 hours of trying
PENDING = (NotificationStatus.QUEUED.value, NotificationStatus.RETRYING.value)

SessionFactory = Callable[[], Session]


def queue() -> LeasedQueue[Any, Any]:
    """The notifications as a leased queue (read at call time, so tests may change the attempts)."""
    return LeasedQueue(Notification.next_attempt_at, Notification.attempts, LEASE, RetryPolicy(MAX_ATTEMPTS, RETRY))


def deliver_due(session_factory: SessionFactory, mailer: Mailer, now: datetime, *, limit: int = 100,
                stop: threading.Event | None = None, whatsapp: WhatsAppSender | None = None) -> int:
    """Send every message due at ``now`` (up to ``limit`` per channel): the mail, then, with a
    ``whatsapp`` sender, the WhatsApp messages; how many were sent."""
    rows = queue()
    sent = rows.work(session_factory, now, _Mails(rows, mailer), limit=limit, stop=stop)
    if whatsapp is not None:
        sent += rows.work(session_factory, now, WhatsApps(rows, whatsapp), limit=limit, stop=stop)
    return sent


def _still_relevant(session: Session, row: Notification) -> bool:
    if row.seller_order_id is not None and row.kind == "order_delivery_reminder":
        status = session.scalar(select(SellerOrder.status).where(SellerOrder.id == row.seller_order_id))
        if status != SellerOrderStatus.SHIPPED.value:
            return False
    return True


@dataclass(frozen=True)
class _Mails:
    """The job: a queued or retrying row's mail, sent through the mailer; the answer is the error or None."""

    queue: LeasedQueue[Mail, MailError | None]
    mailer: Mailer

    def where(self, now: datetime) -> list[ColumnElement[bool]]:
        return [Notification.status.in_(PENDING), Notification.channel == Channel.EMAIL.value]

    def take(self, session: Session, row: Notification, now: datetime) -> Mail | None:
        """Lease the row and build its mail; or skip it (no longer relevant, opted out) and return None."""
        reason = None
        if not _still_relevant(session, row):
            reason = SkipReason.NO_LONGER_RELEVANT.value
        elif not row.transactional and row.kind in services.opted_out(session, row.recipient_id):
            reason = SkipReason.OPTED_OUT.value
        if reason is not None:
            row.status, row.skip_reason, row.next_attempt_at = NotificationStatus.SKIPPED.value, reason, None
            return None
        self.queue.take(row, now)
        return Mail(message_id=row.message_id, to=row.email or "", subject=row.subject, text=row.body_text,
                    html=row.body_html, date=row.created_at, unsubscribe_url=row.unsubscribe_url)

    def send(self, mail: Mail, now: datetime) -> MailError | None:
        try:
            self.mailer.send(mail)
        except MailError as exc:
            return exc
        return None

    def record(self, session: Session, row: Notification, mail: Mail, error: MailError | None,
               now: datetime) -> bool:
        if error is None:
            self.queue.settle(row, Sent(), now)
            row.status, row.sent_at, row.last_error = NotificationStatus.SENT.value, now, None
            log.info("mail %s (%s) sent to user %s", row.message_id, row.kind, row.recipient_id)
            return True
        row.last_error = str(error)[:500]
        if error.permanent:
            self.queue.settle(row, Failed(str(error)), now)
            row.status = NotificationStatus.PERMANENT.value
            if isinstance(error, AddressRejected) and row.email:
                services.mark_bounced(session, row.recipient_id, row.email, str(error), now)
            log.warning("mail %s (%s) refused for good: %s", row.message_id, row.kind, error)
            return False
        services.retry_or_give_up(self.queue, row, error, now, label=f"mail {row.message_id}")
        return False


class MailLoop:
    """``loop(session_factory, stop)``: send due mail every ``poll_interval`` until ``stop`` is set."""

    name = "mail"

    def __init__(self, mailer: Mailer, *, poll_interval: float = 1.0, clock: Callable[[], datetime] = utcnow,
                 whatsapp: WhatsAppSender | None = None):
        self.mailer = mailer
        self.whatsapp = whatsapp
        self.poll_interval = poll_interval
        self.clock = clock

    def __call__(self, session_factory: SessionFactory, stop: threading.Event) -> None:
        log.info("notifications: sending mail through the %s mailer, WhatsApp through %s", self.mailer.name,
                 self.whatsapp.name if self.whatsapp else "nothing (off)")
        poll_until_stopped(lambda: deliver_due(session_factory, self.mailer, self.clock(), stop=stop,
                                               whatsapp=self.whatsapp), stop,
                           interval=self.poll_interval, what="mail delivery", log=log)
        log.info("notifications: mail loop stopped")
