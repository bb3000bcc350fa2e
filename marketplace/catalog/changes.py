"""The catalogue versions: numbers that change whenever a committed transaction wrote the catalogue.

What visitors see of the catalogue (home, search, listing pages, ``GET /api/v1/listings``) is built
from the rows of :data:`CATALOG_TABLES`. Two versions follow them:

- :meth:`CatalogChanges.version`, the **full** version, moves on every committed write of those tables.
  :mod:`marketplace.web.pagecache` tags its copies of whole pages with it (a page shows the stock: "sold
  out", "only N left").
- :meth:`CatalogChanges.listing_set_version`, the **listing-set** version, moves on the same writes *except* an
  ``UPDATE listings`` that assigns only ``stock`` (and ``updated_at``): checkout's reservation and a
  cancellation's restock, the busiest writes of a shop. Which listings are approved, their titles,
  prices, photos, shops and places are unchanged by those, so what is computed from them alone
  (:mod:`marketplace.catalog.memo`: the home page's counts and newest ids, a search's page of ids) is
  tagged with this version and survives a checkout. Anything :func:`classify` cannot read as
  stock-only is a full change.

The versions belong to a :class:`CatalogChanges`, built by whoever owns the engines (the web app, a
worker process, the relay, the scheduler, a CLI command, a test fixture) and installed on them by an
explicit call (``Database(url, hooks=[CatalogChanges()])``); importing this module installs nothing.

- **This process.** An engine event (on every engine the owner installed it on) notes each ``INSERT``/``UPDATE``/``DELETE`` on a catalogue table — ORM
  flushes, Core statements such as checkout's stock reservation, raw SQL — and the versions are raised
  when that connection commits (a rollback forgets it): once just before the DBAPI commit, and once
  more when the connection is next used or returned to the pool, after the commit. The second raise
  drops what a reader computed in between, from rows read before the commit landed but tagged with
  the version the first raise set.
- **Other processes (PostgreSQL).** Just before such a commit the same connection sends
  ``NOTIFY pk_catalog``, inside the transaction: PostgreSQL delivers it only if the commit succeeds
  (unless a statement of the transaction carried it already: :func:`announced_in_statement`).
  A web app runs one :class:`Listener` (:meth:`CatalogChanges.listen`: a daemon thread with its own ``LISTEN`` connection) that
  raises the versions on every notification — another gunicorn worker's, a worker process's, another
  host's — within milliseconds, and on every (re)connection (what was announced while it was not
  listening). ``Listener.listening_since`` tells the caches since when that holds. The payload,
  ``<origin>[/stock]:<schema>``, names the sending owner (a random id, new in every forked child),
  so an owner skips its own announcements: it raised its versions at its commit already; the kind
  (``/stock``: a stock-only change, which raises the full version only; none: everything); and the
  schema written, since the channel is database-wide: a deployment (or a parallel test process) in
  another schema of the same database changes another catalogue, not ours.
- **SQLite** has no notifications: there, and while the listener is down, the caches keep what they
  hold only briefly (:data:`UNNOTIFIED_SECONDS`, see :func:`lifetime`).

Nothing here imports Flask: workers, the relay and the scheduler install it too.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

#: Tables whose rows a catalogue page shows (a listing's and shop's reviews and their photos too, so a new
#: review or a hide is on the next page copy, and ``sort=rating`` is never answered from an old memo).
CATALOG_TABLES = frozenset({"listings", "listing_images", "listing_variants", "shops", "sentra", "reviews",
                            "review_photos"})
CHANNEL = "pk_catalog"
#: How long a cached catalogue answer may serve when other processes' changes cannot be announced to
#: this one (SQLite, or the LISTEN connection is down): the bound on how late they are seen.
UNNOTIFIED_SECONDS = 2.0
#: Kinds of catalogue write: ``FULL`` moves both versions, ``STOCK`` (an UPDATE of listings' stock
#: only) moves :func:`version` alone.
FULL = "full"
STOCK = "stock"
#: The columns a stock-only ``UPDATE listings`` may assign (``updated_at``: the model's ``onupdate``).
STOCK_COLUMNS = frozenset({"stock", "updated_at"})
_WRITE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE\s+(?:OR\s+\w+\s+)?(?:ONLY\s+)?'
    r'|DELETE\s+FROM\s+(?:ONLY\s+)?|TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?|MERGE\s+INTO\s+)\s*'
    r'(?:"?\w+"?\.)?"?(\w+)"?', re.I)
_UPDATE = re.compile(r'^\s*UPDATE\s', re.I)
_WITH = re.compile(r'^\s*WITH\s', re.I)
_DML_TARGET = re.compile(
    r'\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|MERGE\s+INTO)'
    r'\s+(?:ONLY\s+)?(?:"?\w+"?\.)?"?(\w+)"?', re.I)
_SET = re.compile(r'\s+(?:(?:AS\s+)?(?!SET\b)"?\w+"?\s+)?SET\s', re.I)
_TOKEN = re.compile(r"""\s+|'(?:[^']|'')*'|"(?:[^"]|"")*"|\w+|::|.""", re.S)
_CLAUSE_END = frozenset({"WHERE", "RETURNING", "FROM"})
_CATALOG_WORD = re.compile(r"\b(?:" + "|".join(sorted(CATALOG_TABLES)) + r")\b", re.I)
_WRITE_WORD = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE|TRUNCATE)\b", re.I)
_WRITTEN = "pk_catalog_written"  # key in the connection's ``info``: what this transaction wrote of the catalogue
_COMMITTED = "pk_catalog_committed"  # ... and what it committed, to raise once more after the commit
_BEGUN = "pk_catalog_begun"  # the versions when the connection's transaction began
_ANNOUNCED = "pk_catalog_announced"  # the kind a statement of this transaction already NOTIFYed (announced_in_statement)
_OWNER = "pk_catalog_owner"  # the CatalogChanges installed on the connection's engine (set as a transaction begins)

