"""The notifications worker's mail loop: send what the handlers queued, retry what failed, record all.

The handler only writes rows (in the event's transaction); sending happens here, after that commit,
so a rolled-back event sends nothing and a send is never undone by a rollback. As in the sandbox's
webhook delivery (``marketplace.payments.delivery``), each row goes through three short steps:

1. **Claimed**, in its own transaction: the due row is leased (``next_attempt_at`` pushed ``LEASE``
   ahead, ``attempts`` + 1) and committed before the send, so no transaction is open while SMTP talks
   (on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several workers share the queue). A reminder whose
   parcel was confirmed meanwhile, or an optional message its recipient has switched off since, is
   skipped here instead.
2. **Sent** through the ``Mailer`` with the row's fixed ``Message-ID`` and ``Date``: a retry is the
   same message. A worker that dies mid-send loses its lease and the row goes again (at-least-once);
   providers de-duplicate on the Message-ID, the file mailer overwrites its file.
3. **Recorded**: ``sent``; or a temporary failure kept in ``last_error`` (``retrying``, next try after
   ``events.backoff``: 30 s, 1, 2, 4 … 60 min) until ``MAX_ATTEMPTS`` (``failed``); or a permanent
   one (``permanent``; a rejected address is marked bounced, so later mail to it is skipped).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from events.backoff import Backoff, poll_until_stopped
from marketplace.db import is_sqlite, transaction, utcnow
from marketplace.notifications import services
from marketplace.notifications.mailer import AddressRejected, Mail, Mailer, MailError
from marketplace.notifications.models import Notification, NotificationStatus, SkipReason
from marketplace.orders.models import SellerOrder, SellerOrderStatus

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # longer than one SMTP conversation can take (timeouts included)
RETRY = Backoff(initial=30.0, maximum=3600.0)
MAX_ATTEMPTS = 12  # about 8 hours of trying
PENDING = (NotificationStatus.QUEUED.value, NotificationStatus.RETRYING.value)

SessionFactory = Callable[[], Session]


def deliver_due(session_factory: SessionFactory, mailer: Mailer, now: datetime, *, limit: int = 100,
                stop: threading.Event | None = None) -> int:
    """Send every message due at ``now`` (up to ``limit``); how many were sent."""
    sent = 0
    for _ in range(limit):
        if stop is not None and stop.is_set():
            break
        claimed = _claim(session_factory, now)
        if claimed is None:
            break
        if isinstance(claimed, int):  # skipped at claim time: nothing to send
            continue
        notification_id, mail, attempt = claimed
        error: MailError | None = None
        try:
            mailer.send(mail)
        except MailError as exc:
            error = exc
        _record(session_factory, notification_id, attempt, error, now)
        sent += error is None
    return sent


def _still_relevant(session: Session, row: Notification) -> bool:
    if row.seller_order_id is not None and row.kind == "order_delivery_reminder":
        status = session.scalar(select(SellerOrder.status).where(SellerOrder.id == row.seller_order_id))
        if status != SellerOrderStatus.SHIPPED.value:
            return False
    return True


def _claim(session_factory: SessionFactory, now: datetime) -> tuple[int, Mail, int] | int | None:
    """Lease the next due row: its id, its mail and this attempt's number; a row id when it was
    skipped instead; None when nothing is due."""
    with transaction(session_factory) as session:
        stmt = (select(Notification)
                .where(Notification.status.in_(PENDING), Notification.next_attempt_at.is_not(None),
                       Notification.next_attempt_at <= now)
                .order_by(Notification.next_attempt_at, Notification.id).limit(1))
        if not is_sqlite(session):  # SQLite's writer already holds the only write lock
            stmt = stmt.with_for_update(skip_locked=True)
        row = session.scalar(stmt)
        if row is None:
            return None
        reason = None
        if not _still_relevant(session, row):
            reason = SkipReason.NO_LONGER_RELEVANT.value
        elif not row.transactional and row.kind in services.opted_out(session, row.recipient_id):
            reason = SkipReason.OPTED_OUT.value
        if reason is not None:
            row.status, row.skip_reason, row.next_attempt_at = NotificationStatus.SKIPPED.value, reason, None
            return row.id
        row.attempts += 1
        row.next_attempt_at = now + LEASE
        mail = Mail(message_id=row.message_id, to=row.email or "", subject=row.subject, text=row.body_text,
                    html=row.body_html, date=row.created_at, unsubscribe_url=row.unsubscribe_url)
        return row.id, mail, row.attempts


def _record(session_factory: SessionFactory, notification_id: int, attempt: int, error: MailError | None,
            now: datetime) -> None:
    with transaction(session_factory) as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        if error is None:
            row.status, row.sent_at, row.next_attempt_at, row.last_error = NotificationStatus.SENT.value, now, None, None
            log.info("mail %s (%s) sent to user %s", row.message_id, row.kind, row.recipient_id)
            return
        row.last_error = str(error)[:500]
        if error.permanent:
            row.status, row.next_attempt_at = NotificationStatus.PERMANENT.value, None
            if isinstance(error, AddressRejected) and row.email:
                services.mark_bounced(session, row.recipient_id, row.email, str(error), now)
            log.warning("mail %s (%s) refused for good: %s", row.message_id, row.kind, error)
            return
        if attempt >= MAX_ATTEMPTS:
            row.status, row.next_attempt_at = NotificationStatus.FAILED.value, None
            log.error("mail %s (%s) given up after %d attempts: %s", row.message_id, row.kind, attempt, error)
            return
        delay = RETRY.after(attempt)
        row.status, row.next_attempt_at = NotificationStatus.RETRYING.value, now + timedelta(seconds=delay)
        log.warning("mail %s (%s) attempt %d failed (%s); next in %.0fs", row.message_id, row.kind, attempt, error, delay)


class MailLoop:
    """``loop(session_factory, stop)``: send due mail every ``poll_interval`` until ``stop`` is set."""

    name = "mail"

    def __init__(self, mailer: Mailer, *, poll_interval: float = 1.0, clock: Callable[[], datetime] = utcnow):
        self.mailer = mailer
        self.poll_interval = poll_interval
        self.clock = clock

    def __call__(self, session_factory: SessionFactory, stop: threading.Event) -> None:
        log.info("notifications: sending mail through the %s mailer", self.mailer.name)
        poll_until_stopped(lambda: deliver_due(session_factory, self.mailer, self.clock(), stop=stop), stop,
                           interval=self.poll_interval, what="mail delivery", log=log)
        log.info("notifications: mail loop stopped")
