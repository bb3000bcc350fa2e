"""Account use cases: register, authenticate, browser sessions and API tokens (issue, check, revoke),
password change, create admins.

Like every service, these never commit: the request or CLI command that calls them does (ARCHITECTURE.md §8).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any
from datetime import datetime, timedelta
from functools import cache, lru_cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.accounts import lookalike
from marketplace.accounts.models import ApiToken, Role, User, UserSession
from marketplace.config import Settings
from marketplace.accounts.schemas import MIN_PASSWORD_LENGTH, password_error
from marketplace.db import utcnow
from marketplace.audit.services import record_admin_action
from marketplace.errors import Conflict, Forbidden, Unauthorized, ValidationFailed
from marketplace.figures.profile import set_profile



@lru_cache(maxsize=None)
def _hasher_for(profile: str) -> PasswordHasher:
    """argon2id with the library's recommended parameters; ``cheapest`` (argon2-cffi's profile for test
    suites, set with ``PASSWORD_HASH_PROFILE=cheapest``) only where no real password is ever stored."""
    if profile == "cheapest":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher()


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return _hasher_for(Settings.from_env().password_hash_profile)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the e-mail is unknown, so timing does not reveal which e-mails exist."""
    return _hasher().hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    return lookalike.normalise(email)


def check_password_strength(password: str, *, email: str | None = None, name: str | None = None,
                            field: str = "password") -> None:
    """The schema's password rule, for callers without a schema (``create-admin``) or whose schema cannot
    know the account (a password change: the body names no e-mail)."""
    message = password_error(password, email=email, name=name)
    if message:
        raise ValidationFailed("Password too short." if len(password) < MIN_PASSWORD_LENGTH else message,
                               fields={field: [message]})


def register(session: Session, *, email: str, password: str, name: str, role: str) -> User:
    """Create a buyer or artisan account from a loaded :class:`~marketplace.accounts.schemas.RegisterIn`
    (409 when the e-mail is taken, also when another registration wins the race for it)."""
    email = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with this e-mail already exists.", fields={"email": ["Already registered."]})
    user = User(email=email, name=name, password_hash=hash_password(password), role=role)
    try:
        with session.begin_nested():  # a savepoint: another registration may win the race for the e-mail
            session.add(user)
    except IntegrityError:
        raise Conflict("An account with this e-mail already exists.", fields={"email": ["Already registered."]}) from None
    return user


SUSPENDED_MESSAGE = "This account is suspended. Contact the Pasar Kreatif team to have it reinstated."


def authenticate(session: Session, email: str, password: str) -> User:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        verify_password(_dummy_hash(), password)
        raise Unauthorized("Wrong e-mail or password.")
    if not verify_password(user.password_hash, password):
        raise Unauthorized("Wrong e-mail or password.")
    if not user.is_active:  # told only to whoever knows the password
        raise Forbidden(SUSPENDED_MESSAGE, code="account_suspended")
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, ttl_hours: int) -> tuple[str, ApiToken]:
    token = "pk_" + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_token_hash(token), expires_at=utcnow() + timedelta(hours=ttl_hours))
    session.add(row)
    session.flush()
    return token, row


@cache
def _token_statement() -> Select[tuple[User, int, datetime | None, datetime]]:
    """A token's user with what decides whether the token is live, built once (every API request runs
    it). Only the user is loaded as an object; the token's row is read when a request needs it (a
    logout: :func:`token_row`)."""
    return select(User, ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at).join(
        User, User.id == ApiToken.user_id).where(ApiToken.token_hash == bindparam("token_hash"))


def user_for_token(session: Session, token: str, *, now: datetime | None = None) -> tuple[User, int] | None:
    """The user a live bearer token belongs to, with the token's id; None if unknown, expired or revoked.

    Every API request asks this, so the token and its user come back in one statement."""
    now = now or utcnow()
    found = session.execute(_token_statement(), {"token_hash": _token_hash(token)}).first()
    if found is None:
        return None
    user, token_id, revoked_at, expires_at = found
    if revoked_at is not None or expires_at <= now or not user.is_active:
        return None
    return user, token_id


def token_row(session: Session, token_id: int) -> ApiToken:
    """The row of a token :func:`user_for_token` accepted."""
    return session.get_one(ApiToken, token_id)


def revoke_token(session: Session, token_row: ApiToken) -> None:
    token_row.revoked_at = utcnow()


