"""Notification use cases: queue a message for a user, read and change their preferences, mark a
bounce. Like every service these never commit (ARCHITECTURE.md §8): the worker's runner commits the
rows with the event's inbox row, the request commits a preference change or a password-reset mail.

:func:`queue` is where "who gets what" is decided once: a user without an e-mail address, one who
switched an optional message off, or whose address bounced gets a ``skipped`` row saying why (so an
admin can see it), never a send. Everything else is rendered now, in the recipient's language, and
given its ``Message-ID`` now, so every later attempt sends the same message.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.config import Settings
from marketplace.notifications.kinds import KINDS, LANGUAGES, optional_kinds
from marketplace.notifications.mailer import mail_domain
from marketplace.notifications.models import (
    Notification, NotificationOptOut, NotificationPreference, NotificationStatus, SkipReason,
)
from marketplace.notifications.rendering import language_or_default, render

SETTINGS_PATH = "/account/notifications"


def preference(session: Session, user_id: int) -> NotificationPreference | None:
    return session.get(NotificationPreference, user_id)


def language_of(session: Session, user_id: int) -> str:
    pref = preference(session, user_id)
    return language_or_default(pref.language if pref else None)


def opted_out(session: Session, user_id: int) -> set[str]:
    return set(session.scalars(select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user_id)))


def update_preferences(session: Session, user: User, *, language: str, wanted: Iterable[str], now: datetime) -> None:
    """Save the settings page: the language, and which of the user's optional messages they want
    (every optional kind of their role not in ``wanted`` is opted out). The schema checked the values."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    pref = preference(session, user.id)
    if pref is None:
        pref = NotificationPreference(user_id=user.id, updated_at=now)
        session.add(pref)
    pref.language, pref.updated_at = language, now
    offered = {k.name for k in optional_kinds(user.role)}
    off = offered - set(wanted)
    session.execute(delete(NotificationOptOut).where(NotificationOptOut.user_id == user.id,
                                                     NotificationOptOut.kind.in_(offered)))
    session.add_all(NotificationOptOut(user_id=user.id, kind=k, created_at=now) for k in sorted(off))
    session.flush()


def mark_bounced(session: Session, user_id: int, email: str, reason: str, now: datetime) -> None:
    """Remember that ``email`` bounced for good: later mail to this user at it is skipped (until they
    change their address)."""
    pref = preference(session, user_id)
    if pref is None:
        pref = NotificationPreference(user_id=user_id, updated_at=now)
        session.add(pref)
    pref.bounced_email, pref.bounce_reason, pref.bounced_at = email, reason[:500], now


def _skip_reason(session: Session, user: User, kind: str) -> str | None:
    email = (user.email or "").strip()
    if not email:
        return SkipReason.NO_EMAIL.value
    if not KINDS[kind].transactional and kind in opted_out(session, user.id):
        return SkipReason.OPTED_OUT.value
    pref = preference(session, user.id)
    if pref is not None and pref.bounced_email and pref.bounced_email.lower() == email.lower():
        return SkipReason.ADDRESS_BOUNCED.value
    return None


def queue(
    session: Session, settings: Settings, *, event_id: str, event_type: str, kind: str, recipient: User,
    context: dict[str, Any], now: datetime, send_at: datetime | None = None, seller_order_id: int | None = None,
) -> Notification:
    """The message ``kind`` for ``recipient`` about event ``event_id``: queued (due at ``send_at``,
    else now) or skipped with the reason. Once per (event, recipient, kind): a second call returns the
    first row."""
    existing = session.scalar(select(Notification).where(
        Notification.event_id == event_id, Notification.recipient_id == recipient.id, Notification.kind == kind))
    if existing is not None:
        return existing
    spec = KINDS[kind]
    language = language_of(session, recipient.id)
    row = Notification(
        event_id=event_id, event_type=event_type, kind=kind, recipient_id=recipient.id,
        email=(recipient.email or "").strip() or None, language=language, transactional=spec.transactional,
        seller_order_id=seller_order_id, message_id=f"<{uuid.uuid4().hex}.{kind}@{mail_domain(settings.mail_from)}>",
        attempts=0, created_at=now,
    )
    reason = _skip_reason(session, recipient, kind)
    if reason is not None:
        row.status, row.skip_reason, row.next_attempt_at = NotificationStatus.SKIPPED.value, reason, None
    else:
        base = settings.public_base_url.rstrip("/")
        rendered = render(kind, language, {**context, "user": recipient, "base_url": base,
                                           "settings_url": base + SETTINGS_PATH})
        row.subject, row.body_text, row.body_html = rendered.subject, rendered.text, rendered.html
        row.unsubscribe_url = None if spec.transactional else base + SETTINGS_PATH
        row.status, row.next_attempt_at = NotificationStatus.QUEUED.value, send_at or now
    session.add(row)
    session.flush()
    return row


def recent(session: Session, limit: int = 200) -> list[Notification]:
    """The newest rows first (the admins' mail page)."""
    return list(session.scalars(select(Notification).order_by(Notification.id.desc()).limit(limit)))


def preferences_of(session: Session, user: User) -> dict[str, Any]:
    """What the settings page and the API show: language, the optional messages offered and wanted."""
    pref = preference(session, user.id)
    offered = [k.name for k in optional_kinds(user.role)]
    off = opted_out(session, user.id)
    return {"language": language_or_default(pref.language if pref else None), "offered": offered,
            "wanted": [k for k in offered if k not in off], "bounced_email": pref.bounced_email if pref else None}
