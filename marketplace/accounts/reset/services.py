"""Password reset by e-mail: a signed, expiring, single-use link, sent through the notifications mailer.

The link is ``/reset-password/<token>``; the token is signed with ``SECRET_KEY`` (itsdangerous, its own
salt) and carries the user id, an expiry (``PASSWORD_RESET_TTL_MINUTES``) and a fingerprint of the
user's current password hash. Setting a new password changes the hash, so the fingerprint no longer
matches: the link works once, and any older link dies with it (as does one issued before a password
change made elsewhere). Nothing is stored for it.

Asking for a link never says whether the address has an account (same answer, and a message only
when there is one). The message is a ``password_reset`` notification queued in the request's
transaction; the notifications worker's mail loop sends it, with the retries every mail gets. A reset
ends every session and API token of the user (``accounts.services.revoke_all_sessions``).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from marshmallow import Schema, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.accounts.schemas import EMAIL_LONG_MESSAGE, EMAIL_MAX, password_error
from marketplace.accounts.services import hash_password, normalise_email, revoke_all_sessions
from marketplace.config import Settings
from marketplace.errors import ValidationFailed
from marketplace.fields import REQUIRED, Text
from marketplace.notifications import services as notifications
from marketplace.notifications.models import Notification

SALT = "password-reset"
INVALID_LINK = "This password reset link is invalid, has expired or has already been used."


def _password_rule(value: str) -> None:
    message = password_error(value)
    if message:
        raise validate.ValidationError(message)


class ForgotPasswordIn(Schema):
    email = Text(required=True, validate=[validate.Length(min=1, error=REQUIRED),
                                          validate.Length(max=EMAIL_MAX, error=EMAIL_LONG_MESSAGE)])


class ResetPasswordIn(Schema):
    password = Text(required=True, load_only=True, validate=_password_rule)


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.effective_secret_key(), salt=SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:24]


def make_token(settings: Settings, user: User, now: datetime) -> tuple[str, datetime]:
    """A reset token for ``user`` and when it expires."""
    expires = now + timedelta(minutes=settings.password_reset_ttl_minutes)
    token = _serializer(settings).dumps({"u": user.id, "p": _fingerprint(user), "e": int(expires.timestamp())})
    return token, expires


def user_for_token(session: Session, settings: Settings, token: str, now: datetime) -> User:
    """The user a live token is for; ``ValidationFailed`` when it is forged, expired or already used."""
    try:
        data = _serializer(settings).loads(token)
    except BadSignature:
        raise ValidationFailed(INVALID_LINK) from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("e"), int):
        raise ValidationFailed(INVALID_LINK)
    if now.timestamp() >= data["e"]:
        raise ValidationFailed(INVALID_LINK)
    user = session.get(User, data["u"])
    if user is None or not user.is_active or data.get("p") != _fingerprint(user):
        raise ValidationFailed(INVALID_LINK)
    return user


def request_reset(session: Session, settings: Settings, email: str, now: datetime) -> Notification | None:
    """Queue the reset mail for the account with this e-mail, if there is one (the caller says the same
    thing either way)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active:
        return None
    token, expires = make_token(settings, user, now)
    reset_url = f"{settings.public_base_url.rstrip('/')}/reset-password/{token}"
    return notifications.queue(
        session, settings, event_id=f"password-reset-{uuid.uuid4()}", event_type="password_reset.requested",
        kind="password_reset", recipient=user, now=now,
        context={"reset_url": reset_url, "expires_at": expires, "ttl_minutes": settings.password_reset_ttl_minutes},
    )


def reset_password(session: Session, settings: Settings, token: str, password: str, now: datetime) -> User:
    """Set the new password (checked by ``ResetPasswordIn``); the token and the user's API tokens die."""
    user = user_for_token(session, settings, token, now)
    personal = password_error(password, email=user.email, name=user.name)  # the schema knows no user
    if personal:
        raise ValidationFailed(personal, fields={"password": [personal]})
    user.password_hash = hash_password(password)
    revoke_all_sessions(session, user.id)  # whoever knew the old password is out, everywhere
    session.flush()
    return user