log = logging.getLogger(__name__)


def lifetime(seconds: float, listener: "Listener | None", stored: float) -> float:
    """How long an answer cached at ``stored`` (``time.monotonic()``) may serve: ``seconds`` while other
    processes' changes are announced to us since before it was made, else at most
    :data:`UNNOTIFIED_SECONDS` (SQLite, or the listening connection is down or came up later)."""
    since = listener.listening_since if listener is not None else None
    if since is not None and since <= stored:
        return seconds
    return min(seconds, UNNOTIFIED_SECONDS)


def classify(statement: str) -> str | None:
    """What ``statement`` writes of the catalogue: None (nothing: a read, or another table),
    :data:`STOCK` (an ``UPDATE listings`` assigning only :data:`STOCK_COLUMNS`, ``stock`` among them) or
    :data:`FULL` (anything else, including what cannot be read with certainty)."""
    if statement[:1] in ("S", "s"):  # SELECT, the common case, decided on one character
        return None
    return _classify(statement)


@lru_cache(maxsize=512)  # statements are the few texts SQLAlchemy compiles and caches
def _classify(statement: str) -> str | None:
    match = _WRITE.match(statement)
    if match is None:
        if _WITH.match(statement):
            # ``WITH taken AS (DELETE FROM cart_items … RETURNING …) SELECT … FROM listings …``: what it
            # writes is the target of each INSERT/UPDATE/DELETE/MERGE in it (``FOR UPDATE [OF t]``
            # names no target here: "of", "skip" or nothing follow it).
            targets = {found.group(1).lower() for found in _DML_TARGET.finditer(statement)}
            return FULL if targets & CATALOG_TABLES else None
        # A statement of another shape (a procedure, ``EXECUTE``) that may write a catalogue table:
        # a full change, to be safe.
        if _WRITE_WORD.search(statement) and _CATALOG_WORD.search(statement):
            return FULL
        return None
    table = match.group(1).lower()
    if table not in CATALOG_TABLES:
        return None
    if table == "listings" and _UPDATE.match(statement):
        columns = _set_columns(statement, match.end())
        if columns is not None and "stock" in columns and columns <= STOCK_COLUMNS:
            return STOCK
    return FULL


def _set_columns(statement: str, start: int) -> frozenset[str] | None:
    """The columns assigned by the ``SET`` clause of an UPDATE whose table name ends at ``start``;
    None when the clause is not a plain ``col = expr, …`` list (row assignments, unbalanced text)."""
    found = _SET.match(statement, start)
    if found is None:
        return None
    columns: set[str] = set()
    depth = 0
    expect = "column"  # then "=", then "value" (an expression, up to a top-level comma)
    tokens = _TOKEN.findall(statement, found.end())
    if ";" in tokens:  # more than one statement: not read further
        return None
    for token in tokens:
        if token.isspace():
            continue
        if depth == 0:
            if expect == "column":
                if token.startswith('"') and len(token) > 1:
                    columns.add(token[1:-1].replace('""', '"').lower())
                elif token[0].isalpha() or token[0] == "_":
                    columns.add(token.lower())
                else:
                    return None
                expect = "="
                continue
            if expect == "=":
                if token != "=":
                    return None
                expect = "value"
                continue
            if token == ",":
                expect = "column"
                continue
            if token.upper() in _CLAUSE_END:
                break
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
            if depth < 0:
                return None
    if depth != 0 or expect != "value":
        return None
    return frozenset(columns)


