"""What reading a page notes but must not write itself: a login session's last activity and a landing's
visit count, kept per process and written behind, in one short transaction every few seconds.

**A GET never writes.** A read request runs on a reader's session (on SQLite, a read snapshot that a
write could not upgrade), may be answered from a cache, and is repeated by browsers, crawlers and
link previews at will. Two small facts still come from reads: a logged-in visitor was active (the
session's idle timeout counts from it) and a visitor landed from a post (the channel's visit count).
Neither is worth a write transaction per page: each process gathers them here — the newest activity
per session, a count per (day, source, medium, campaign) — and a background thread writes them all in
one transaction every ``interval`` seconds, and at exit.

What this costs, stated: a process killed with SIGKILL loses at most ``interval`` seconds of these
notes (an idle timeout counted from a few seconds earlier; a few visits uncounted), and the database
shows them up to ``interval`` seconds late. Orders, payments and every use case stay in the request's
own transaction (:mod:`marketplace.web.transaction`). A busy database keeps the notes for the next
round; past ``max_pending`` keys new notes are dropped (and logged) rather than growing without end.

The thread is started by the first note in each process (gunicorn forks after the app is built), and
:meth:`ActivityBuffer.close` (the app's ``close_app``, and ``atexit``) writes what is left.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy.exc import OperationalError

from marketplace.accounts import services as accounts
from marketplace.db import Database
from marketplace.promotion.attribution import services as attribution
from marketplace.promotion.attribution.services import Touch, VisitKey

log = logging.getLogger(__name__)

_KEY = "activity"


class ActivityBuffer:
    """Per-process write-behind of session activity and visit counts (see the module doc)."""

    def __init__(self, database: Database, *, interval: float = 5.0, max_pending: int = 10_000,
                 visit_gate: Callable[[str], bool] = lambda _client: True):
        self.database = database
        self.visit_gate = visit_gate
        self.interval = interval
        self.max_pending = max_pending
        self._lock = threading.Lock()
        self._seen: dict[str, datetime] = {}
        self._visits: Counter[tuple[VisitKey, str | None]] = Counter()  # client None: gated already
        self._pid: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- noting (from requests) -------------------------------------------------------------------

    def session_seen(self, stored_session_id: str, at: datetime) -> None:
        """The session (by its stored id) was used at ``at``; the newest note wins."""
        with self._lock:
            if stored_session_id not in self._seen and self._full():
                return
            if self._seen.get(stored_session_id, at) <= at:
                self._seen[stored_session_id] = at
        self._start()

    def visit(self, touch: Touch, client: str) -> None:
        """One more visit for the touch's day, source, medium and campaign, from the client address
        ``client`` (which ``visit_gate`` may refuse to count further: the count limit per address is
        checked when written, so the page read does not touch the limiter's shared counters)."""
        key = (touch.visit_key(), client)
        with self._lock:
            if key not in self._visits and self._full():
                return
            self._visits[key] += 1
        self._start()

    def pending(self) -> int:
        with self._lock:
            return len(self._seen) + len(self._visits)

    def _full(self) -> bool:
        if len(self._seen) + len(self._visits) < self.max_pending:
            return False
        log.warning("activity buffer full (%d keys): a note is dropped", self.max_pending)
        return True

    # --- writing (the background thread, close, tests) ---------------------------------------------

    def flush(self) -> int:
        """Write everything noted so far in one transaction; how many keys were written. On a busy
        database the notes are kept for the next round (and the error logged, not raised)."""
        with self._lock:
            seen, noted = self._seen, self._visits
            self._seen, self._visits = {}, Counter()
        if not seen and not noted:
            return 0
        visits = self._gated(noted)
        try:
            with self.database.transaction() as session:
                accounts.sessions_seen(session, seen)
                attribution.add_visits(session, visits)
        except OperationalError as exc:
            log.warning("activity not written yet (%s): kept for the next round", exc)
            with self._lock:
                for key, at in seen.items():
                    if self._seen.get(key, at) <= at:
                        self._seen[key] = at
                self._visits.update({(key, None): n for key, n in visits.items()})
            return 0
        return len(seen) + len(visits)

    def _gated(self, noted: Counter[tuple[VisitKey, str | None]]) -> Counter[VisitKey]:
        """The visits per key that the gate lets count (one gate call per visit of a client)."""
        visits: Counter[VisitKey] = Counter()
        for (key, client), n in noted.items():
            allowed = n if client is None else sum(1 for _ in range(n) if self.visit_gate(client))
            if allowed:
                visits[key] += allowed
        return visits

    def close(self) -> None:
        """Stop the thread and write what is left (the app's shutdown; ``atexit`` in a server process)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread() and self._pid == os.getpid():
            thread.join(timeout=self.interval + 5)
        self._thread = None
        try:
            self.flush()
        except Exception as exc:  # noqa: BLE001 - at exit: say what was lost, never raise from here
            log.warning("activity not written at close: %s", exc)

    def _start(self) -> None:
        if self._pid == os.getpid() and self._thread is not None:
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None:
                return
            if self._pid is not None and self._pid != os.getpid():  # a forked child: the parent's notes
                self._seen, self._visits = {}, Counter()  # are the parent's to write
            self._pid = os.getpid()
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, name="activity-writer", daemon=True)
            self._thread.start()
        atexit.register(self.close)

    def _run(self) -> None:
        stop = self._stop
        while not stop.wait(self.interval):
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - the writer thread must outlive any one round
                log.exception("activity round failed")


def init_app(app: Flask, database: Database, interval: float,
             visit_gate: Callable[[str], bool] = lambda _client: True) -> ActivityBuffer:
    buffer = ActivityBuffer(database, interval=interval, visit_gate=visit_gate)
    app.extensions[_KEY] = buffer
    return buffer


def current() -> ActivityBuffer:
    """The current app's buffer."""
    return current_app.extensions[_KEY]


def of(app: Flask) -> ActivityBuffer:
    return app.extensions[_KEY]
