"""Rate-limit counters in the application's own SQL database, shared by every web process.

flask-limiter's ``memory://`` storage counts per process: with gunicorn's two workers a limit of 10
logins a minute let 20 through. Redis (``RATELIMIT_STORAGE_URI=redis://…``) shares the counters in
production, but the embedded run must not need it; so the default, ``RATELIMIT_STORAGE_URI=database``,
keeps the counters in a small table of the database every process already shares (SQLite file or
PostgreSQL).

Each hit is one statement, an atomic UPSERT that starts a new window when the old one has expired and
returns the count (``INSERT … ON CONFLICT (key) DO UPDATE … RETURNING``, on SQLite ≥ 3.35 and
PostgreSQL alike), committed on its own connection at once: a counter must survive the request's
rollback (a failed login answers 401, and its transaction is rolled back). Only the fixed-window
strategy (flask-limiter's default) is supported.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from marketplace.ops.models import KEY_MAX as _KEY_MAX, RateLimitCounter

#: The ``RATELIMIT_STORAGE_URI`` value that means "the application's database" (the default).
DATABASE_STORAGE = "database"
#: Expired windows are deleted every this many hits of a process (a few rows per client address).
_PURGE_EVERY = 200


def _once_more_if_lost(fn: Any) -> Any:
    """Run ``fn`` again, once, on a fresh connection when the server had closed the pooled one (a
    restart, a failover, ``pg_terminate_backend``): SQLAlchemy has discarded it and the pool's others
    (``connection_invalidated``). A counter is one statement, so at worst a hit lost with the
    connection is counted twice; without this a login after such a close answered 503, or 500 when it
    was the response's ``X-RateLimit`` headers that met it (after the view, past every error handler)."""
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DBAPIError as err:
            if not err.connection_invalidated:
                raise
            return fn(*args, **kwargs)

    return run


def _db_key(key: str) -> str:
    if len(key) <= _KEY_MAX:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


class DatabaseStorage(Storage):
    """A ``limits`` storage on a SQLAlchemy engine: ``engine`` when given (tests), else the write
    engine of the app serving the request (``RATELIMIT_STORAGE_URI=database://``), so the counters use
    the app's own connection pool and die with it. flask-limiter keeps one storage for its one
    ``limiter`` object, whichever app initialised it last; looking the engine up per call keeps each
    app on its own database."""

    STORAGE_SCHEME = [DATABASE_STORAGE]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, *, engine: Engine | None = None,
                 **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self._engine = engine
        self._table = RateLimitCounter.__table__
        self._hits_since_purge = 0

    @property
    def engine(self) -> Engine:
        if self._engine is not None:
            return self._engine
        from flask import current_app

        return current_app.extensions["db"].write_engine

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def _insert(self) -> Any:
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            return postgresql.insert(self._table)
        if dialect == "sqlite":
            return sqlite.insert(self._table)
        raise NotImplementedError(f"no rate-limit UPSERT for the {dialect} dialect")

    @_once_more_if_lost
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        t = self._table.c
        stmt = self._insert().values(key=_db_key(key), hits=amount, expires_at=now + expiry)
        expired = t.expires_at <= now
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.key],
            set_={"hits": case((expired, amount), else_=t.hits + amount),
                  "expires_at": case((expired, now + expiry), else_=t.expires_at)},
        ).returning(t.hits)
        with self.engine.begin() as conn:
            hits = int(conn.execute(stmt).scalar_one())
            self._hits_since_purge += 1
            if self._hits_since_purge >= _PURGE_EVERY:
                self._hits_since_purge = 0
                conn.execute(delete(self._table).where(t.expires_at <= now))
        return hits

    @_once_more_if_lost
    def _row(self, key: str) -> tuple[int, float] | None:
        t = self._table.c
        with self.engine.connect() as conn:
            row = conn.execute(select(t.hits, t.expires_at).where(t.key == _db_key(key))).first()
        if row is None or row.expires_at <= time.time():
            return None
        return int(row.hits), float(row.expires_at)

    def get(self, key: str) -> int:
        row = self._row(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row[1] if row else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except (SQLAlchemyError, RuntimeError):  # RuntimeError: no engine given and no app serving
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(self._table)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(self._table).where(self._table.c.key == _db_key(key)))
