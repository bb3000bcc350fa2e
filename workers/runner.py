"""The consumer loop every worker runs: poll → validate → handle (with the inbox) → commit → offsets.

Guarantees (ARCHITECTURE.md §1, STYLE habit 5):

- **Effects exactly once.** A handler's effect and its event's inbox row commit in one DB transaction;
  the Kafka offsets are committed afterwards. A crash in between redelivers the event, the inbox row is
  found, the event is skipped and its offset committed.
- **Batches.** A poll (up to ``max_poll_records``, 500, fewer when handlers are slow: a poll is sized to
  take at most a sixth of ``max_poll_interval_ms``) is handled partition by partition, in offset order,
  in *chunks* of about ``commit_interval`` of handler time, each one transaction. The database side (the
  bulk inbox claim, the chunk's rollback and retry-alone, what a crash mid-batch redelivers) is the
  ``workers.chunks.ChunkApplier`` the runner holds; the runner keeps Kafka and the retries.
  The offsets of the whole poll are committed once, after every effect in it committed (and before a
  failing event's retries, for what came before it).
- **Poison never blocks a partition.** An envelope that does not validate goes to ``<topic>.dlq`` at
  once; a handler that keeps raising is retried ``max_attempts`` times with backoff, then its event goes
  to the DLQ with the error in the headers (``workers.dead_letters``). The offset is committed only once
  the DLQ acknowledged, so nothing is dropped; ``marketplace events replay`` sends it again once the bug
  is fixed.
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
- **The runner's commits only.** Each handler gets a ``HandlerContext`` (its transaction's session, the
  settings, the clock and the gateways built once by the worker's factory). A handler that commits or
  rolls back the session itself fails that attempt (``workers.chunks``: one guard for both paths), so
  an effect never commits without its inbox row, nor an inbox row without the whole effect.
- **Options** (group, retries, timeouts, sizes) come in one ``RunnerOptions``; its defaults are
  production's.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from events.backoff import Backoff
from events.catalogue import InvalidEvent
from events.envelope import decode
from events.kafka import MAX_POLL_INTERVAL_MS
from marketplace.config import Settings
from marketplace.db import utcnow
from workers.chunks import ChunkApplier, Entry, HandlerCommitted
from workers.dead_letters import DeadLetterQueue
from workers.worker import Clock, Dependencies, Handler, HandlerContext, Worker

log = logging.getLogger(__name__)

__all__ = ["ConsumerRunner", "Handler", "HandlerCommitted", "Outcome", "RunnerOptions"]


class Outcome(enum.Enum):
    DONE = "done"  # effect committed now
    DUPLICATE = "duplicate"  # effect committed earlier (inbox row found)
    IGNORED = "ignored"  # no handler for this type in this worker
    DEAD_LETTERED = "dead_lettered"  # parked in <topic>.dlq
    ABANDONED = "abandoned"  # stopping: not handled, offset not committed


@dataclass(frozen=True)
class RunnerOptions:
    """How a runner consumes; the defaults are production's (``marketplace worker`` sets two of them)."""

    group_id: str | None = None  # the consumer group; None: the worker's name
    max_attempts: int = 3  # handler runs before its event goes to the DLQ
    retry_backoff: float = 0.5  # seconds before a retry (broker, handler, database, DLQ), doubling…
    retry_backoff_max: float = 10.0  # … up to this
    session_timeout_ms: int = 10_000
    poll_timeout_ms: int = 500
    create_topics: bool = True  # create the topics (with the catalogue's partitions) before consuming
    consumer_overrides: Mapping[str, Any] = field(default_factory=dict)  # more ``KafkaConsumer`` settings
    topic_check_interval: float = 2.0  # seconds between looks for re-created topics (``workers.rejoin``)
    # A member out of a stable group this long joins afresh (``workers.rejoin.Membership``). None: longer
    # than a join may legitimately wait (the rebalance timeout) plus two sessions.
    rejoin_after: float | None = None
    commit_interval: float = 0.05  # seconds of handler time in one chunk's transaction (``workers.chunks``)
    max_poll_records: int = 500

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.max_poll_records < 1:
            raise ValueError("max_attempts and max_poll_records must be at least 1")

    @property
    def max_poll_interval(self) -> float:
        """Seconds between polls past which the group counts this member dead (and rebalances)."""
        return self.consumer_overrides.get("max_poll_interval_ms", MAX_POLL_INTERVAL_MS) / 1000

    @property
    def rejoin_seconds(self) -> float:
        if self.rejoin_after is not None:
            return self.rejoin_after
        return self.max_poll_interval + 2 * self.session_timeout_ms / 1000


