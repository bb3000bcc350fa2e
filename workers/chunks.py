"""Applying a worker's events to the database, for the consumer loop (``workers.runner``), which holds one
:class:`ChunkApplier`: a run of one partition's events in one transaction (a *chunk*), or one event
alone; each with its inbox rows, and only the applier ends the transaction.

- **Batches.** A poll is handled partition by partition, in offset order, in *chunks*: one
  transaction claims the chunk's inbox rows in one statement (``inbox.claim_batch``: ``INSERT … ON
  CONFLICT DO NOTHING RETURNING``, so duplicates are skipped in bulk), runs the handlers one after the
  other (each from an empty identity map, with a context of its own) and commits once. A chunk holds
  about ``commit_interval`` (50 ms) of measured handler time, so slow handlers (a gateway call) commit
  nearly one by one and never keep a whole poll's effects, and the rows they lock, waiting. The offsets
  of the whole poll are committed once, after every effect in it committed (and before a failing
  event's retries, for what came before it).
- **What a crash mid-batch redelivers**: everything after the last committed offsets, i.e. at most the
  poll being handled (and nothing of an earlier poll). Of that, the chunks that committed are found in
  the inbox and skipped (one ``claim_batch`` says so); the chunk that was open when the process died
  rolled back as a whole, so its events are applied for the first time. Nothing is applied twice, and
  nothing after an event is applied before it (per partition).
- **A handler that raises in a chunk** rolls the whole chunk back. The events before it are applied
  again in a chunk of their own (their handlers ran, in a transaction that never committed: outside
  calls carry idempotency keys, ARCHITECTURE.md §1), then the failed event goes alone (:class:`Alone`)
  through the per-event path (``ConsumerRunner.handle_message`` retries it, each attempt an
  :meth:`ChunkApplier.apply_one`, and in the end dead-letters it; its chunk run was attempt 1), then
  the rest of the poll, in order.
- **The applier's commits only.** Each handler gets a ``HandlerContext`` (the transaction's session,
  the settings, the clock and the worker's gateways). A handler that commits or rolls back the session
  itself fails that attempt (:class:`HandlerCommitted`), so an effect never commits without its inbox
  row, nor an inbox row without the whole effect.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from workers import inbox
from workers.worker import Handler, HandlerContext

log = logging.getLogger("workers.runner")  # the consumer loop's log

#: a polled message, its envelope (None: invalid) and this worker's handler for its type (None: ignored)
Entry = tuple[Any, "dict[str, Any] | None", "Handler | None"]
#: ``context(session, attempt)``: what a handler receives for one attempt (``ConsumerRunner.context``)
ContextFactory = Callable[[Session, int], HandlerContext]


class HandlerCommitted(RuntimeError):
    """A handler committed or rolled back the applier's session (only the applier ends the transaction)."""


@dataclass(frozen=True)
class Alone:
    """The first pending event goes alone, the per-event way (``ConsumerRunner.handle_message``)."""

    #: its handler's error in a chunk (that run was attempt 1); None: not run (invalid, or database away)
    failed: BaseException | None = None


