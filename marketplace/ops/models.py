"""Operational tables that belong to no feature: the shared rate-limit counters
(:mod:`marketplace.web.ratelimit` keeps flask-limiter's windows in them) and the outside services'
circuit breakers (:mod:`marketplace.ops.breakers`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime

#: The longest counter key stored as is (longer keys are stored as their SHA-256).
KEY_MAX = 255


class RateLimitCounter(Base):
    """One fixed window of one limit for one client: ``hits`` so far, until ``expires_at`` (epoch s)."""

    __tablename__ = "rate_limit_counters"
    __table_args__ = (Index("ix_rate_limit_counters_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    hits: Mapped[int] = mapped_column()
    expires_at: Mapped[float] = mapped_column(Float())


class OutsideService(Base):
    """The last opening or closing of an outside service's circuit breaker seen by any process
    (:mod:`marketplace.ops.breakers`); ``/readyz`` reports a recent opening as a degraded service."""

    __tablename__ = "outside_services"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[str] = mapped_column(String(10))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