def pending(conn: Any) -> bool:
    """Whether ``conn``'s open transaction wrote the catalogue (not committed yet)."""
    return _WRITTEN in conn.info


def versions_at_begin(conn: Any) -> tuple[int, int] | None:
    """(full, listing-set) versions when ``conn``'s open transaction began, if known: what a cache must
    tag a value computed in that transaction with, where it reads one snapshot (SQLite, or PostgreSQL
    above READ COMMITTED) taken at or after the beginning — the versions may have moved since, by a
    commit that snapshot does not see."""
    return conn.info.get(_BEGUN)  # type: ignore[no-any-return]


def _note_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    kind = classify(statement)
    if kind is None:
        return
    if kind == FULL or conn.info.get(_WRITTEN) != FULL:
        conn.info[_WRITTEN] = kind


@contextmanager
def stock_only(conn: Any) -> Iterator[None]:
    """The statements run inside write stock only (listings' ``stock`` and ``updated_at``, variants'
    ``stock``), whatever their text says to :func:`classify`: checkout's one reservation statement, a
    ``WITH`` that updates both tables. The caller vouches for it; a full change noted before stays full."""
    before = conn.info.get(_WRITTEN)
    try:
        yield
    finally:
        conn.info[_WRITTEN] = FULL if before == FULL else STOCK


#: The announcement as an SQL expression, for a statement to carry it (:func:`announcement_params`).
ANNOUNCEMENT_SQL = "pg_notify(:pk_catalog_channel, :pk_catalog_payload || ':' || current_schema())"


def announcement_params(conn: Any, kind: str) -> dict[str, str]:
    """The parameters of :data:`ANNOUNCEMENT_SQL` for a write of ``kind`` through ``conn`` (in a
    transaction), from the :class:`CatalogChanges` installed on its engine (no origin without one: every
    listener then takes it for another process's)."""
    owner = conn.info.get(_OWNER)
    origin = owner.origin if owner is not None else ""
    return {"pk_catalog_channel": CHANNEL, "pk_catalog_payload": origin + ("/" + STOCK if kind == STOCK else "")}


def announced_in_statement(conn: Any, kind: str) -> None:
    """A statement of ``conn``'s transaction (PostgreSQL) evaluated :data:`ANNOUNCEMENT_SQL` for ``kind``:
    the commit need not send it again (checkout's stock reservation carries it in its ``RETURNING``,
    which saves a round trip). Inside a savepoint nothing is noted, since rolling the savepoint back
    would take the notification along."""
    if not conn.in_nested_transaction() and conn.info.get(_ANNOUNCED) != FULL:
        conn.info[_ANNOUNCED] = kind


