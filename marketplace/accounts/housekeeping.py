"""Purging ended sessions and API tokens (a scheduler job, ``marketplace.orders.scheduler``).

An ended row opens nothing (``services.user_for_session`` and the token check refuse it), so keeping it
serves only someone asking "when did this browser log out?". Rows are kept ``ENDED_RETENTION`` after
they ended — revoked (logout, password change, suspension), idle past ``SESSION_IDLE_HOURS``, past
``SESSION_MAX_DAYS`` from the login, or (tokens) past their expiry — and then deleted, a bounded batch
per round, so the tables hold the live sessions and a month of history, not every login since launch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import ApiToken, UserSession
from marketplace.db import transaction

ENDED_RETENTION = timedelta(days=30)
BATCH = 1000


def purge_ended(factory: Callable[[], Session], now: datetime, *, idle: timedelta, lifetime: timedelta,
                retention: timedelta = ENDED_RETENTION, batch: int = BATCH) -> int:
    """Delete up to ``batch`` sessions and ``batch`` tokens that ended more than ``retention`` ago; how many."""
    cutoff = now - retention
    with transaction(factory) as session:
        ended_sessions = select(UserSession.id).where(or_(
            UserSession.revoked_at < cutoff,
            UserSession.last_seen_at < cutoff - idle,
            UserSession.created_at < cutoff - lifetime,
        )).limit(batch)
        ids = list(session.scalars(ended_sessions))
        if ids:
            session.execute(delete(UserSession).where(UserSession.id.in_(ids)))
        ended_tokens = select(ApiToken.id).where(or_(
            ApiToken.revoked_at < cutoff, ApiToken.expires_at < cutoff)).limit(batch)
        token_ids = list(session.scalars(ended_tokens))
        if token_ids:
            session.execute(delete(ApiToken).where(ApiToken.id.in_(token_ids)))
    return len(ids) + len(token_ids)
