"""WhatsApp's delivery statuses: the Cloud API webhook's body checked and applied, once each.

Meta signs every webhook POST with the app secret: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of
the raw body>``; :func:`signature_valid` compares in constant time and refuses a missing secret, so a
forged status never reaches the database. The body (``object: whatsapp_business_account``, ``entry[]
.changes[].value.statuses[]``, each with the message ``id`` we got when sending, a ``status`` of
``sent`` | ``delivered`` | ``read`` | ``failed``, a ``timestamp`` and, when failed, ``errors[]``) is
applied by :func:`apply_statuses`: each (message id, status) is recorded once with the one "record
once" helper (``marketplace.once.record_once`` into ``processed_webhooks``), so Meta's retries change
nothing; a status never moves a message backwards (a late ``delivered`` after ``read`` is kept only
as recorded); ``failed`` is kept with its error for the admins and, when the error says the number
cannot get WhatsApp, the number is marked on the user as a refused send would mark it.

Payloads hold phone numbers (``recipient_id``, ``metadata``): nothing here logs them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.notifications import services
from marketplace.notifications.models import Channel, DeliveryStatus, Notification
from marketplace.notifications.whatsapp import RECIPIENT_CODES
from marketplace.once import record_once
from marketplace.payments.models import ProcessedWebhook

log = logging.getLogger(__name__)

RANK = {DeliveryStatus.SENT.value: 1, DeliveryStatus.DELIVERED.value: 2, DeliveryStatus.READ.value: 3}
KNOWN = frozenset(s.value for s in DeliveryStatus)


class InvalidPayload(ValueError):
    """The body is not a WhatsApp Business Account webhook."""


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str
    status: str
    recipient: str  # the wa_id (a phone number without "+"): compared, never logged
    error_code: int | None = None
    error: str | None = None


def signature_valid(app_secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is ``sha256=`` and the HMAC-SHA256 of ``body`` with ``app_secret``."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256="):].strip().lower())


def parse_statuses(payload: Any) -> list[StatusUpdate]:
    """The statuses in a webhook body (messages and other fields are not ours to handle: ignored)."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account" \
            or not isinstance(payload.get("entry"), list):
        raise InvalidPayload("not a whatsapp_business_account webhook")
    found = []
    for entry in payload["entry"]:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            for status in (value.get("statuses") or []) if isinstance(value, dict) else []:
                if not isinstance(status, dict) or not isinstance(status.get("id"), str) \
                        or status.get("status") not in KNOWN:
                    continue
                errors = status.get("errors") if isinstance(status.get("errors"), list) else []
                first = errors[0] if errors and isinstance(errors[0], dict) else {}
                code = first.get("code") if isinstance(first.get("code"), int) else None
                text = first.get("title") or first.get("message")
                found.append(StatusUpdate(status["id"][:128], status["status"], str(status.get("recipient_id") or ""),
                                          code, str(text)[:300] if text else None))
    return found


def apply_statuses(session: Session, updates: list[StatusUpdate], now: datetime) -> int:
    """Apply each update once (see the module doc); how many changed a message."""
    changed = 0
    for update in updates:
        if not record_once(session, ProcessedWebhook, event_id=f"whatsapp:{update.message_id}:{update.status}",
                           type="whatsapp.status", received_at=now):
            continue
        row = session.scalar(select(Notification).where(Notification.external_id == update.message_id,
                                                        Notification.channel == Channel.WHATSAPP.value))
        if row is None:
            log.info("whatsapp status %s for a message we did not send: ignored", update.status)
            continue
        if update.status == DeliveryStatus.FAILED.value:
            row.delivery_status, row.delivery_status_at = update.status, now
            row.last_error = (f"code {update.error_code}: " if update.error_code else "") + (update.error or "failed")
            if update.error_code in RECIPIENT_CODES:
                user = session.get(User, row.recipient_id)
                if user is not None and user.phone and user.phone == "+" + update.recipient.lstrip("+"):
                    services.mark_phone_failed(session, user.id, user.phone, row.last_error, now)
            changed += 1
        elif row.delivery_status != DeliveryStatus.FAILED.value and \
                RANK[update.status] > RANK.get(row.delivery_status or "", 0):
            row.delivery_status, row.delivery_status_at = update.status, now
            changed += 1
        log.info("whatsapp %s (%s): %s", row.id, row.kind, update.status)
    session.flush()
    return changed