def create_admin(session: Session, *, email: str, password: str, name: str = "Admin") -> User:
    """Create an admin, or promote and reset the password of an existing account with that e-mail."""
    check_password_strength(password, email=email, name=name)
    email = normalise_email(email)
    user = session.scalar(select(User).where(User.email == email))
    before = None if user is None else {"role": user.role, "email": user.email}
    if user is None:
        user = User(email=email, name=name, password_hash=hash_password(password), role=Role.ADMIN.value)
        session.add(user)
    else:
        user.role = Role.ADMIN.value
        user.password_hash = hash_password(password)
        revoke_all_sessions(session, user.id)  # a reset password ends the old logins
    session.flush()
    # The command line has no admin of its own: the line names "cli" (and the password never).
    record_admin_action(session, None, "admin.create", "user", user.id, before,
                        {"role": user.role, "email": user.email, "password_reset": before is not None})
    return user


# --- browser sessions -------------------------------------------------------------------------------

#: ``last_seen_at`` is written at most this often per session (not once per request).
SESSION_TOUCH_SECONDS = 60


def start_session(session: Session, user: User) -> str:
    """A new server-side session for ``user``; the random id to put in the (signed) cookie.

    Only its SHA-256 is stored, as for API tokens: a copy of the table opens no browser session."""
    raw = secrets.token_urlsafe(32)
    session.add(UserSession(id=_token_hash(raw), user_id=user.id))
    session.flush()
    return raw


@cache
def _session_statement() -> Select[tuple[UserSession, User]]:
    """A session's row and its user, built once (every page request of a logged-in visitor runs it)."""
    return select(UserSession, User).join(User, User.id == UserSession.user_id).where(
        UserSession.id == bindparam("session_id"))


def user_for_session(session: Session, raw_id: str, *, idle: timedelta, lifetime: timedelta,
                     now: datetime | None = None) -> tuple[User, UserSession] | None:
    """The user of a live session, with its row; None when it is unknown, ended (logout, password
    change, suspension), idle for ``idle`` or older than ``lifetime``, or its user is deactivated."""
    now = now or utcnow()
    found = session.execute(_session_statement(), {"session_id": _token_hash(raw_id)}).first()
    if found is None:
        return None
    row, user = found
    if (row.revoked_at is not None or row.last_seen_at + idle <= now or row.created_at + lifetime <= now
            or not user.is_active):
        return None
    return user, row


def session_needs_touch(row: UserSession, now: datetime | None = None) -> bool:
    return row.last_seen_at + timedelta(seconds=SESSION_TOUCH_SECONDS) <= (now or utcnow())


def sessions_seen(session: Session, seen: Mapping[str, datetime]) -> None:
    """Record when each session (by its stored id) was last used; an ended session stays ended, and an
    older note never moves ``last_seen_at`` back. Written behind by the storefront
    (:mod:`marketplace.web.activity`): a page read does not write."""
    if not seen:
        return
    table = UserSession.__table__
    stmt = (update(table).where(table.c.id == bindparam("sid"), table.c.revoked_at.is_(None),
                                table.c.last_seen_at < bindparam("at"))
            .values(last_seen_at=bindparam("at")))
    session.execute(stmt, [{"sid": sid, "at": at} for sid, at in sorted(seen.items())])


def end_session(session: Session, raw_id: str) -> None:
    """Log out: the session's cookie opens nothing from now on, wherever it was copied to."""
    session.execute(update(UserSession).where(UserSession.id == _token_hash(raw_id), UserSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))


def revoke_all_sessions(session: Session, user_id: int) -> None:
    """End every browser session and revoke every API token of the user (password change, suspension)."""
    now = utcnow()
    session.execute(update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
                    .values(revoked_at=now))
    session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=now))


def change_password(session: Session, user: User, *, current_password: str, new_password: str) -> None:
    """Set a new password (the current one proves it is the owner); every session and token of the
    account ends, so whoever knew the old password is out. The caller opens a new session if it wants."""
    if not verify_password(user.password_hash, current_password):
        raise ValidationFailed("The current password is wrong.",
                               fields={"current_password": ["The current password is wrong."]})
    check_password_strength(new_password, email=user.email, name=user.name, field="new_password")
    user.password_hash = hash_password(new_password)
    revoke_all_sessions(session, user.id)


_UNSET = object()


def update_profile(session: Session, user: User, *, phone: object = _UNSET, **programme: Any) -> User:
    """Change what the user may change of their own account: the phone number (E.164, checked by
    ``ProfileIn``; None removes it, and WhatsApp messages stop with it). A number that WhatsApp refused
    before is simply marked in the notification settings: a new number sends again."""
    if phone is not _UNSET:
        assert phone is None or isinstance(phone, str)
        user.phone = phone
    if programme:  # birth_year, crafts: the programme profile (marketplace.figures.profile)
        set_profile(session, user.id, **programme)
    session.flush()
    return user
