"""The relay: publishes committed outbox rows to Kafka, in id order, and stamps them ``sent_at``.

Delivery is at-least-once. A row is stamped only after the broker acknowledged it (``acks=all``); a
relay that dies between the ack and the stamp re-sends the row on its next run, and consumers dedupe
by event id (``processed_events``). Only the contiguous acknowledged prefix of a batch is stamped, so
what follows a failed row is re-sent after it, never before it (per-partition order holds).

Outages: a broker error is recorded on the row (``attempts``, ``last_error``), the producer is dropped
(a restarted in-memory broker has forgotten its producer ids) and the loop backs off exponentially
(0.5 s → 30 s by default). The sleep happens with no transaction open: on SQLite a transaction is the
write lock the web app needs, on PostgreSQL it would pin row locks and a snapshot for nothing.

Several relays on PostgreSQL: rows are claimed with ``FOR UPDATE SKIP LOCKED`` so no row is published
by two relays at once, and a transaction-scoped advisory lock lets one relay publish at a time, so a
later batch cannot overtake an earlier one (the others are hot standbys). The lock is the schema's
(``RELAY_LOCK_SQL``): relays of other deployments in the same database do not wait for ours. SQLite runs a single relay:
it reads in one short transaction and stamps in another, never holding a lock while talking to Kafka.

Waking up: an idle relay does not poll the outbox table every half second. It waits on the database's
own commit signal (``events.wakeup``): on PostgreSQL a ``LISTEN outbox`` connection, notified by the
writing transaction itself (``pg_notify`` in ``events.outbox.record``, delivered on commit); on SQLite
the commit counter ``PRAGMA data_version``, read every 20 ms, because SQLite has no notification
between processes and this is a separate process (the reasons are in ``events.wakeup``). Either way it
wakes within milliseconds of a commit, and still claims the table every ``poll_interval`` (5 s) as a
fallback, so a lost notification or a broken LISTEN connection only delays, never strands, a row.

Throughput: a batch is one claim (up to ``batch_size`` rows, in id order), every row handed to the
producer, one ``flush`` (a request per partition, not a linger wait per row), the futures checked in
order, and one ``UPDATE … WHERE id IN (…)`` stamping the acknowledged prefix.

A broker that lost its topics (the in-memory broker restarted): the relay runs its ``watch``
(``events.recovery.BrokerWatch``) every ``watch_interval`` seconds, also while it backs off, so it
re-creates the topics and re-queues the events nobody received as soon as the broker is back, before
anything else names a topic; and it cuts a backoff short when the broker answers again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from events.backoff import Backoff
from events.models import OutboxEvent
from events.wakeup import Wakeup
from marketplace.db import is_sqlite, utcnow

log = logging.getLogger(__name__)

#: The relays' advisory lock, keyed by the schema the connection writes. Advisory locks are
#: database-wide, so a fixed key would make deployments (and parallel test processes) in other schemas
#: of the same database take turns with ours, and the one that lost the turn would publish nothing; a
#: 64-bit hash of "pk-relay:<schema>" is the same for every relay of one deployment and differs between
#: schemas (a collision would only make two deployments take turns, never publish out of order).
RELAY_LOCK_SQL = "SELECT pg_try_advisory_xact_lock(hashtextextended('pk-relay:' || current_schema(), 0))"


class PublishFailed(RuntimeError):
    """The broker did not acknowledge a row; the row is untouched apart from its attempt counter."""


@dataclass(frozen=True)
class _Pending:
    id: int
    topic: str
    key: str
    payload: str


class Relay:
    """Outbox → Kafka. ``publish_batch()`` once (tests, tools) or ``run_forever(stop_event)``."""

    def __init__(
        self,
        session_factory: sessionmaker[Session] | Callable[[], Session],
        producer_factory: Callable[[], Any],
        batch_size: int = 500,
        poll_interval: float = 5.0,
        *,
        send_timeout: float = 15.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        watch: Callable[[], list[str]] | None = None,
        watch_interval: float = 2.0,
        wakeup: Wakeup | None = None,
        wake_on_commit: bool = True,
    ):
        self._session_factory = session_factory
        self._producer_factory = producer_factory
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.send_timeout = send_timeout
        self.backoff = Backoff(backoff_initial, backoff_max)
        self._failures = 0  # in a row: the backoff's attempt number, 0 after a success
        self._producer: Any = None
        self.watch = watch
        self.watch_interval = watch_interval
        self._watched_at = float("-inf")
        # ``wakeup``: given (tests), or the database's own commit signal, built when the loop starts;
        # ``wake_on_commit=False`` leaves only the poll (what the relay did before).
        self.wakeup = wakeup
        self.wake_on_commit = wake_on_commit

    # --- one batch -----------------------------------------------------------------------------------

    def publish_batch(self) -> int:
        """Publish up to ``batch_size`` unsent rows; return how many were acknowledged and stamped.

        Raises ``PublishFailed`` (after stamping what was acknowledged) when the broker failed.
        """
        session = self._session_factory()
        try:
            sqlite = is_sqlite(session)
            pending = self._claim(session, sqlite)
            if not pending:
                session.rollback()
                return 0
            if sqlite:
                session.rollback()  # no snapshot or lock held while talking to the broker
            sent, failure = self._send(pending)
            now = utcnow()
            if sent:
                session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(sent)).values(sent_at=now))
            if failure is not None:
                row_id, exc = failure
                session.execute(
                    update(OutboxEvent).where(OutboxEvent.id == row_id)
                    .values(attempts=OutboxEvent.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000])
                )
            session.commit()
        finally:
            session.close()
        if failure is not None:
            self._drop_producer()
            raise PublishFailed(f"outbox row {failure[0]} not acknowledged: {failure[1]!r}") from failure[1]
        log.debug("published %d outbox rows", len(sent))
        return len(sent)

    def _claim(self, session: Session, sqlite: bool) -> list[_Pending]:
        stmt = (
            select(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.key, OutboxEvent.payload)
            .where(OutboxEvent.sent_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(self.batch_size)
        )
        if not sqlite:
            got_lock = session.execute(text(RELAY_LOCK_SQL)).scalar()
            if not got_lock:
                return []  # another relay is publishing; it holds the order
            stmt = stmt.with_for_update(skip_locked=True)
        return [_Pending(*row) for row in session.execute(stmt).all()]

    def _send(self, pending: list[_Pending]) -> tuple[list[int], tuple[int, BaseException] | None]:
        """Send all, then wait for acks in order; return the acked prefix and the first failure."""
        from kafka.errors import KafkaError

        futures: list[tuple[int, Any]] = []
        failure: tuple[int, BaseException] | None = None
        try:
            producer = self._get_producer()
            for row in pending:
                futures.append((row.id, producer.send(row.topic, key=row.key.encode(), value=row.payload.encode())))
        except (KafkaError, OSError) as exc:
            failure = (pending[len(futures)].id, exc)
        if futures and failure is None:
            try:  # one flush for the batch: send what lingers now, and wait for it all at once
                producer.flush(timeout=self.send_timeout)
            except (KafkaError, OSError):
                log.debug("flush did not finish; the futures say which rows were acknowledged", exc_info=True)
        sent: list[int] = []
        for row_id, future in futures:
            try:
                future.get(timeout=self.send_timeout)
            except (KafkaError, OSError) as exc:
                failure = (row_id, exc)
                break
            sent.append(row_id)
        return sent, failure

    def _get_producer(self) -> Any:
        if self._producer is None:
            self._producer = self._producer_factory()
        return self._producer

    def _drop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=1)
            except Exception:  # noqa: BLE001 - a broken producer may fail to close; it is discarded anyway
                # Batches still in flight keep it from closing until they expire (delivery timeout): let
                # a thread wait for that, so the relay goes on and the producer is not left to the GC.
                log.debug("closing a failed producer raised; closing it in the background", exc_info=True)
                threading.Thread(target=_close_quietly, args=(producer,), daemon=True,
                                 name="relay-close-producer").start()

    # --- the loop ------------------------------------------------------------------------------------

    def run_forever(self, stop_event: threading.Event) -> None:
        """Publish until ``stop_event`` is set; back off on broker or database errors, never busy-loop."""
        wakeup = self._start_wakeup()
        log.info("relay started (batch %d, woken by %s, fallback poll every %.1fs)", self.batch_size,
                 type(wakeup).__name__, self.poll_interval)
        try:
            while not stop_event.is_set():
                if time.monotonic() - self._watched_at >= self.watch_interval:
                    self.run_watch()
                try:
                    count = self.publish_batch()
                except (PublishFailed, SQLAlchemyError) as exc:
                    self._failures += 1
                    delay = self.backoff.delay(self._failures)
                    log.warning("relay: %s; retrying in %.1fs", exc, delay)
                    self._back_off(stop_event, delay)
                    continue
                self._failures = 0
                if count < self.batch_size:
                    timeout = self.poll_interval
                    if self.watch is not None:
                        timeout = min(timeout, max(0.0, self._watched_at + self.watch_interval - time.monotonic()))
                    wakeup.wait(timeout, stop_event)
        finally:
            wakeup.close()
            self.close()
            log.info("relay stopped")

    def _start_wakeup(self) -> Wakeup:
        """The commit signal to wait on, listening before the first claim (see ``events.wakeup``)."""
        from events.outbox import NOTIFY_CHANNEL
        from events.wakeup import PollOnly, wakeup_for

        wakeup = self.wakeup
        if wakeup is None:
            wakeup = PollOnly()
            if self.wake_on_commit:
                try:
                    session = self._session_factory()
                    try:
                        wakeup = wakeup_for(session.get_bind().engine, channel=NOTIFY_CHANNEL)
                    finally:
                        session.close()
                    wakeup.start()
                except Exception as exc:  # noqa: BLE001 - the database is away: poll; the wakeup retries
                    log.warning("relay: cannot watch for commits yet (%r); polling meanwhile", exc)
        return wakeup

    def run_watch(self) -> bool:
        """Run the broker watch (if any); False when the broker did not answer it."""
        from kafka.errors import KafkaError

        if self.watch is None:
            return True
        self._watched_at = time.monotonic()
        try:
            lost = self.watch()
        except (KafkaError, OSError, SQLAlchemyError) as exc:
            log.debug("broker watch failed: %r", exc)
            return False
        if lost:
            self._drop_producer()  # it holds the metadata and producer id of a broker that is gone
        return True

    def _back_off(self, stop_event: threading.Event, delay: float) -> None:
        """Wait ``delay``, but watch the broker meanwhile: once it answers again after failing, go on."""
        if self.watch is None:
            stop_event.wait(delay)
            return
        deadline, was_down = time.monotonic() + delay, False
        while not stop_event.is_set() and (remaining := deadline - time.monotonic()) > 0:
            if stop_event.wait(min(remaining, self.watch_interval)):
                return
            reachable = self.run_watch()
            if reachable and was_down:
                log.info("relay: the broker answers again; publishing")
                return
            was_down = was_down or not reachable

    def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            producer.close(timeout=5)


def _close_quietly(producer: Any, timeout: float = 120.0) -> None:
    try:
        producer.close(timeout=timeout)
    except Exception:  # noqa: BLE001 - discarded producer; nothing else to do with it
        log.debug("a discarded producer did not close", exc_info=True)
