"""WhatsApp's customer-service window: a business may send free-form text to a number only within 24
hours of that number's last message to it; outside the window only an approved template goes (Cloud
API; error 131047 otherwise). The webhook's inbound ``messages[]`` (``entry[].changes[].value.messages
[]``, each with the sender's ``from`` — a wa_id, the number without ``+`` — and a Unix ``timestamp``)
are recorded here as the time each of our users last wrote, on their notification preference row;
the delivery loop asks :func:`window_open` before building a message.

Only the time and the number it came from are kept (a new number opens no window on the old one's
credit); never the text. Nothing here logs a number.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.notifications.models import NotificationPreference

log = logging.getLogger(__name__)

#: How long after the user's last message free-form text is allowed.
WINDOW = timedelta(hours=24)
#: Kept short of the window's end, so a message queued at its edge does not arrive after it closed.
MARGIN = timedelta(minutes=10)


@dataclass(frozen=True)
class Inbound:
    phone: str  # E.164, "+" and the wa_id: compared, never logged
    at: datetime


def parse_inbound(payload: Any) -> list[Inbound]:
    """The inbound messages of a webhook body (already checked to be a WhatsApp Business Account one):
    who wrote and when. Malformed entries are skipped."""
    found = []
    for entry in payload.get("entry") or [] if isinstance(payload, dict) else []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            for message in (value.get("messages") or []) if isinstance(value, dict) else []:
                if not isinstance(message, dict) or not str(message.get("from", "")).isdigit():
                    continue
                try:
                    at = datetime.fromtimestamp(int(message.get("timestamp")), tz=timezone.utc)
                except (TypeError, ValueError, OverflowError, OSError):
                    continue
                found.append(Inbound("+" + str(message["from"])[:15], at))
    return found


def record_inbound(session: Session, messages: list[Inbound], now: datetime) -> int:
    """Note, for each user whose number wrote, the time of their latest message (never later than
    ``now``: a sender's clock cannot stretch the window); how many users' windows moved."""
    moved = 0
    for message in messages:
        at = min(message.at, now)
        for user in session.scalars(select(User).where(User.phone == message.phone)):
            pref = session.get(NotificationPreference, user.id)
            if pref is None:
                pref = NotificationPreference(user_id=user.id)
                session.add(pref)
            if pref.whatsapp_inbound_phone == message.phone and pref.whatsapp_inbound_at is not None \
                    and pref.whatsapp_inbound_at >= at:
                continue
            pref.whatsapp_inbound_at, pref.whatsapp_inbound_phone = at, message.phone
            moved += 1
            log.info("whatsapp message from user %s: the 24-hour window is open", user.id)
    session.flush()
    return moved


def window_open(pref: NotificationPreference | None, phone: str | None, now: datetime) -> bool:
    """Whether a free-form message to ``phone`` is allowed ``now``."""
    return bool(pref and phone and pref.whatsapp_inbound_phone == phone and pref.whatsapp_inbound_at
                and now < pref.whatsapp_inbound_at + WINDOW - MARGIN)


def close_window(pref: NotificationPreference | None) -> None:
    """The API said the window is closed (131047): the next try goes as a template."""
    if pref is not None:
        pref.whatsapp_inbound_at = None
