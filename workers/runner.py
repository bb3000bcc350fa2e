"""The consumer loop every worker runs: poll → validate → handle (with the inbox) → commit → offsets.

Guarantees (ARCHITECTURE.md §1, STYLE habit 5):

- **Effects exactly once.** A handler's effect and its event's inbox row commit in one DB transaction;
  the Kafka offsets are committed afterwards. A crash in between redelivers the event, the inbox row is
  found, the event is skipped and its offset committed.
- **Batches.** A poll (up to ``max_poll_records``, 500, fewer when handlers are slow: a poll is sized to
  take at most a sixth of ``max_poll_interval_ms``) is handled partition by partition, in offset order,
  in *chunks* of about ``commit_interval`` of handler time, each one transaction (``workers.chunks``:
  the bulk inbox claim, the chunk's rollback and retry-alone, what a crash mid-batch redelivers). The
  offsets of the whole poll are committed once, after every effect in it committed (and before a
  failing event's retries, for what came before it).
- **Poison never blocks a partition.** An envelope that does not validate goes to ``<topic>.dlq`` at
  once; a handler that keeps raising is retried ``max_attempts`` times with backoff, then its event goes
  to the DLQ with the error in the headers. The offset is committed only once the DLQ acknowledged, so
  nothing is dropped; ``marketplace events replay`` sends it again once the bug is fixed.
- **Database outages are not poison.** ``OperationalError`` (database away, locked) is retried with
  capped backoff until it succeeds or the worker is asked to stop; it is not counted as an attempt.
- **Graceful shutdown.** When ``stop_event`` is set the current event is finished, or, if it is waiting
  between retries, abandoned uncommitted (it is redelivered to whoever owns the partition next).
- **A broker that lost its topics** (the in-memory broker restarted) is noticed by the topic ids
  (``workers.rejoin``): the worker joins afresh, under a group named after the new topic ids
  (``<consumer>.r<hash>``, so no ghost member of the old broker is waited for), and reads a re-created
  topic from its start (the inbox skips what was already applied); a member stuck out of a stable group
  re-joins too. ``events status`` reports such a group under the consumer's name.
- **Background tasks** a worker declares (``Worker.background_tasks``, e.g. the sandbox's webhook
  delivery) run in threads beside the consumer from ``run()`` until it returns; they share its stop
  event, so SIGTERM stops them too, and ``run()`` waits for them before it returns.
- **The runner's commits only.** Each handler gets a ``HandlerContext`` (the chunk's session, the
  settings, the clock and the gateways built once by the worker's factory). A handler that commits or
  rolls back the session itself fails that attempt, so an effect never commits without its inbox row,
  nor an inbox row without the whole effect.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from events.backoff import Backoff
from events.catalogue import InvalidEvent, dlq_topic
from events.envelope import decode
from events.kafka import MAX_POLL_INTERVAL_MS
from marketplace.config import Settings
from marketplace.db import utcnow
from workers import inbox
from workers.chunks import ChunkApplier, HandlerCommitted, _Entry
from workers.worker import BackgroundTask, Clock, Dependencies, Handler, HandlerContext, Worker

log = logging.getLogger(__name__)

__all__ = ["ConsumerRunner", "Handler", "HandlerCommitted", "Outcome"]


class Outcome(enum.Enum):
    DONE = "done"  # effect committed now
    DUPLICATE = "duplicate"  # effect committed earlier (inbox row found)
    IGNORED = "ignored"  # no handler for this type in this worker
    DEAD_LETTERED = "dead_lettered"  # parked in <topic>.dlq
    ABANDONED = "abandoned"  # stopping: not handled, offset not committed


class ConsumerRunner(ChunkApplier):
    """One worker process's consumer-group loop; everything it needs comes in through the constructor."""

    def __init__(
        self,
        *,
        consumer: str,
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        session_factory: Callable[[], Session],
        bootstrap_servers: str,
        settings: Settings,
        dependencies: Dependencies | None = None,
        clock: Clock = utcnow,
        group_id: str | None = None,
        max_attempts: int = 3,
        retry_backoff: float = 0.5,
        retry_backoff_max: float = 10.0,
        session_timeout_ms: int = 10_000,
        poll_timeout_ms: int = 500,
        create_topics: bool = True,
        after_effect: Callable[[dict[str, Any]], None] | None = None,
        consumer_overrides: Mapping[str, Any] | None = None,
        background: Sequence[BackgroundTask] = (),
        topic_check_interval: float = 2.0,
        rejoin_after: float | None = None,
        commit_interval: float = 0.05,
        max_poll_records: int = 500,
    ):
        if not bootstrap_servers:
            raise ValueError("KAFKA_BOOTSTRAP_SERVERS is not set")
        self.consumer = consumer
        self.topics = list(topics)
        self.handlers = dict(handlers)
        self.session_factory = session_factory
        self.bootstrap_servers = bootstrap_servers
        self.settings = settings
        # Built once per process (``for_worker``, or a test's fakes) and shared by every context.
        self.dependencies: Dependencies = MappingProxyType(dict(dependencies or {}))
        self.clock = clock
        self.group_id = group_id or consumer
        self.max_attempts = max(1, max_attempts)
        self.retry_backoff = retry_backoff
        self.retry_backoff_max = retry_backoff_max
        self.session_timeout_ms = session_timeout_ms
        self.poll_timeout_ms = poll_timeout_ms
        self.create_topics = create_topics
        # Test seam: runs after the DB commit and before the offset commit (the crash window).
        self.after_effect = after_effect
        self.consumer_overrides = dict(consumer_overrides or {})
        self.background = list(background)
        self.topic_check_interval = topic_check_interval  # how often to look for re-created topics
        # A member out of a stable group this long joins afresh (``workers.rejoin.Membership``).
        # Longer than a join may legitimately wait (the rebalance timeout) plus two sessions.
        self.rejoin_after = rejoin_after if rejoin_after is not None else (
            self.consumer_overrides.get("max_poll_interval_ms", MAX_POLL_INTERVAL_MS) + 2 * session_timeout_ms
        ) / 1000
        # A chunk's transaction commits once this many seconds of handlers have run (see _apply_entries).
        self.commit_interval = commit_interval
        self.max_poll_records = max(1, max_poll_records)
        self._per_event = 0.0  # seconds a polled record took, smoothed (sizes the next poll)
        self._handler_seconds = commit_interval / 16  # a handler's time, smoothed (sizes the chunks)
        self._stop = threading.Event()
        self._dlq_producer: Any = None
        self._failed_once: dict[str, BaseException] = {}  # event id → its handler's error in a chunk

    @classmethod
    def for_worker(
        cls,
        worker: Worker,
        *,
        settings: Settings,
        session_factory: Callable[[], Session],
        bootstrap_servers: str,
        **options: Any,
    ) -> "ConsumerRunner":
        """The runner of a declared worker: its gateways (and background tasks) are built here, once,
        from ``settings``."""
        dependencies = worker.build_dependencies(settings)
        return cls(
            consumer=worker.name,
            topics=worker.topics,
            handlers=worker.handlers,
            session_factory=session_factory,
            bootstrap_servers=bootstrap_servers,
            settings=settings,
            dependencies=dependencies,
            background=worker.background_tasks(settings, dependencies),
            **options,
        )

    def context(self, session: Session, attempt: int = 1) -> HandlerContext:
        """What a handler receives for one attempt: this session plus the process-wide dependencies."""
        return HandlerContext(
            session=session, settings=self.settings, clock=self.clock, gateways=self.dependencies,
            consumer=self.consumer, attempt=attempt,
        )

    # --- the loop ------------------------------------------------------------------------------------

    def run(self, stop_event: threading.Event | None = None) -> None:
        """Consume until ``stop_event`` is set (or for ever); closes the consumer on the way out. The
        background tasks run meanwhile; when this returns the event is set and they have stopped."""
        self._stop = stop_event or threading.Event()
        threads = self._start_background()
        try:
            self._consume()
        finally:
            self._stop.set()  # the worker is stopping, for whatever reason: so are its background tasks
            for thread in threads:
                thread.join(timeout=15)
                if thread.is_alive():
                    log.warning("background task %s did not stop in time", thread.name)

    def _start_background(self) -> list[threading.Thread]:
        threads = []
        for task in self.background:
            name = f"{self.consumer}-{getattr(task, 'name', type(task).__name__)}"
            thread = threading.Thread(target=task, args=(self.session_factory, self._stop), name=name, daemon=True)
            thread.start()
            threads.append(thread)
        return threads

    def _consume(self) -> None:
        from kafka.errors import KafkaError

        from events.kafka import ensure_topics, make_consumer, topic_layout

        if self.create_topics and not self._ensure_topics(ensure_topics):
            return
        from workers.rejoin import Membership, TopicRewind

        # No static membership (KIP-345): on the embedded broker a SIGKILLed static member was never
        # evicted, so its restarted process could not join.
        rewind = TopicRewind(self.topics, lambda: topic_layout(self.bootstrap_servers, 2.0), name=self.consumer,
                             interval=self.topic_check_interval)
        membership = Membership(
            lambda group_id: make_consumer(
                self.bootstrap_servers, group_id, self.topics,
                session_timeout_ms=self.session_timeout_ms, listener=rewind, **self.consumer_overrides,
            ),
            rewind, group_id=self.group_id, rejoin_after=self.rejoin_after, name=self.consumer,
        )
        log.info("worker %s consuming %s as group %s", self.consumer, self.topics, self.group_id)
        backoff, failures = Backoff(self.retry_backoff, self.retry_backoff_max), 0
        try:
            while not self._stop.is_set():
                try:
                    batch = membership.poll(self.poll_timeout_ms, self._poll_size())
                except KafkaError as exc:  # broker away or group coordinator moving: wait, poll again
                    failures += 1
                    delay = backoff.delay(failures)
                    log.warning("poll failed (%r); retrying in %.1fs", exc, delay)
                    self._stop.wait(delay)
                    continue
                failures = 0
                if not batch:
                    continue
                started = time.monotonic()
                if not self._run_poll(membership.consumer, batch):
                    return
                took = (time.monotonic() - started) / sum(map(len, batch.values()))
                self._per_event = 0.5 * self._per_event + 0.5 * took
        finally:
            membership.close()
            self._close_dlq_producer()
            log.info("worker %s stopped", self.consumer)

    def _ensure_topics(self, ensure: Callable[..., Any]) -> bool:
        """Create the topics, waiting (with backoff) for a broker that is still starting; False if stopped."""
        from kafka.errors import KafkaError

        backoff, failures = Backoff(self.retry_backoff, self.retry_backoff_max), 0
        while True:
            try:
                ensure(self.bootstrap_servers, self.topics)
                return True
            except (KafkaError, OSError) as exc:
                failures += 1
                delay = backoff.delay(failures)
                log.warning("cannot create topics %s yet (%r); retrying in %.1fs", self.topics, exc, delay)
                if self._stop.wait(delay):
                    return False

    def _poll_size(self) -> int:
        """How many records to ask the next poll for: ``max_poll_records``, fewer when handlers are slow, so
        a poll's records are handled in a fraction (a sixth) of ``max_poll_interval_ms`` — past it the
        group would count this member dead and rebalance."""
        interval = self.consumer_overrides.get("max_poll_interval_ms", MAX_POLL_INTERVAL_MS) / 1000
        return max(1, min(self.max_poll_records, int(interval / 6 / max(self._per_event, 1e-6))))

    def _run_poll(self, kafka_consumer: Any, batch: Mapping[Any, list[Any]]) -> bool:
        """Handle one poll's records, partition by partition, in order; then commit their offsets at once.

        False when the worker must stop now (the offsets of what was finished are committed first).
        """
        offsets: dict[Any, int] = {}
        try:
            for tp, messages in batch.items():
                if not self._run_partition(kafka_consumer, tp, messages, offsets):
                    return False
            return True
        finally:
            self._commit_offsets(kafka_consumer, offsets)

    def _run_partition(self, kafka_consumer: Any, tp: Any, messages: list[Any], offsets: dict[Any, int]) -> bool:
        """Handle one partition's messages in order: in chunks, each one DB transaction (``_apply_chunk``);
        a message the fast path cannot take (invalid, or its handler failed) alone, with retries and the
        DLQ (``handle_message``). ``offsets[tp]`` follows what is finished. False when stopping."""
        pending: list[_Entry] = []
        for msg in messages:
            try:
                envelope: dict[str, Any] | None = decode(msg.value)
            except InvalidEvent:
                envelope = None  # handle_message sends it to the DLQ, in its turn
            pending.append((msg, envelope, self.handlers.get(envelope["type"]) if envelope else None))
        while pending:
            if self._stop.is_set():
                return False
            done, attempts = self._apply_chunk(pending)
            if done:
                offsets[tp] = pending[done - 1][0].offset + 1
                pending = pending[done:]
            if attempts is None:
                continue
            msg = pending[0][0]
            # The retries may take a while: what is finished before this message is acknowledged first.
            self._commit_offsets(kafka_consumer, offsets)
            outcome = self.handle_message(msg, attempts_done=attempts)
            if outcome is Outcome.ABANDONED:
                return False
            offsets[tp] = msg.offset + 1
            pending = pending[1:]
        return True

    def _commit_offsets(self, kafka_consumer: Any, offsets: dict[Any, int]) -> None:
        """Commit ``offsets`` (every effect before them is committed in the database), then forget them."""
        from kafka import OffsetAndMetadata
        from kafka.errors import CommitFailedError, KafkaError

        if not offsets:
            return
        try:
            kafka_consumer.commit({tp: OffsetAndMetadata(offset, None, -1) for tp, offset in offsets.items()})
        except (CommitFailedError, KafkaError) as exc:
            # Rebalanced away (or a broker hiccup): the effects are in the inbox, so whoever reads these
            # partitions next from their last committed offset skips them; a partition still ours is
            # covered by the next commit (an offset acknowledges everything before it).
            log.warning("offset commit failed for %s: %r", sorted(str(tp) for tp in offsets), exc)
        offsets.clear()

    # --- one message ---------------------------------------------------------------------------------

    def handle_message(self, msg: Any, attempts_done: int = 0) -> Outcome:
        """Validate, dedupe, apply (with retries), or dead-letter one Kafka message, in its own transaction.

        ``attempts_done``: attempts its handler already had in a chunk (``_apply_chunk``), counted
        against ``max_attempts``."""
        try:
            envelope = decode(msg.value)
        except InvalidEvent as exc:
            log.warning("invalid event at %s[%d]@%d: %s", msg.topic, msg.partition, msg.offset, exc)
            return self._dead_letter(msg, "invalid_event", str(exc), attempts=0)
        handler = self.handlers.get(envelope["type"])
        if handler is None:
            return Outcome.IGNORED
        backoff = Backoff(self.retry_backoff, self.retry_backoff_max)
        waits, db_failures = 0, 0  # the backoff's attempt numbers: handler retries, database outages
        attempt = attempts_done
        first_error = self._failed_once.pop(envelope["id"], None)
        if attempt and first_error is not None:
            if attempt >= self.max_attempts:
                return self._dead_letter(msg, "handler_failed", f"{type(first_error).__name__}: {first_error}", attempt)
            waits += 1
            if self._stop.wait(backoff.delay(waits)):
                return Outcome.ABANDONED
        while True:
            try:
                return self._apply(handler, envelope, attempt + 1)
            except OperationalError as exc:
                db_failures += 1
                delay = backoff.delay(db_failures)
                log.warning("database unavailable handling %s (%s); retrying in %.1fs", envelope["id"], exc, delay)
                if self._stop.wait(delay):
                    return Outcome.ABANDONED
            except Exception as exc:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
                attempt += 1
                log.warning(
                    "handler for %s %s failed (attempt %d/%d): %r",
                    envelope["type"], envelope["id"], attempt, self.max_attempts, exc,
                    exc_info=attempt == self.max_attempts,
                )
                if attempt >= self.max_attempts:
                    return self._dead_letter(msg, "handler_failed", f"{type(exc).__name__}: {exc}", attempt)
                waits += 1
                if self._stop.wait(backoff.delay(waits)):
                    return Outcome.ABANDONED

    def _apply(self, handler: Handler, envelope: dict[str, Any], attempt: int) -> Outcome:
        session = self.session_factory()
        try:
            try:
                inbox.claim(session, self.consumer, envelope["id"])
            except inbox.AlreadyProcessed:
                session.rollback()
                log.info("%s already processed %s; skipping", self.consumer, envelope["id"])
                return Outcome.DUPLICATE
            with _runner_owns_the_transaction(session):
                handler(self.context(session, attempt), envelope)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        if self.after_effect is not None:
            self.after_effect(envelope)
        return Outcome.DONE

    # --- the dead-letter queue -----------------------------------------------------------------------

    def _dead_letter(self, msg: Any, reason: str, error: str, attempts: int) -> Outcome:
        """Publish the original message to ``<topic>.dlq`` with the error; retry until acked or stopping."""
        from kafka.errors import KafkaError

        from events.kafka import make_producer

        headers = [
            ("dlq.reason", reason.encode()),
            ("dlq.error", error[:4000].encode("utf-8", "replace")),
            ("dlq.consumer", self.consumer.encode()),
            ("dlq.source_topic", msg.topic.encode()),
            ("dlq.source_partition", str(msg.partition).encode()),
            ("dlq.source_offset", str(msg.offset).encode()),
            ("dlq.attempts", str(attempts).encode()),
            ("dlq.failed_at", self.clock().isoformat().encode()),
        ]
        backoff, failures = Backoff(self.retry_backoff, self.retry_backoff_max), 0
        while True:
            try:
                if self._dlq_producer is None:
                    self._dlq_producer = make_producer(self.bootstrap_servers)
                self._dlq_producer.send(dlq_topic(msg.topic), key=msg.key, value=msg.value, headers=headers).get(
                    timeout=15
                )
                log.error("dead-lettered %s[%d]@%d (%s): %s", msg.topic, msg.partition, msg.offset, reason, error)
                return Outcome.DEAD_LETTERED
            except (KafkaError, OSError) as exc:
                self._close_dlq_producer()
                failures += 1
                delay = backoff.delay(failures)
                log.warning("could not publish to the DLQ (%r); retrying in %.1fs", exc, delay)
                if self._stop.wait(delay):
                    return Outcome.ABANDONED

    def _close_dlq_producer(self) -> None:
        producer, self._dlq_producer = self._dlq_producer, None
        if producer is not None:
            try:
                producer.close(timeout=2)
            except Exception:  # noqa: BLE001 - discarding a broken producer
                log.debug("closing the DLQ producer raised", exc_info=True)


@contextmanager
def _runner_owns_the_transaction(session: Session) -> Iterator[None]:
    """While the handler runs, refuse its commits and notice its rollbacks (savepoints stay allowed).

    A commit from inside a handler would commit the inbox row with half an effect (the rest then never
    happens: the retry finds the row); a rollback would drop the inbox row and let the rest of the effect
    commit without it (applied again on redelivery). Either way the attempt fails and nothing commits.
    """
    transaction = session.get_transaction()

    def refuse_commit(s: Session) -> None:
        if not s.in_nested_transaction():
            raise HandlerCommitted("a handler must not commit: the runner commits its effect with the inbox row")

    event.listen(session, "before_commit", refuse_commit)
    try:
        yield
    finally:
        event.remove(session, "before_commit", refuse_commit)
    if session.get_transaction() is not transaction:
        raise HandlerCommitted("a handler must not end the transaction (commit or rollback): the runner does")