class ChunkApplier:
    """A worker's database side: its inbox rows and its handlers' effects, committed together."""

    def __init__(
        self,
        consumer: str,
        session_factory: Callable[[], Session],
        context: ContextFactory,
        *,
        commit_interval: float,
        max_attempts: int,
        after_effect: Callable[[dict[str, Any]], None] | None = None,
    ):
        self.consumer = consumer
        self.session_factory = session_factory
        self.context = context
        self.commit_interval = commit_interval  # a chunk's transaction commits after this much handler time
        self.max_attempts = max_attempts  # for the log: a chunk run is attempt 1 of these
        # Test seam: runs after the DB commit and before the offset commit (the crash window).
        self.after_effect = after_effect
        self._handler_seconds = commit_interval / 16  # a handler's time, smoothed (sizes the chunks)
        self._failed_once: dict[str, BaseException] = {}  # event id → its handler's error in a chunk

    def apply_chunk(self, pending: list[Entry]) -> tuple[int, Alone | None]:
        """Apply a prefix of ``pending`` in one transaction (``_apply_entries``). Returns how many it
        finished (applied, duplicates, types this worker ignores) and, when the next one must go alone,
        :class:`Alone` (then nothing was finished), else None.

        The prefix stops before an invalid event and holds about ``commit_interval`` seconds of handler
        time (measured), so a slow handler never keeps a whole poll's effects, and the rows they
        locked, uncommitted. A handler that raises rolls its chunk back; the events before it are
        applied again in a chunk of their own (their handlers ran in a transaction that did not commit),
        and the failed one then goes alone, with its retries and the DLQ, before anything after it."""
        size = max(1, min(len(pending), int(self.commit_interval / max(self._handler_seconds, 1e-6))))
        entries = pending[:size]
        for index, (_msg, envelope, handler) in enumerate(entries):
            if envelope is None or (handler is not None and envelope["id"] in self._failed_once):
                entries = entries[:index]
                break
        while entries:
            try:
                failed = self._apply_entries(entries)
            except SQLAlchemyError as exc:  # database away (or worse): the slow path waits and retries
                log.warning("%s: could not apply a batch (%s); one event at a time", self.consumer, exc)
                return 0, Alone()
            if failed is None:
                return len(entries), None
            entries = entries[:failed]
        # The first goes alone: it is invalid, or its handler raised in a chunk (just now, or before).
        envelope = pending[0][1]
        return 0, Alone(None if envelope is None else self._failed_once.pop(envelope["id"]))

    def _apply_entries(self, entries: list[Entry]) -> int | None:
        """One transaction: claim the inbox rows in bulk, run the handlers in order, commit once.

        Returns None, or ``i`` when the handler of ``entries[i]`` raised and nothing was committed."""
        applied: list[dict[str, Any]] = []
        with self._transaction() as session:
            claimed = inbox.claim_batch(
                session, self.consumer, [e["id"] for _, e, handler in entries if handler is not None and e]
            )
            started = time.monotonic()
            with _OwnedTransaction(session) as owned:
                for index, (_msg, envelope, handler) in enumerate(entries):
                    if handler is None or envelope is None:
                        continue
                    if envelope["id"] not in claimed:
                        log.info("%s already processed %s; skipping", self.consumer, envelope["id"])
                        continue
                    claimed.discard(envelope["id"])  # a second copy in the same chunk is a duplicate
                    try:
                        handler(self.context(session, 1), envelope)
                        session.flush()  # its statements fail here, as its own attempt, not the next one's
                        owned.check()
                    except OperationalError:
                        raise  # the database, not the handler: not an attempt
                    except Exception as exc:  # noqa: BLE001 - attempt 1 failed: handle_message retries it
                        log.warning("handler for %s %s failed (attempt 1/%d): %r", envelope["type"],
                                    envelope["id"], self.max_attempts, exc, exc_info=self.max_attempts == 1)
                        self._failed_once[envelope["id"]] = exc
                        session.rollback()
                        return index
                    applied.append(envelope)
                    # The next handler starts from an empty identity map, as in a session of its own:
                    # what this one loaded is not handed to it (it reads the rows again, with its locks).
                    session.expunge_all()
            if applied:
                took = (time.monotonic() - started) / len(applied)
                self._handler_seconds = 0.7 * self._handler_seconds + 0.3 * took
            session.commit()
        self._after_effects(applied)
        return None

    def apply_one(self, handler: Handler, envelope: dict[str, Any], attempt: int) -> bool:
        """Attempt ``attempt`` at one event, in a transaction of its own: its inbox row, its handler, one
        commit. False when the inbox says it was applied before (the handler does not run). The
        handler's error is raised (the runner retries it), ``OperationalError`` too (database away)."""
        with self._transaction() as session:
            try:
                inbox.claim(session, self.consumer, envelope["id"])
            except inbox.AlreadyProcessed:
                session.rollback()
                log.info("%s already processed %s; skipping", self.consumer, envelope["id"])
                return False
            with _OwnedTransaction(session) as owned:
                handler(self.context(session, attempt), envelope)
                owned.check()
            session.commit()
        self._after_effects([envelope])
        return True

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A session of its own: rolled back if the body raises, closed in any case."""
        session = self.session_factory()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def _after_effects(self, applied: list[dict[str, Any]]) -> None:
        if self.after_effect is not None:
            for envelope in applied:
                self.after_effect(envelope)


class _OwnedTransaction:
    """While handlers run, refuse their commits and notice their rollbacks (savepoints stay allowed).

    A commit from inside a handler would commit the inbox row with half an effect (the rest then never
    happens: the retry finds the row); a rollback would drop the inbox row and let the rest of the effect
    commit without it (applied again on redelivery). Either way the attempt fails and nothing commits.
    ``with`` it around the handlers of a transaction (the listener is installed once for all of a chunk's)
    and ``check()`` after each one that returned.
    """

    def __init__(self, session: Session):
        self.session = session
        self.transaction = session.get_transaction()  # begun by the inbox claim: the one to commit

    def __enter__(self) -> _OwnedTransaction:
        event.listen(self.session, "before_commit", _refuse_commit)
        return self

    def __exit__(self, *_: Any) -> None:
        event.remove(self.session, "before_commit", _refuse_commit)

    def check(self) -> None:
        if self.session.get_transaction() is not self.transaction:
            raise HandlerCommitted("a handler must not end the transaction (commit or rollback): the runner does")


def _refuse_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        raise HandlerCommitted("a handler must not commit: the runner commits its effect with the inbox row")
