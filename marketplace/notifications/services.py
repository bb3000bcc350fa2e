"""Notification use cases: queue a message for a user, read and change their preferences, mark a
bounce. Like every service these never commit (ARCHITECTURE.md §8): the worker's runner commits the
rows with the event's inbox row, the request commits a preference change or a password-reset mail.

:func:`queue` is where "who gets what" is decided once: a user without an e-mail address, one who
switched an optional message off, or whose address bounced gets a ``skipped`` row saying why (so an
admin can see it), never a send. Everything else is rendered now, in the recipient's language, and
given its ``Message-ID`` now, so every later attempt sends the same message.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.config import Settings
from marketplace.errors import ValidationFailed
from marketplace.notifications import whatsapp_texts
from marketplace.notifications.kinds import KINDS, LANGUAGES, optional_kinds
from marketplace.notifications.mailer import mail_domain
from marketplace.notifications.models import (
    Channel, Notification, NotificationOptOut, NotificationPreference, NotificationStatus, SkipReason,
)
from marketplace.language_paths import localize_links
from marketplace.notifications.rendering import language_or_default, render
from marketplace.notifications.schemas import WHATSAPP_NEEDS_PHONE
from marketplace.queue import Failed, LeasedQueue, Retry

log = logging.getLogger(__name__)

SETTINGS_PATH = "/account/notifications"


def preference(session: Session, user_id: int) -> NotificationPreference | None:
    return session.get(NotificationPreference, user_id)


def language_of(session: Session, user_id: int) -> str:
    pref = preference(session, user_id)
    return language_or_default(pref.language if pref else None)


def opted_out(session: Session, user_id: int) -> set[str]:
    return set(session.scalars(select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user_id)))


def _preference_row(session: Session, user_id: int, now: datetime) -> NotificationPreference:
    pref = preference(session, user_id)
    if pref is None:
        pref = NotificationPreference(user_id=user_id, updated_at=now, whatsapp=False)
        session.add(pref)
    return pref


def update_preferences(session: Session, user: User, *, language: str, wanted: Iterable[str], now: datetime,
                       whatsapp: bool | None = None) -> None:
    """Save the settings page: the language, which of the user's optional messages they want (every
    optional kind of their role not in ``wanted`` is opted out) and, when given, the WhatsApp opt-in
    (messages go only while it is on and the account has a phone number). The schema checked the values."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    pref = _preference_row(session, user.id, now)
    pref.language, pref.updated_at = language, now
    if whatsapp and not user.phone:
        raise ValidationFailed(WHATSAPP_NEEDS_PHONE, fields={"whatsapp": [WHATSAPP_NEEDS_PHONE]})
    if whatsapp is not None:
        pref.whatsapp = whatsapp
    offered = {k.name for k in optional_kinds(user.role)}
    off = offered - set(wanted)
    session.execute(delete(NotificationOptOut).where(NotificationOptOut.user_id == user.id,
                                                     NotificationOptOut.kind.in_(offered)))
    session.add_all(NotificationOptOut(user_id=user.id, kind=k, created_at=now) for k in sorted(off))
    session.flush()


def mark_bounced(session: Session, user_id: int, email: str, reason: str, now: datetime) -> None:
    """Remember that ``email`` bounced for good: later mail to this user at it is skipped (until they
    change their address)."""
    pref = _preference_row(session, user_id, now)
    pref.bounced_email, pref.bounce_reason, pref.bounced_at = email, reason[:500], now


def mark_phone_failed(session: Session, user_id: int, phone: str, reason: str, now: datetime) -> None:
    """Remember that WhatsApp refused ``phone`` for good: later WhatsApp messages to it are skipped
    (until the user changes their number); e-mail is not affected."""
    pref = _preference_row(session, user_id, now)
    pref.whatsapp_failed_phone, pref.whatsapp_failure_reason, pref.whatsapp_failed_at = phone, reason[:500], now


def whatsapp_blocked(session: Session, user: User) -> str | None:
    """Why no WhatsApp message may go to ``user`` now (a :class:`SkipReason`, or ``"not_opted_in"``); None: it may."""
    pref = preference(session, user.id)
    if pref is None or not pref.whatsapp:
        return SkipReason.OPTED_OUT.value
    if not user.phone:
        return SkipReason.NO_PHONE.value
    if pref.whatsapp_failed_phone and pref.whatsapp_failed_phone == user.phone:
        return SkipReason.PHONE_FAILED.value
    return None


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
    if kind in whatsapp_texts.KINDS:
        queue_whatsapp(session, settings, event_id=event_id, event_type=event_type, kind=kind, recipient=recipient,
                       context=context, now=now)
    existing = session.scalar(select(Notification).where(
        Notification.event_id == event_id, Notification.recipient_id == recipient.id, Notification.kind == kind,
        Notification.channel == Channel.EMAIL.value))
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
        links = localize_links({**context, "settings_url": base + SETTINGS_PATH}, base, language)
        rendered = render(kind, language, {**links, "user": recipient, "base_url": base})
        row.subject, row.body_text, row.body_html = rendered.subject, rendered.text, rendered.html
        row.unsubscribe_url = None if spec.transactional else links["settings_url"]
        row.status, row.next_attempt_at = NotificationStatus.QUEUED.value, send_at or now
    session.add(row)
    session.flush()
    return row


