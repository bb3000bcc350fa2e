"""The leased delivery queue: one loop that claims due rows, leases them, lets a job send, and records
the outcome with a retry policy; every table of things owed to the outside world uses it (the sandbox's
webhooks, mail, social posts, and the WhatsApp messages and courier bookings to come).

Each of those tables has a due time (``next_attempt_at``: NULL once there is nothing more to do) and an
attempt count. A row goes through three short steps, none holding a transaction open while the outside
world is called (on SQLite the writer's transaction would hold the one write lock; on PostgreSQL a
row lock for the length of an HTTP call):

1. **Claimed** (:meth:`LeasedQueue.claim`), in its own transaction: the next due row, locked with
   ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several loops (threads or processes) share a queue
   without waiting on each other; SQLite's writer already holds the only write lock. The job *leases*
   it (:meth:`LeasedQueue.take`): the due time is pushed ``lease`` ahead and the attempt counted, and
   that commits before the send. The due column doubles as the lease's end, so no owner column is
   needed: until then no other loop finds the row due; a loop that dies mid-send loses its lease and
   the row is sent again (at-least-once: each job makes a second copy harmless, with a fixed
   Message-ID, an idempotency key or the receiver's dedupe).
2. **Sent** by the job, with no transaction open.
3. **Recorded** (:meth:`LeasedQueue.settle`), in its own transaction: :class:`Sent` (nothing more
   due), :class:`Retry` (due again after the policy's wait for this attempt, or the receiver's
   ``Retry-After`` if longer; past the policy's last attempt it is given up as :class:`Failed`), or
   :class:`Failed` (refused for good). The job sets its own status columns beside it.

The queue knows nothing of what a job does (procrastinate's shape, STYLE.md): a job is a
:class:`Job` — which rows it can send now, what to take from a claimed row, how to send it, how to
record the result. The retry policy is a plain value (:class:`RetryPolicy`: attempts, and a
:class:`events.backoff.Backoff` for the waits), the count lives in the row, so nothing here holds state.

It lives at the package root as shared plumbing (beside ``db.py``, whose ``transaction`` it uses), not
in ``workers/``: the sandbox's webhook loop and the mail loop live in their features
(``marketplace/payments``, ``marketplace/notifications``), and features never import ``workers/``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, inspect, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from events.backoff import Backoff
from marketplace.db import is_sqlite, transaction

J = TypeVar("J")  # what a job takes from a claimed row (everything the send needs)
R = TypeVar("R")  # what its send returns

SessionFactory = Callable[[], Session]


@dataclass(frozen=True)
class RetryPolicy:
    """At most ``attempts`` tries; after the n-th failure the row waits ``wait.delay(n)``."""

    attempts: int
    wait: Backoff


@dataclass(frozen=True)
class Sent:
    """Done: nothing more is due."""


@dataclass(frozen=True)
class Retry:
    """A temporary failure: try again after the policy's wait, or ``after`` seconds if longer (the
    receiver's ``Retry-After``). ``counts=False``: this try does not count against the policy (a
    quota, a check that could not run): never given up for it, due again after exactly ``after``
    seconds, the attempt count left as the job set it."""

    error: str
    after: float = 0.0
    counts: bool = True


@dataclass(frozen=True)
class Failed:
    """Given up: refused for good, or (``exhausted``) a retry past the policy's last attempt."""

    reason: str
    exhausted: bool = False


Outcome = Sent | Retry | Failed


class Job(Protocol[J, R]):
    """What one kind of delivery does; the queue calls these in this order for each row."""

    def where(self, now: datetime) -> Sequence[ColumnElement[bool]] | None:
        """Conditions on the rows this job can send now, beside being due; None when it can send none."""
        ...

    def take(self, session: Session, row: Any, now: datetime) -> J | None:
        """In the claim's transaction: lease the row (:meth:`LeasedQueue.take`) and return what the send
        needs; or settle it here (skipped, cancelled) and return None."""
        ...

    def send(self, job: J, now: datetime) -> R:
        """Talk to the outside world; no transaction is open. Failures come back as a value."""
        ...

    def record(self, session: Session, row: Any, job: J, result: R, now: datetime) -> bool:
        """In the record's transaction, with the row read again: settle it
        (:meth:`LeasedQueue.settle`) and set the job's own columns; whether it was delivered."""
        ...


