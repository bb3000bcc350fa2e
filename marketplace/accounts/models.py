"""Users, their browser sessions and their API tokens (both revocable server-side)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, UTCDateTime, utcnow


class Role(str, enum.Enum):
    BUYER = "buyer"
    ARTISAN = "artisan"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('buyer', 'artisan', 'admin')", name="role_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The voucher a buyer applied to their cart (``marketplace.vouchers``; no foreign key: accounts sit
    #: below the features), used by their next checkout. On the user row, which every request reads
    #: anyway, so a checkout without a code reads nothing more (issue #15's statement count).
    cart_voucher_id: Mapped[int | None] = mapped_column(default=None)
    #: E.164 (``+62812…``), for WhatsApp only; personal data (ARCHITECTURE.md §9): shown to nobody but
    #: the user and the messaging channel, never in events or logs.
    phone: Mapped[str | None] = mapped_column(String(16), default=None)

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user", cascade="all, delete-orphan")
    sessions: Mapped[list["UserSession"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    @property
    def is_artisan(self) -> bool:
        return self.role == Role.ARTISAN.value


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, so a database leak does not leak live tokens."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    user: Mapped[User] = relationship(back_populates="tokens")


class UserSession(Base):
    """A logged-in browser: the signed session cookie carries only a random id whose SHA-256 is ``id``.

    Checked on every page request (``marketplace.web.auth``), so logging out, a password
    change or a suspension ends it on the server: a cookie copied before that opens nothing. It also
    ends after ``SESSION_IDLE_HOURS`` without a request and ``SESSION_MAX_DAYS`` after the login.
    ``last_seen_at`` is written at most once a minute per session, not on every request."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    user: Mapped[User] = relationship(back_populates="sessions")
