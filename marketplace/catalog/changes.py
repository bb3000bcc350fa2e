"""The catalogue version: a number that changes whenever a committed transaction wrote the catalogue.

What anonymous visitors see of the catalogue (home, search, listing pages, ``GET /api/v1/listings``)
is built from the rows of :data:`CATALOG_TABLES`. :mod:`marketplace.pagecache` keeps copies of those
answers tagged with :func:`version` and drops a copy as soon as the version moved.

- **This process.** An engine event (on every engine of the process: the web app's, the workers',
  CLI commands', scripts') notes each ``INSERT``/``UPDATE``/``DELETE`` on a catalogue table — ORM
  flushes, Core statements such as checkout's stock reservation, raw SQL — and the version is raised
  when that connection commits (a rollback forgets it). Imported by :mod:`marketplace.db`, so any
  process that can write the database announces its writes.
- **Other processes (PostgreSQL).** Just before such a commit the same connection sends
  ``NOTIFY pk_catalog``, inside the transaction: PostgreSQL delivers it only if the commit succeeds.
  A web process runs one :class:`Listener` (a daemon thread with its own ``LISTEN`` connection) that
  raises the version on every notification — another gunicorn worker's, a worker process's, another
  host's — within milliseconds, and on every (re)connection (what was announced while it was not
  listening). ``Listener.listening_since`` tells the cache since when that holds. The payload names
  the sending process (a random id, new in every forked child), so a process skips its own
  announcements: it raised its version at its commit already; and the schema written, since the
  channel is database-wide: a deployment (or a parallel test process) in another schema of the same
  database changes another catalogue, not ours.
- **SQLite** has no notifications: there, and while the listener is down, the cache keeps copies only
  briefly (``pagecache.UNNOTIFIED_SECONDS``).

Nothing here imports Flask: workers and the relay load it through :mod:`marketplace.db`.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

#: Tables whose rows an anonymous catalogue page shows.
CATALOG_TABLES = frozenset({"listings", "listing_images", "shops", "sentra"})
CHANNEL = "pk_catalog"
_WRITE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+(?:"?\w+"?\.)?"?(\w+)"?', re.I)
_WRITTEN = "pk_catalog_written"  # key in the connection's ``info``: this transaction wrote the catalogue

log = logging.getLogger(__name__)
_version = 0
_version_lock = threading.Lock()
_origin = secrets.token_hex(8)


def _new_origin() -> None:
    global _origin
    _origin = secrets.token_hex(8)


os.register_at_fork(after_in_child=_new_origin)  # gunicorn's workers are forks of one process


def version() -> int:
    """This process's catalogue version."""
    return _version


def bump() -> None:
    global _version
    with _version_lock:
        _version += 1


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if statement[:1] in ("S", "s"):  # SELECT, the common case, decided on one character
        return
    match = _WRITE.match(statement)
    if match and match.group(1).lower() in CATALOG_TABLES:
        conn.info[_WRITTEN] = True


@event.listens_for(Engine, "commit")
def _announce(conn: Any) -> None:
    """Runs just before the DBAPI commit: NOTIFY (PostgreSQL) inside the transaction, then raise ours."""
    if not conn.info.pop(_WRITTEN, False):
        return
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute("SELECT pg_notify(%s, %s || ':' || current_schema())", (CHANNEL, _origin))
        finally:
            cursor.close()
    bump()


@event.listens_for(Engine, "rollback")
def _forget(conn: Any) -> None:
    conn.info.pop(_WRITTEN, None)


class Listener:
    """One ``LISTEN pk_catalog`` connection per process and database, in a daemon thread
    (:class:`events.wakeup.PostgresListener`, which reconnects with backoff); it raises the version on
    every notification of another process about our schema, and on every (re)connection."""

    _started: dict[str, "Listener"] = {}
    _lock = threading.Lock()

    def __init__(self, engine: Engine):
        from events.wakeup import PostgresListener

        self._pid = os.getpid()
        self._listener = PostgresListener(engine, CHANNEL, what="catalogue changes", accept=_from_others,
                                          on_listen=bump)  # whatever was announced while we were not listening
        threading.Thread(target=self._listener.run_forever, args=(bump,), name="pk-catalog-listen",
                         daemon=True).start()

    @property
    def listening_since(self) -> float | None:
        """``time.monotonic()`` since which other processes' changes reach us; None while not listening
        (and in a forked child, where the thread did not follow: gunicorn ``--preload``)."""
        return self._listener.listening_since if os.getpid() == self._pid else None

    @classmethod
    def for_engine(cls, engine: Engine) -> "Listener | None":
        """The process's listener for ``engine``'s database (started on first use); None on SQLite."""
        if engine.dialect.name != "postgresql":
            return None
        key = f"{os.getpid()}:{engine.url}"
        with cls._lock:
            if key not in cls._started:
                cls._started[key] = cls(engine)
            return cls._started[key]


def _from_others(payload: str, schema: str) -> bool:
    """``<origin>:<schema>``: another process's write to our schema (ours bumped at its commit)."""
    origin, _, written = payload.partition(":")
    return origin != _origin and written == schema
