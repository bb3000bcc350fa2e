"""How an idle relay learns that the outbox has a new committed row, without polling the table hard.

The relay is a process of its own (``marketplace relay``), so nothing in the web app's process can
call it; what they share is the database. Each database gets the cheapest signal it offers, and the
relay keeps its table poll only as a fallback (``Relay.poll_interval``, seconds):

- **PostgreSQL: LISTEN/NOTIFY.** ``events.outbox.record`` issues ``pg_notify('outbox', '')`` in the
  writing transaction; PostgreSQL delivers it when (and only if) that transaction commits.
  :class:`PostgresListener` holds one dedicated connection (autocommit, outside the pool) that
  ``LISTEN``\\ s, and waits on its socket: the relay wakes within a millisecond of the commit. A
  listener whose connection broke (database restart) is reopened at the next wait; meanwhile the
  fallback poll publishes.
- **SQLite: the commit counter.** SQLite has no notification between processes (its update hook sees
  only its own connection's writes), and watching the database file is neither portable (inotify is
  Linux's and not in the standard library) nor precise (WAL appends, checkpoints and the ``-shm`` file
  change it for reads of the wal-index too). ``PRAGMA data_version`` is SQLite's own answer to "has
  another connection committed since I last asked": in WAL mode it is read from the shared-memory
  wal-index header, no disk I/O and no lock that a writer waits for. :class:`SqliteCommitWatch` asks it
  every ``interval`` (20 ms) and wakes the relay when it moved; only then does the relay run its
  claim (an indexed ``sent_at IS NULL`` lookup). So an idle relay costs ~50 microsecond-sized calls a
  second, and a commit is seen within 20 ms. Any commit moves the counter (the workers' inbox rows, the
  relay's own stamps): each costs one cheap empty claim at most every ``interval``.

Both only *shorten* a wait: a missed or spurious wake-up is harmless, because the relay always claims
what is committed and unsent, in id order, whatever woke it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from typing import Any, Protocol

from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

SLICE = 0.25  # seconds: how long a wait may go without looking at the stop event


class Wakeup(Protocol):
    def start(self) -> None:
        """Begin watching (before the relay's first claim, so no commit falls between the two)."""

    def wait(self, timeout: float, stop: threading.Event) -> bool:
        """Return True as soon as something was committed, False after ``timeout`` or once ``stop`` is set."""

    def close(self) -> None: ...


class PollOnly:
    """No signal: the relay's fallback poll is all there is (an unknown database, or tests)."""

    def start(self) -> None:
        pass

    def wait(self, timeout: float, stop: threading.Event) -> bool:
        stop.wait(timeout)
        return False

    def close(self) -> None:
        pass


class PostgresListener:
    """``LISTEN <channel>`` on a dedicated connection; ``wait`` returns on the first notification."""

    def __init__(self, engine: Engine, channel: str):
        self.engine = engine
        self.channel = channel
        self._conn: Any = None

    def start(self) -> None:
        if self._conn is not None:
            return
        pooled = self.engine.raw_connection()
        conn = pooled.driver_connection
        pooled.detach()  # ours for good: the pool must never hand a LISTENing connection to anyone else
        try:
            conn.autocommit = True
            conn.execute(f'LISTEN "{self.channel}"')
        except Exception:
            conn.close()
            raise
        self._conn = conn

    def wait(self, timeout: float, stop: threading.Event) -> bool:
        import psycopg
        from sqlalchemy.exc import SQLAlchemyError

        deadline = time.monotonic() + timeout
        try:
            self.start()
            while not stop.is_set() and (remaining := deadline - time.monotonic()) > 0:
                if self._received(min(remaining, SLICE)):
                    while self._received(0):  # commits that came together wake the relay once
                        pass
                    return True
        except (psycopg.Error, SQLAlchemyError, OSError) as exc:
            log.warning("relay: lost the LISTEN connection (%s); polling until it is back", exc)
            self.close()
            stop.wait(max(0.0, deadline - time.monotonic()))
        return False

    def _received(self, timeout: float) -> bool:
        for _ in self._conn.notifies(timeout=timeout, stop_after=1):
            return True
        return False

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped anyway
                log.debug("closing the LISTEN connection raised", exc_info=True)


class SqliteCommitWatch:
    """Wakes when ``PRAGMA data_version`` moved: another connection committed to the database file."""

    def __init__(self, path: str, interval: float = 0.02):
        self.path = path
        self.interval = interval
        self._conn: sqlite3.Connection | None = None
        self._version: int | None = None

    def start(self) -> None:
        if self._conn is None:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=5)
            self._version = self._read()

    def _read(self) -> int:
        assert self._conn is not None
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def wait(self, timeout: float, stop: threading.Event) -> bool:
        deadline = time.monotonic() + timeout
        try:
            self.start()
            while (remaining := deadline - time.monotonic()) > 0:
                version = self._read()
                if version != self._version:
                    self._version = version
                    return True
                if stop.wait(min(remaining, self.interval)):
                    return False
        except sqlite3.Error as exc:
            log.warning("relay: cannot read the SQLite commit counter (%s); polling", exc)
            self.close()
            stop.wait(max(0.0, deadline - time.monotonic()))
        return False

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def wakeup_for(engine: Engine, *, channel: str, sqlite_interval: float = 0.02) -> Wakeup:
    """The best signal ``engine``'s database offers (see the module docstring)."""
    name = engine.dialect.name
    if name == "postgresql" and engine.dialect.driver == "psycopg":
        return PostgresListener(engine, channel)
    database = engine.url.database
    if name == "sqlite" and database and database != ":memory:" and not database.startswith("file:"):
        return SqliteCommitWatch(database, sqlite_interval)
    return PollOnly()
