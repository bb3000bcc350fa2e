"""The shared LISTEN/NOTIFY listener (events.wakeup): woken by its own schema's commits only."""

from __future__ import annotations

import threading

from sqlalchemy import text

from events.wakeup import PostgresListener
from marketplace.db import make_engine
from tests.conftest import fresh_pg_schema
from tests.threads import in_thread


def _notify(url: str, channel: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_notify(:c, current_schema())"), {"c": channel})
    finally:
        engine.dispose()


def test_a_commit_in_our_schema_wakes_the_listener_and_one_in_another_schema_does_not(pg_url, request):
    channel, stop = "pk_test_wakeup", threading.Event()
    engine = make_engine(pg_url)
    listener = PostgresListener(engine, channel)
    try:
        assert listener.listen() and listener.listening_since is not None
        with fresh_pg_schema(request.config._pk_pg_url, "pk_other") as other_url:
            _notify(other_url, channel)
            assert listener.wait(1.0, stop) is False  # another deployment's commit
        _notify(pg_url, channel)
        assert listener.wait(5.0, stop) is True
        assert listener.wait(0.3, stop) is False  # woken once, nothing left over
    finally:
        listener.close()
        engine.dispose()
    assert listener.listening_since is None


def test_a_listener_that_cannot_connect_polls_and_backs_off(pg_url, caplog):
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    listener = PostgresListener(engine, "pk_test_wakeup", what="probe")
    try:
        assert listener.wait(0.2, threading.Event()) is False
        assert listener.listen() is False  # backing off: not retried at once
        assert "probe: cannot LISTEN" in caplog.text
    finally:
        engine.dispose()


def test_a_listener_whose_connection_is_killed_listens_again_after_its_backoff(pg_url):
    """A database restart (here: the listening backend terminated) is followed by a new LISTEN within the
    backoff, and the next commit wakes the listener again (``run_forever``, as the caches' threads run)."""
    import time

    channel, woken, listened = "pk_test_wakeup_kill", threading.Event(), []
    engine = make_engine(pg_url)
    listener = PostgresListener(engine, channel, what="probe", on_listen=lambda: listened.append(time.monotonic()))
    try:
        with in_thread(listener.run_forever, woken.set, what="the listener", timeout=5):
            deadline = time.monotonic() + 10
            while len(listened) < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert listened, "never listened"
            with engine.begin() as conn:
                killed = conn.execute(text("SELECT pg_terminate_backend(:pid)"),
                                      {"pid": listener._conn.info.backend_pid}).scalar()
            assert killed is True
            while len(listened) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(listened) == 2, "did not listen again after the connection was killed"
            woken.clear()
            _notify(pg_url, channel)
            assert woken.wait(5.0)
    finally:
        engine.dispose()