class CatalogChanges:
    """The catalogue versions of one owner of engines — a web app, a worker process, a CLI command —
    and what keeps them: listeners installed on its engines by :meth:`install`, and the LISTEN
    connections started by :meth:`listen` (stopped by :meth:`close`).

    Nothing is installed by importing this module: whoever builds an engine installs this on it
    (``Database(hooks=[CatalogChanges()])``), so a process announces the catalogue writes of the engines
    it chose, and two owners in one process (tests) keep apart versions, as two processes would."""

    def __init__(self) -> None:
        self._version = 0
        self._set_version = 0
        self._lock = threading.Lock()
        #: Names this owner's announcements, so its listener skips them (new in every forked child).
        self.origin = secrets.token_hex(8)
        self._follows_forks = False
        self._listeners: dict[str, Listener] = {}
        self._stop = threading.Event()

    # --- installing ---------------------------------------------------------------------------------

    def install(self, engine: Engine) -> None:
        """Note each catalogue write through ``engine`` and raise the versions when it commits (once per
        engine; the first call also renews :attr:`origin` in every forked child: gunicorn's workers
        are forks of one process)."""
        if event.contains(engine, "commit", self._announce):
            return
        event.listen(engine, "before_cursor_execute", _note_write)
        event.listen(engine, "commit", self._announce)
        event.listen(engine, "begin", self._next_transaction)
        event.listen(engine, "rollback", self._forget)
        event.listen(engine, "checkin", self._returned)
        if not self._follows_forks:
            self._follows_forks = True
            os.register_at_fork(after_in_child=partial(_renew_origin, weakref.ref(self)))

    def close(self) -> None:
        """Stop the listeners (their threads end within a quarter second and close their connections)."""
        self._stop.set()

    # --- the versions ---------------------------------------------------------------------------------

    def version(self) -> int:
        """The full catalogue version: moves on every committed catalogue write."""
        return self._version

    def listing_set_version(self) -> int:
        """The listing-set version: moves on every committed catalogue write except stock-only updates
        of listings (see the module doc)."""
        return self._set_version

    def bump(self, kind: str = FULL) -> None:
        """Raise the full version, and the listing-set version unless ``kind`` is :data:`STOCK`."""
        with self._lock:
            self._version += 1
            if kind != STOCK:
                self._set_version += 1

    # --- other processes ----------------------------------------------------------------------------

    def listen(self, engine: Engine) -> "Listener | None":
        """This owner's listener for ``engine``'s database (started on first use); None on SQLite."""
        if engine.dialect.name != "postgresql":
            return None
        key = f"{os.getpid()}:{engine.url}"
        with self._lock:
            if key not in self._listeners:
                self._listeners[key] = Listener(engine, self, self._stop)
            return self._listeners[key]

    def from_others(self, payload: str, schema: str) -> bool:
        """``<origin>[/stock]:<schema>``: another owner's write to our schema (ours bumped at its commit).

        True wakes the listener, which then raises both versions (and takes every notification queued
        with this one without looking at them: a full raise covers them all). A stock-only notification
        raises the full version here and answers False, so the listener keeps reading one by one."""
        sender, _, written = payload.partition(":")
        origin, _, kind = sender.partition("/")
        if origin == self.origin or written != schema:
            return False
        if kind == STOCK:
            self.bump(STOCK)
            return False
        return True

    # --- the engine events ----------------------------------------------------------------------------

    def _announce(self, conn: Any) -> None:
        """Runs just before the DBAPI commit: NOTIFY (PostgreSQL) inside the transaction, then raise ours."""
        kind = conn.info.pop(_WRITTEN, None)
        announced = conn.info.pop(_ANNOUNCED, None)
        if kind is None:
            return
        if conn.dialect.name == "postgresql" and announced not in (kind, FULL):
            dbapi = conn.connection.dbapi_connection
            cursor = dbapi.cursor()
            try:
                cursor.execute("SELECT pg_notify(%(pk_catalog_channel)s, %(pk_catalog_payload)s || ':' || current_schema())",
                               announcement_params(conn, kind))
            except conn.dialect.loaded_dbapi.OperationalError as err:
                # The server closed the connection before the commit (nothing was committed): raised as
                # SQLAlchemy's, so the web app answers 503 ``database_busy`` as for any lost write.
                raise OperationalError("SELECT pg_notify(...)", None, err, connection_invalidated=dbapi.closed) from err
            finally:
                cursor.close()
        self.bump(kind)
        conn.info[_COMMITTED] = kind

    def _after_commit(self, info: dict[str, Any]) -> None:
        kind = info.pop(_COMMITTED, None)
        if kind is not None:
            self.bump(kind)

    def _next_transaction(self, conn: Any) -> None:
        self._after_commit(conn.info)
        conn.info.pop(_ANNOUNCED, None)
        conn.info[_OWNER] = self
        conn.info[_BEGUN] = (self._version, self._set_version)

    def _returned(self, _dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            self._after_commit(record.info)

    def _forget(self, conn: Any) -> None:
        if conn.invalidated:  # the server closed it: nothing of this transaction was committed, and its
            return  # notes went with the DBAPI connection (reading ``info`` now would raise)
        conn.info.pop(_WRITTEN, None)
        conn.info.pop(_ANNOUNCED, None)
        self._after_commit(conn.info)


def _renew_origin(ref: "weakref.ReferenceType[CatalogChanges]") -> None:
    owner = ref()
    if owner is not None:
        owner.origin = secrets.token_hex(8)


class Listener:
    """One ``LISTEN pk_catalog`` connection per owner and database, in a daemon thread
    (:class:`events.wakeup.PostgresListener`, which reconnects with backoff); it raises the owner's
    versions on every notification of another process about our schema (a stock-only one: the full
    version only), and both on every (re)connection. ``stop`` ends it (:meth:`CatalogChanges.close`)."""

    def __init__(self, engine: Engine, owner: CatalogChanges, stop: threading.Event):
        from events.wakeup import PostgresListener

        self._pid = os.getpid()
        self._listener = PostgresListener(engine, CHANNEL, what="catalogue changes", accept=owner.from_others,
                                          on_listen=owner.bump)  # whatever was announced while we were not listening
        threading.Thread(target=self._listener.run_forever, args=(owner.bump, stop), name="pk-catalog-listen",
                         daemon=True).start()

    @property
    def listening_since(self) -> float | None:
        """``time.monotonic()`` since which other processes' changes reach us; None while not listening
        (and in a forked child, where the thread did not follow: gunicorn ``--preload``)."""
        return self._listener.listening_since if os.getpid() == self._pid else None
