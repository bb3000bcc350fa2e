"""Chunks: how the consumer loop (``workers.runner``) applies a run of one partition's events in one
transaction, and what it does when a handler in it raises.

- **Batches.** A poll is handled partition by partition, in offset order, in *chunks*: one
  transaction claims the chunk's inbox rows in one statement (``inbox.claim_batch``: ``INSERT … ON
  CONFLICT DO NOTHING RETURNING``, so duplicates are skipped in bulk), runs the handlers one after the other (each from an empty identity map, with a context of its
  own) and commits once. A chunk holds about ``commit_interval`` (50 ms) of measured handler time, so
  slow handlers (a gateway call) commit nearly one by one and never keep a whole poll's effects, and
  the rows they lock, waiting. The offsets of the whole poll are committed once, after every effect in
  it committed (and before a failing event's retries, for what came before it).
- **What a crash mid-batch redelivers**: everything after the last committed offsets, i.e. at most the
  poll being handled (and nothing of an earlier poll). Of that, the chunks that committed are found in
  the inbox and skipped (one ``claim_batch`` says so); the chunk that was open when the process died
  rolled back as a whole, so its events are applied for the first time. Nothing is applied twice, and
  nothing after an event is applied before it (per partition).
- **A handler that raises in a chunk** rolls the whole chunk back. The events before it are applied
  again in a chunk of their own (their handlers ran, in a transaction that never committed: outside
  calls carry idempotency keys, ARCHITECTURE.md §1), then the failed event goes alone through the
  per-event path (``ConsumerRunner.handle_message``: its chunk run was attempt 1), then the rest of the poll, in order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from workers import inbox
from workers.worker import Handler, HandlerContext

log = logging.getLogger("workers.runner")  # the runner's log, as before the split

#: a polled message, its envelope (None: invalid) and this worker's handler for its type (None: ignored)
_Entry = tuple[Any, "dict[str, Any] | None", "Handler | None"]


class HandlerCommitted(RuntimeError):
    """A handler committed or rolled back the runner's session (only the runner ends the transaction)."""


class ChunkApplier:
    """The chunk path of :class:`workers.runner.ConsumerRunner` (its base): ``_apply_chunk``."""

    consumer: str
    session_factory: Callable[[], Session]
    max_attempts: int
    commit_interval: float
    after_effect: Callable[[dict[str, Any]], None] | None
    _handler_seconds: float
    _failed_once: dict[str, BaseException]

    def context(self, session: Session, attempt: int = 1) -> HandlerContext:
        raise NotImplementedError

    def _apply_chunk(self, pending: list[_Entry]) -> tuple[int, int | None]:
        """Apply a prefix of ``pending`` in one transaction (``_apply_entries``). Returns how many it
        finished (applied, duplicates, types this worker ignores) and, when the next one must go the slow
        way (``handle_message``), how many attempts it already had (0: invalid, or the database is away;
        1: its handler raised in a chunk), else None.

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
        if not entries:
            return 0, 0 if pending[0][1] is None else 1
        while entries:
            try:
                done, failed = self._apply_entries(entries)
            except SQLAlchemyError as exc:  # database away (or worse): the slow path waits and retries
                log.warning("%s: could not apply a batch (%s); one event at a time", self.consumer, exc)
                return 0, 0
            if failed is None:
                return done, None
            if failed == 0:
                return 0, 1
            entries = entries[:failed]
        return 0, 0

    def _apply_entries(self, entries: list[_Entry]) -> tuple[int, int | None]:
        """One transaction: claim the inbox rows in bulk, run the handlers in order, commit once.

        Returns ``(len(entries), None)``, or ``(0, i)`` when the handler of ``entries[i]`` raised and
        nothing was committed."""
        applied: list[dict[str, Any]] = []
        session = self.session_factory()
        owned: _OwnedTransaction | None = None
        try:
            claimed = inbox.claim_batch(
                session, self.consumer, [e["id"] for _, e, handler in entries if handler is not None and e]
            )
            owned = _OwnedTransaction(session)
            started = time.monotonic()
            for index, (_msg, envelope, handler) in enumerate(entries):
                if handler is None or envelope is None:
                    continue
                if envelope["id"] not in claimed:
                    log.info("%s already processed %s; skipping", self.consumer, envelope["id"])
                    continue
                claimed.discard(envelope["id"])  # a second copy in the same chunk is a duplicate
                try:
                    with owned:
                        handler(self.context(session, 1), envelope)
                        session.flush()  # its statements fail here, as its own attempt, not the next one's
                except OperationalError:
                    raise  # the database, not the handler: not an attempt
                except Exception as exc:  # noqa: BLE001 - attempt 1 failed: handle_message retries it
                    log.warning("handler for %s %s failed (attempt 1/%d): %r", envelope["type"], envelope["id"],
                                self.max_attempts, exc, exc_info=self.max_attempts == 1)
                    self._failed_once[envelope["id"]] = exc
                    session.rollback()
                    return 0, index
                applied.append(envelope)
                # The next handler starts from an empty identity map, as in a session of its own: what
                # this one loaded is not handed to it (it reads the rows again, with its own locks).
                session.expunge_all()
            if applied:
                took = (time.monotonic() - started) / len(applied)
                self._handler_seconds = 0.7 * self._handler_seconds + 0.3 * took
            owned.release()
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            if owned is not None:
                owned.release()
            session.close()
        if self.after_effect is not None:
            for envelope in applied:
                self.after_effect(envelope)
        return len(entries), None


class _OwnedTransaction:
    """``_runner_owns_the_transaction`` for a chunk: the commit listener is installed once for all its
    handlers (``with owned:`` around each checks that the transaction is still the runner's)."""

    def __init__(self, session: Session):
        self.session = session
        self.transaction = session.get_transaction()
        event.listen(session, "before_commit", _refuse_commit)
        self._listening = True

    def __enter__(self) -> None:
        pass

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None and self.session.get_transaction() is not self.transaction:
            raise HandlerCommitted("a handler must not end the transaction (commit or rollback): the runner does")

    def release(self) -> None:
        if self._listening:
            event.remove(self.session, "before_commit", _refuse_commit)
            self._listening = False


def _refuse_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        raise HandlerCommitted("a handler must not commit: the runner commits its effect with the inbox row")
