"""Operational tables that belong to no feature: the shared rate-limit counters
(:mod:`marketplace.web.ratelimit` keeps flask-limiter's windows in them)."""

from __future__ import annotations

from sqlalchemy import Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base

#: The longest counter key stored as is (longer keys are stored as their SHA-256).
KEY_MAX = 255


class RateLimitCounter(Base):
    """One fixed window of one limit for one client: ``hits`` so far, until ``expires_at`` (epoch s)."""

    __tablename__ = "rate_limit_counters"
    __table_args__ = (Index("ix_rate_limit_counters_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    hits: Mapped[int] = mapped_column()
    expires_at: Mapped[float] = mapped_column(Float())