@dataclass(frozen=True)
class LeasedQueue(Generic[J, R]):
    """A table's due and attempt columns, the lease length and the retry policy."""

    due: InstrumentedAttribute[Any]  # when the row is due; while leased, the lease's end; NULL: done
    attempts: InstrumentedAttribute[int]
    lease: timedelta
    retry: RetryPolicy

    @property
    def model(self) -> Any:
        return self.due.class_

    def claim(self, session: Session, now: datetime, *, where: Sequence[ColumnElement[bool]] = (),
              limit: int = 1) -> list[Any]:
        """Up to ``limit`` rows due at ``now`` (oldest due first), locked for this transaction on
        PostgreSQL and skipped by every other claim meanwhile. They stay due until taken."""
        model = self.model
        key = inspect(model).primary_key
        stmt = (select(model).where(self.due.is_not(None), self.due <= now, *where)
                .order_by(self.due, *key).limit(limit))
        if not is_sqlite(session):  # SQLite's writer already holds the only write lock
            stmt = stmt.with_for_update(skip_locked=True)
        return list(session.scalars(stmt))

    def take(self, row: Any, now: datetime, *, count: bool = True) -> int:
        """Lease a claimed row: not due again until the lease ends; this attempt counted unless
        ``count`` is False (a check or a removal, not a send). Returns the attempt's number."""
        setattr(row, self.due.key, now + self.lease)
        if count:
            setattr(row, self.attempts.key, getattr(row, self.attempts.key) + 1)
        return int(getattr(row, self.attempts.key))

    def settle(self, row: Any, outcome: Outcome, now: datetime) -> Outcome:
        """Record ``outcome`` in the row's due column (the attempt was counted when taken): nothing
        more due, or due again after the wait. Returns it as applied: a :class:`Retry` with its actual
        wait in ``after``, or :class:`Failed` (``exhausted``) when the attempts are used up."""
        if isinstance(outcome, Retry):
            attempt = int(getattr(row, self.attempts.key))
            if not outcome.counts:
                setattr(row, self.due.key, now + timedelta(seconds=outcome.after))
                return outcome
            if attempt >= self.retry.attempts:
                setattr(row, self.due.key, None)
                return Failed(outcome.error, exhausted=True)
            wait = max(self.retry.wait.delay(attempt), outcome.after)
            setattr(row, self.due.key, now + timedelta(seconds=wait))
            return Retry(outcome.error, after=wait)
        setattr(row, self.due.key, None)
        return outcome

    def work(self, session_factory: SessionFactory, now: datetime, job: Job[J, R], *, limit: int = 100,
             stop: threading.Event | None = None) -> int:
        """Claim, send and record due rows one at a time, up to ``limit`` or until none is due (or
        ``stop`` is set); how many were delivered. ``session_factory`` should give the writer's
        sessions (on SQLite they take the write lock up front)."""
        delivered = 0
        for _ in range(limit):
            if stop is not None and stop.is_set():
                break
            where = job.where(now)
            if where is None:
                break
            with transaction(session_factory) as session:
                rows = self.claim(session, now, where=where)
                if not rows:
                    break
                key = inspect(rows[0]).identity
                taken = job.take(session, rows[0], now)
            if taken is None:
                continue
            result = job.send(taken, now)
            with transaction(session_factory) as session:
                row = session.get(self.model, key)
                assert row is not None, "a leased row is never deleted"
                delivered += job.record(session, row, taken, result, now)
        return delivered