def queue_whatsapp(
    session: Session, settings: Settings, *, event_id: str, event_type: str, kind: str, recipient: User,
    context: dict[str, Any], now: datetime,
) -> Notification | None:
    """The WhatsApp message ``kind`` for ``recipient``, beside (or, for kinds without mail, instead of)
    the e-mail: queued only with ``WHATSAPP_PROVIDER`` on, for a user who opted in and has a phone
    number (else no row at all: most users have no WhatsApp here); ``skipped`` when their number was
    refused for good before. Once per (event, recipient, kind). The row holds the template's
    parameters and the text, never the number: the delivery loop reads it from the user when sending."""
    if settings.whatsapp_provider == "off":
        return None
    reason = whatsapp_blocked(session, recipient)
    if reason in (SkipReason.OPTED_OUT.value, SkipReason.NO_PHONE.value):
        return None
    existing = session.scalar(select(Notification).where(
        Notification.event_id == event_id, Notification.recipient_id == recipient.id, Notification.kind == kind,
        Notification.channel == Channel.WHATSAPP.value))
    if existing is not None:
        return existing
    language = language_of(session, recipient.id)
    base = settings.public_base_url.rstrip("/")
    params = whatsapp_texts.parameters(kind, language, {**localize_links(context, base, language),
                                                        "user": recipient, "base_url": base})
    row = Notification(
        event_id=event_id, event_type=event_type, kind=kind, channel=Channel.WHATSAPP.value, recipient_id=recipient.id,
        language=language, transactional=True, message_id=f"wa-{uuid.uuid4().hex}.{kind}",
        subject=whatsapp_texts.template_name(kind), body_text=whatsapp_texts.text(kind, language, params),
        parameters=json.dumps(params, ensure_ascii=False), attempts=0, created_at=now,
    )
    if reason is not None:
        row.status, row.skip_reason, row.next_attempt_at = NotificationStatus.SKIPPED.value, reason, None
    else:
        row.status, row.next_attempt_at = NotificationStatus.QUEUED.value, now
    session.add(row)
    session.flush()
    return row


def recent(session: Session, limit: int = 200, channel: str = Channel.EMAIL.value) -> list[Notification]:
    """The newest rows of ``channel`` first (the admins' mail and WhatsApp pages)."""
    return list(session.scalars(select(Notification).where(Notification.channel == channel)
                                .order_by(Notification.id.desc()).limit(limit)))


def preferences_of(session: Session, user: User) -> dict[str, Any]:
    """What the settings page and the API show: language, the optional messages offered and wanted."""
    pref = preference(session, user.id)
    offered = [k.name for k in optional_kinds(user.role)]
    off = opted_out(session, user.id)
    failed = bool(pref and pref.whatsapp_failed_phone and pref.whatsapp_failed_phone == user.phone)
    return {"language": language_or_default(pref.language if pref else None), "offered": offered,
            "wanted": [k for k in offered if k not in off], "bounced_email": pref.bounced_email if pref else None,
            "whatsapp": bool(pref and pref.whatsapp), "phone": user.phone, "whatsapp_number_failed": failed}


def retry_or_give_up(queue: LeasedQueue, row: Notification, error: object, now: datetime, *, label: str,
                     after: float = 0.0) -> None:
    """A message that failed for now, on either channel: due again after the queue's back-off (or
    ``after`` seconds, the receiver's ``Retry-After``, if longer), or given up once its attempts are
    spent; ``row.status`` says which, and the log names the message by ``label``."""
    outcome = queue.settle(row, Retry(str(error), after=after), now)
    if isinstance(outcome, Failed):
        row.status = NotificationStatus.FAILED.value
        log.error("%s (%s) given up after %d attempts: %s", label, row.kind, row.attempts, error)
        return
    assert isinstance(outcome, Retry)
    row.status = NotificationStatus.RETRYING.value
    log.warning("%s (%s) attempt %d failed (%s); next in %.0fs", label, row.kind, row.attempts, error, outcome.after)