class ConsumerRunner:
    """One worker process's consumer-group loop; everything it needs comes in through the constructor.

    It holds a :class:`ChunkApplier` (``chunks``) for the database side and a :class:`DeadLetterQueue`
    (``dead_letters``), and keeps Kafka (polls, offsets, re-joins), the retries and the background tasks."""

    def __init__(
        self,
        worker: Worker,
        *,
        session_factory: Callable[[], Session],
        bootstrap_servers: str,
        settings: Settings,
        dependencies: Dependencies | None = None,
        clock: Clock = utcnow,
        options: RunnerOptions | None = None,
        after_effect: Callable[[dict[str, Any]], None] | None = None,
    ):
        """``dependencies``: the worker's gateways; built here, once, by its ``build_dependencies(settings)``
        unless given (a test's fakes). ``after_effect``: a test seam, run after an effect's DB commit and
        before its offset commit (the crash window)."""
        if not bootstrap_servers:
            raise ValueError("KAFKA_BOOTSTRAP_SERVERS is not set")
        self.consumer = worker.name
        self.topics = list(worker.topics)
        self.handlers = dict(worker.handlers)
        self.session_factory = session_factory
        self.bootstrap_servers = bootstrap_servers
        self.settings = settings
        built = worker.build_dependencies(settings) if dependencies is None else dependencies
        self.dependencies: Dependencies = MappingProxyType(dict(built))  # shared by every context
        self.background = list(worker.background_tasks(settings, self.dependencies))
        self.clock = clock
        self.options = options or RunnerOptions()
        self.chunks = ChunkApplier(
            self.consumer, session_factory, self.context, commit_interval=self.options.commit_interval,
            max_attempts=self.options.max_attempts, after_effect=after_effect,
        )
        self.dead_letters = DeadLetterQueue(bootstrap_servers, self.consumer, clock, self._backoff)
        self._per_event = 0.0  # seconds a polled record took, smoothed (sizes the next poll)
        self._stop = threading.Event()

    def context(self, session: Session, attempt: int = 1) -> HandlerContext:
        """What a handler receives for one attempt: this session plus the process-wide dependencies."""
        return HandlerContext(
            session=session, settings=self.settings, clock=self.clock, gateways=self.dependencies,
            consumer=self.consumer, attempt=attempt,
        )

    def _backoff(self) -> Backoff:
        """The retry policy (a value: each loop counts its own failures)."""
        return Backoff(self.options.retry_backoff, self.options.retry_backoff_max)

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

        from events.kafka import ensure_topics, group_ids, make_consumer, topic_layout

        options = self.options
        if options.create_topics and not self._ensure_topics(ensure_topics):
            return
        from workers.rejoin import Membership, TopicRewind

        # No static membership (KIP-345): on the embedded broker a SIGKILLed static member was never
        # evicted, so its restarted process could not join.
        rewind = TopicRewind(self.topics, lambda: topic_layout(self.bootstrap_servers, 2.0), name=self.consumer,
                             interval=options.topic_check_interval)
        group_id = options.group_id or self.consumer
        membership = Membership(
            lambda group: make_consumer(
                self.bootstrap_servers, group, self.topics,
                session_timeout_ms=options.session_timeout_ms, listener=rewind, **options.consumer_overrides,
            ),
            rewind, group_id=group_id, rejoin_after=options.rejoin_seconds, name=self.consumer,
            groups=lambda: group_ids(self.bootstrap_servers, 2.0),
        )
        log.info("worker %s consuming %s as group %s", self.consumer, self.topics, group_id)
        backoff, failures = self._backoff(), 0
        try:
            while not self._stop.is_set():
                try:
                    batch = membership.poll(options.poll_timeout_ms, self._poll_size())
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
            self.dead_letters.close()
            log.info("worker %s stopped", self.consumer)

    def _ensure_topics(self, ensure: Callable[..., Any]) -> bool:
        """Create the topics, waiting (with backoff) for a broker that is still starting; False if stopped."""
        from kafka.errors import KafkaError

        backoff, failures = self._backoff(), 0
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
        interval = self.options.max_poll_interval
        return max(1, min(self.options.max_poll_records, int(interval / 6 / max(self._per_event, 1e-6))))

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
        """Handle one partition's messages in order: in chunks, each one DB transaction (``self.chunks``);
        a message the fast path cannot take (invalid, or its handler failed) alone, with retries and the
        DLQ (``handle_message``). ``offsets[tp]`` follows what is finished. False when stopping."""
        pending: list[Entry] = []
        for msg in messages:
            try:
                envelope: dict[str, Any] | None = decode(msg.value)
            except InvalidEvent:
                envelope = None  # handle_message sends it to the DLQ, in its turn
            pending.append((msg, envelope, self.handlers.get(envelope["type"]) if envelope else None))
        while pending:
            if self._stop.is_set():
                return False
            done, alone = self.chunks.apply_chunk(pending)
            if done:
                offsets[tp] = pending[done - 1][0].offset + 1
                pending = pending[done:]
            if alone is None:
                continue
            msg = pending[0][0]
            # The retries may take a while: what is finished before this message is acknowledged first.
            self._commit_offsets(kafka_consumer, offsets)
            outcome = self.handle_message(msg, alone.failed)
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

    def handle_message(self, msg: Any, failed_in_chunk: BaseException | None = None) -> Outcome:
        """Validate, dedupe, apply (with retries), or dead-letter one Kafka message, in its own transaction.

        ``failed_in_chunk``: its handler's error in a chunk (``ChunkApplier.apply_chunk``); that run was
        attempt 1 of ``max_attempts``."""
        try:
            envelope = decode(msg.value)
        except InvalidEvent as exc:
            log.warning("invalid event at %s[%d]@%d: %s", msg.topic, msg.partition, msg.offset, exc)
            return self._dead_letter(msg, "invalid_event", str(exc), attempts=0)
        handler = self.handlers.get(envelope["type"])
        if handler is None:
            return Outcome.IGNORED
        backoff = self._backoff()
        waits, db_failures = 0, 0  # the backoff's attempt numbers: handler retries, database outages
        error = failed_in_chunk
        attempt = 0 if error is None else 1
        while True:
            if error is not None:  # attempt ``attempt`` failed: dead-letter it, or wait and try again
                if attempt >= self.options.max_attempts:
                    return self._dead_letter(msg, "handler_failed", f"{type(error).__name__}: {error}", attempt)
                waits += 1
                if self._stop.wait(backoff.delay(waits)):
                    return Outcome.ABANDONED
                error = None
            try:
                applied = self.chunks.apply_one(handler, envelope, attempt + 1)
                return Outcome.DONE if applied else Outcome.DUPLICATE
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
                    envelope["type"], envelope["id"], attempt, self.options.max_attempts, exc,
                    exc_info=attempt == self.options.max_attempts,
                )
                error = exc

    def _dead_letter(self, msg: Any, reason: str, error: str, attempts: int) -> Outcome:
        if self.dead_letters.publish(msg, reason, error, attempts, self._stop):
            return Outcome.DEAD_LETTERED
        return Outcome.ABANDONED
