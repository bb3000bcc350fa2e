"""The pool's disconnect handling on PostgreSQL: a connection idle for a while is pinged before it is
handed out, and replaced if the server dropped it; one handed out again at once is not (a ping on every
request was one database round trip of each)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from marketplace import db


@pytest.fixture
def pooled(pg_url: str) -> Iterator[Engine]:
    engine = db.make_engine(pg_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_the_server_dropped_while_idle_is_replaced_before_use(pooled, pg_url, monkeypatch):
    first = _backend(pooled)
    killer = db.make_engine(pg_url)
    try:
        with killer.begin() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar() is True
    finally:
        killer.dispose()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has been idle long enough
    assert _backend(pooled) != first  # a fresh connection, and no error for the caller


def test_a_connection_handed_out_again_at_once_is_not_pinged(pooled, monkeypatch):
    pings: list[object] = []
    ping = pooled.dialect.do_ping
    monkeypatch.setattr(pooled.dialect, "do_ping", lambda conn: pings.append(conn) or ping(conn))
    same = {_backend(pooled) for _ in range(3)}
    assert len(same) == 1 and pings == []
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert _backend(pooled) in same and len(pings) == 1
