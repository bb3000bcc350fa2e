"""A per-process memo of catalogue query results, shared by every visitor (issue #15).

:mod:`marketplace.web.pagecache` answers anonymous visitors from whole-page copies; a logged-in visitor,
a buyer with an API token, and the first reader after any catalogue change are rendered afresh, and
what made those renders slow at 100,000 listings was always the same few catalogue queries: the home
page's counts per place and category (every approved listing), its newest ids, a word search's ranking
of every match. Their results do not depend on who asks, so :class:`CatalogMemo` keeps them:

- **What it holds: plain data only.** Numbers, strings, tuples, read-only mappings (a value is frozen
  on the way in; anything else — an ORM object — is refused with ``TypeError``). A search keeps its
  page's ids and total; the listings themselves are loaded by id on every request, so the price, stock
  ("sold out") and photos shown are always the current ones.
- **Tagged with the listing-set version** (:meth:`changes.CatalogChanges.listing_set_version`) read *before* the
  value was computed — or when the session's transaction began, if it had (on SQLite a transaction
  reads one snapshot, which may predate a commit since) — and dropped once it moved: any committed
  change of listings, photos, shops or sentra — except a stock-only update (checkout, restock), which
  cannot change these results. A value
  that depends on stock (a search for ``available`` listings) is tagged with the full version instead
  (``stock=True``). Other processes' changes move the versions by ``NOTIFY`` on PostgreSQL; the same
  lifetime rule as the page copies applies (:func:`changes.lifetime`): at most ``CATALOG_CACHE_SECONDS``
  (default 30; 0 turns the memo off), and at most ``changes.UNNOTIFIED_SECONDS`` where other processes'
  changes cannot be announced (SQLite, or while the listening connection is down).
- **Single flight.** Concurrent misses of one key at one version compute once; the others wait for
  that result (a busy home page right after a change runs its counts once per process, not once per
  thread). A waiter whose version differs (a change came in between) computes its own.
- **Never for a session that has written.** A session with pending or flushed, uncommitted changes
  (or a Core write to the catalogue in its open transaction) computes afresh and keeps nothing: what it
  sees is not what others see.
- Keys carry the database URL (its schema included), so two databases or schemas in one process
  never share a value; the memo is bounded (``CATALOG_CACHE_ENTRIES``, least recently used dropped).

No Flask here: the catalogue services take the memo as an argument (``app.extensions['catalog_memo']``,
set by :func:`init_app`), and are called without one everywhere else.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from marketplace.catalog import changes

T = TypeVar("T")

#: The longest a miss waits for another thread computing the same key before computing its own.
WAIT_SECONDS = 10.0
_WROTE = "pk_wrote"  # marketplace.db's session flag: this transaction flushed
_SCALARS = (str, int, float, bool, bytes, Decimal, datetime, date, type(None))


@dataclass(frozen=True)
class Entry:
    value: Any
    version: int
    stored: float  # time.monotonic() before the value was computed


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    ok: bool = False


class CatalogMemo:
    """A bounded LRU of catalogue query results (see module doc); safe across threads."""

    def __init__(self, seconds: int, entries: int, catalog: changes.CatalogChanges,
                 listener: changes.Listener | None = None):
        self.seconds = seconds
        self.catalog = catalog
        self.max_entries = max(1, entries)
        self.listener = listener
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._flights: dict[tuple[Hashable, int], _Flight] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    def fetch(self, session: Session, key: tuple[Hashable, ...], compute: Callable[[], T], *,
              stock: bool = False) -> T:
        """``compute()``'s value for ``key``, from the memo while the catalogue is unchanged.

        ``stock=True``: the value depends on stock, so any catalogue change (the full version) drops it.
        The value returned is frozen (tuples for lists, read-only mappings for dicts)."""
        if not self.enabled:
            return compute()
        version = _version(self.catalog, session, stock)
        if version is None:
            return compute()
        full_key = (str(session.get_bind().url), stock, *key)
        with self._lock:
            entry = self._entries.get(full_key)
            if entry is not None:
                if entry.version == version and (
                        time.monotonic() - entry.stored < changes.lifetime(self.seconds, self.listener, entry.stored)):
                    self._entries.move_to_end(full_key)
                    return entry.value  # type: ignore[no-any-return]
                if entry.version <= version:
                    del self._entries[full_key]
            flight = self._flights.get((full_key, version))
            leader = flight is None
            if flight is None:
                flight = self._flights[(full_key, version)] = _Flight()
        if not leader:
            if flight.done.wait(WAIT_SECONDS) and flight.ok:
                return flight.value  # type: ignore[no-any-return]
            return freeze(compute())  # type: ignore[no-any-return]
        started = time.monotonic()
        try:
            value = freeze(compute())
        except BaseException:
            with self._lock:
                self._flights.pop((full_key, version), None)
            flight.done.set()
            raise
        with self._lock:
            self._flights.pop((full_key, version), None)
            current = self._entries.get(full_key)
            if current is None or current.version <= version:
                self._entries[full_key] = Entry(value=value, version=version, stored=started)
                self._entries.move_to_end(full_key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        flight.value, flight.ok = value, True
        flight.done.set()
        return value  # type: ignore[no-any-return]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _version(catalog: changes.CatalogChanges, session: Session, stock: bool) -> int | None:
    """The version to tag a value ``session`` computes now with; None when the session has writes."""
    if has_writes(session):
        return None
    if session.in_transaction():
        begun = changes.versions_at_begin(session.connection())
        if begun is not None:  # its snapshot may predate a commit since (SQLite): the older versions
            return begun[0] if stock else begun[1]
    return catalog.version() if stock else catalog.listing_set_version()


def has_writes(session: Session) -> bool:
    """Whether ``session`` holds changes others cannot see: pending objects, a flush, or a catalogue
    write (ORM or Core) in its open transaction."""
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE):
        return True
    if session.in_transaction():
        return changes.pending(session.connection())
    return False


def freeze(value: Any) -> Any:
    """``value`` as immutable plain data: lists and tuples → tuples, dicts → read-only mappings, sets →
    frozensets; ``TypeError`` for anything that is not plain data (an ORM row must never be shared)."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, (dict, MappingProxyType)):
        return MappingProxyType({freeze(k): freeze(v) for k, v in value.items()})
    if isinstance(value, (set, frozenset)):
        return frozenset(freeze(v) for v in value)
    raise TypeError(f"the catalogue memo holds plain data only, not {type(value).__name__}")


def init_app(app: Any) -> None:
    """``app.extensions['catalog_memo']`` from ``CATALOG_CACHE_SECONDS`` / ``CATALOG_CACHE_ENTRIES``, tagged
    with the versions of the app's :class:`~marketplace.catalog.changes.CatalogChanges`
    (``app.extensions['catalog_changes']``, installed on its engines)."""
    settings = app.extensions["deps"].settings
    catalog = app.extensions["catalog_changes"]
    listener = None
    if settings.catalog_cache_seconds > 0:
        listener = catalog.listen(app.extensions["db"].engine)
    app.extensions["catalog_memo"] = CatalogMemo(settings.catalog_cache_seconds, settings.catalog_cache_entries,
                                                 catalog, listener)
