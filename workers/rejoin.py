"""A consumer's side of a broker that lost its topics: notice the re-created topic, read it from the start.

A consumer group that survives a broker restart keeps its in-memory fetch positions. When the broker
came back empty (the in-memory embedded broker) and the topic was created again, those positions point
into a different, younger log: a worker at offset 7 of partition 2 silently skips the first seven
events of the new partition, and its committed offsets (there are none on the new broker) cannot tell.
Kafka's own reset (``auto_offset_reset="earliest"``) only helps when the position is out of range.

Every topic has an id (KIP-516) that a re-created topic does not share, and the consumer's metadata
carries it. After each poll the runner asks ``TopicRewind.check``: a topic whose id changed is rewound
— every partition this member holds is sought to its beginning, the records just fetched for it are
dropped unhandled, and partitions assigned later (the group re-joins on the new broker) are rewound on
assignment. Reading again from the start is harmless: the inbox skips what was already applied. A
group whose offsets are gone, with topics intact, starts from the earliest offset for the same reason.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from kafka import ConsumerRebalanceListener, TopicPartition

log = logging.getLogger(__name__)


class TopicRewind(ConsumerRebalanceListener):
    """The runner's rebalance listener and topic-id watch (``attach`` it to the consumer first)."""

    def __init__(self, topics: Iterable[str], name: str = ""):
        self.topics = list(topics)
        self.name = name
        self.consumer: Any = None
        self._known: dict[str, Any] = {}
        self._pending: set[TopicPartition] = set()

    def attach(self, consumer: Any) -> None:
        self.consumer = consumer
        self._known = {}

    def _cluster(self) -> Any:
        # kafka-python keeps the topic ids of the consumer's metadata (v10+) on its cluster object; there
        # is no public accessor on KafkaConsumer.
        return self.consumer._client.cluster  # noqa: SLF001

    def check(self) -> set[str]:
        """The topics found re-created since the last call (their held partitions now rewound)."""
        cluster = self._cluster()
        changed: set[str] = set()
        for topic in self.topics:
            topic_id = cluster.topic_id(topic)
            if topic_id is None:  # missing right now (broker restarting): wait for it to come back
                continue
            previous = self._known.get(topic)
            if previous is not None and previous != topic_id:
                changed.add(topic)
            self._known[topic] = topic_id
        if changed:
            for topic in changed:
                self._pending |= {TopicPartition(topic, p) for p in cluster.partitions_for_topic(topic) or ()}
            log.warning("%s: topics %s were re-created on the broker; reading them again from the start",
                        self.name or "consumer", sorted(changed))
            self._rewind(self.consumer.assignment())
        return changed

    def _rewind(self, partitions: Iterable[TopicPartition]) -> None:
        due = [tp for tp in partitions if tp in self._pending]
        if due:
            self.consumer.seek_to_beginning(*due)
            self._pending -= set(due)

    # --- ConsumerRebalanceListener -------------------------------------------------------------------

    def on_partitions_revoked(self, revoked: Any) -> None:
        """Nothing to do: offsets are committed per event, never in bulk at a rebalance."""

    def on_partitions_assigned(self, assigned: Any) -> None:
        if self.consumer is not None:
            self._rewind(assigned)
