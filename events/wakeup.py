"""How an idle relay learns that the outbox has a new committed row, without polling the table hard.

The relay is a process of its own (``marketplace relay``), so nothing in the web app's process can
call it; what they share is the database. Each database gets the cheapest signal it offers, and the
relay keeps its table poll only as a fallback (``Relay.poll_interval``, seconds):

- **PostgreSQL: LISTEN/NOTIFY.** ``events.outbox.record`` issues ``pg_notify('outbox',
  current_schema())`` in the writing transaction; PostgreSQL delivers it when (and only if) that
  transaction commits. :class:`PostgresListener` holds one dedicated connection (autocommit, outside
  the pool) that ``LISTEN``\\ s, and waits on its socket: the relay wakes within a millisecond of the
  commit of a transaction of its own schema (channels are database-wide; the payload says whose
  commit it was). A listener whose connection broke (database restart) is reopened after a backoff;
  meanwhile the fallback poll publishes. The sandbox webhook loop and the catalogue's page-cache
  version use the same listener on channels of their own.
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
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from events.backoff import Backoff

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


def schema_payload(payload: str, schema: str) -> bool:
    """The default filter: a notification's payload is the schema the sending transaction wrote
    (``pg_notify(channel, current_schema())``). Channels are database-wide; another schema's commits
    are another deployment's (or another test process's) and would only cost an empty claim."""
    return payload == schema


class PostgresListener:
    """``LISTEN <channel>`` on a dedicated connection: the one piece every LISTEN/NOTIFY user shares
    (the relay, the sandbox webhook loop, the catalogue's page-cache version).

    - :meth:`wait` returns True on the first accepted notification (those that came together wake
      once), False after ``timeout`` or once ``stop`` is set; :meth:`run_forever` is the thread
      variant, calling ``on_notify`` for each wake-up until ``stop``.
    - ``accept(payload, schema)`` filters: by default the payload must name the schema this
      connection works in (:func:`schema_payload`).
    - The connection is psycopg's own (autocommit, outside the pool: the pool must never hand a
      LISTENing connection to anyone else). When it cannot be opened or breaks, the failure is logged
      once per attempt, waits fall back to plain sleeps (the caller's poll) and it is opened again
      after a backoff (0.5 s doubling to 30 s); ``listening_since`` is None meanwhile, and
      ``on_listen`` runs at every (re)connection (what was sent while nobody listened is lost).
    """

    def __init__(self, engine: Engine, channel: str, *, what: str = "relay",
                 accept: Callable[[str, str], bool] = schema_payload,
                 on_listen: Callable[[], None] | None = None):
        self.engine = engine
        self.channel = channel
        self.what = what
        self.accept = accept
        self.on_listen = on_listen
        self.schema: str | None = None
        self.listening_since: float | None = None
        self.backoff = Backoff(0.5, 30.0)
        self._failures = 0  # in a row: the backoff's attempt number, 0 once listening
        self._retry_at = 0.0
        self._conn: Any = None

    def listen(self) -> bool:
        """Listen now unless already listening or backing off; whether it listens. Never raises."""
        if self._conn is not None:
            return True
        if time.monotonic() < self._retry_at:
            return False
        import psycopg

        try:
            args, kwargs = self.engine.dialect.create_connect_args(self.engine.url)
            conn = psycopg.connect(*args, **{**kwargs, "autocommit": True})
            try:
                conn.execute(f'LISTEN "{self.channel}"')
                self.schema = conn.execute("SELECT current_schema()").fetchone()[0]  # type: ignore[index]
            except BaseException:
                conn.close()
                raise
        except Exception as exc:  # noqa: BLE001 - any failure means "not listening": poll, retry later
            self._failed("cannot LISTEN", exc)
            return False
        self._conn = conn
        self._failures = 0
        if self.on_listen is not None:
            self.on_listen()
        self.listening_since = time.monotonic()
        return True

    start = listen  # the ``Wakeup`` protocol's name

    def wait(self, timeout: float, stop: threading.Event) -> bool:
        import psycopg

        deadline = time.monotonic() + timeout
        if not stop.is_set() and self.listen():
            try:
                while not stop.is_set() and (remaining := deadline - time.monotonic()) > 0:
                    if self._received(min(remaining, SLICE)):
                        for _ in self._conn.notifies(timeout=0):  # commits that came together wake once
                            pass
                        return True
            except (psycopg.Error, OSError) as exc:
                self._failed("lost the LISTEN connection", exc)
                # Back to the caller once the backoff is over, not at its deadline: ``run_forever`` waits
                # an hour while listening, and would otherwise listen again only an hour later.
                deadline = min(deadline, self._retry_at)
        stop.wait(max(0.0, deadline - time.monotonic()))
        return False

    def run_forever(self, on_notify: Callable[[], None], stop: threading.Event | None = None) -> None:
        """Call ``on_notify`` on every wake-up until ``stop`` (for a daemon thread: forever)."""
        stop = stop or threading.Event()
        try:
            while not stop.is_set():
                wait = 3600.0 if self.listen() else max(0.05, self._retry_at - time.monotonic())
                if self.wait(wait, stop):
                    on_notify()
        finally:
            self.close()

    def _received(self, timeout: float) -> bool:
        for notice in self._conn.notifies(timeout=timeout, stop_after=1):
            return self.accept(notice.payload, self.schema or "")
        return False

    def _failed(self, what: str, exc: BaseException) -> None:
        self.close()
        self._failures += 1
        delay = self.backoff.delay(self._failures)
        self._retry_at = time.monotonic() + delay
        log.warning("%s: %s (%s); polling, listening again in %.1f s", self.what, what, exc, delay)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        self.listening_since = None
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
