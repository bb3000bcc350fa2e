"""The dead-letter queue a worker parks what it cannot apply in: ``<topic>.dlq``, the original message
with why in its headers (reason, error, consumer, where it came from, attempts, when).

An event is dead-lettered when it does not validate, or when its handler kept raising for
``max_attempts`` attempts (``workers.runner``). Its offset is committed only once the DLQ acknowledged
it, so nothing is dropped: publishing is retried, with backoff, until it is acknowledged or the worker
stops. ``marketplace events replay`` sends such an event again once the bug is fixed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from events.backoff import Backoff
from events.catalogue import dlq_topic
from workers.worker import Clock

log = logging.getLogger("workers.runner")  # the consumer loop's log


class DeadLetterQueue:
    """One worker's publisher to the ``.dlq`` topics; its producer is opened on first use."""

    def __init__(self, bootstrap_servers: str, consumer: str, clock: Clock, backoff: Callable[[], Backoff]):
        self.bootstrap_servers = bootstrap_servers
        self.consumer = consumer
        self.clock = clock
        self.backoff = backoff  # a fresh Backoff for each message's publishing
        self._producer: Any = None

    def publish(self, msg: Any, reason: str, error: str, attempts: int, stop: threading.Event) -> bool:
        """Publish the original message to ``<topic>.dlq`` with the error; retry until acknowledged (True)
        or ``stop`` is set (False)."""
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
        backoff, failures = self.backoff(), 0
        while True:
            try:
                if self._producer is None:
                    self._producer = make_producer(self.bootstrap_servers)
                self._producer.send(dlq_topic(msg.topic), key=msg.key, value=msg.value, headers=headers).get(
                    timeout=15
                )
                log.error("dead-lettered %s[%d]@%d (%s): %s", msg.topic, msg.partition, msg.offset, reason, error)
                return True
            except (KafkaError, OSError) as exc:
                self.close()
                failures += 1
                delay = backoff.delay(failures)
                log.warning("could not publish to the DLQ (%r); retrying in %.1fs", exc, delay)
                if stop.wait(delay):
                    return False

    def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=2)
            except Exception:  # noqa: BLE001 - discarding a broken producer
                log.debug("closing the DLQ producer raised", exc_info=True)
