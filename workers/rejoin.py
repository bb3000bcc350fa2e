"""A consumer's side of a broker that lost its topics: notice the re-created topic, re-join, read it
from the start.

A consumer group that survives a broker restart keeps its in-memory fetch positions. When the broker
came back empty (the in-memory embedded broker) and the topic was created again, those positions point
into a different, younger log: a worker at offset 7 of partition 2 silently skips the first seven
events of the new partition, and its committed offsets (there are none on the new broker) cannot tell.
Kafka's own reset (``auto_offset_reset="earliest"``) only helps when the position is out of range. And
a kafka-python client that lived through the restart was seen waiting for ever to re-join the group.

Every topic has an id (KIP-516) that a re-created topic does not share. Every ``interval`` seconds the
runner asks ``TopicRewind.check``, which lists the topics with their ids (its own admin request, so it
works even while the consumer is stuck). When one of ours has a new id, the runner drops the records
just fetched (stale positions), closes its consumer and joins the group afresh, and every partition of
the re-created topic is sought to its beginning when it is assigned, whatever offset was committed
meanwhile from a stale position. Reading again from the start is harmless: the inbox skips what was
already applied. A group whose offsets are gone, with topics intact, starts from the earliest offset
(``auto_offset_reset``) for the same reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from kafka import ConsumerRebalanceListener, TopicPartition

log = logging.getLogger(__name__)

#: name → (topic id, partition count), e.g. ``events.kafka.topic_layout`` bound to a broker
Layout = Callable[[], dict[str, tuple[str, int]]]


class TopicRewind(ConsumerRebalanceListener):
    """The runner's rebalance listener and topic-id watch (``attach`` it to each consumer it opens)."""

    def __init__(self, topics: Iterable[str], layout: Layout, *, name: str = "", interval: float = 2.0):
        self.topics = list(topics)
        self.layout = layout
        self.name = name
        self.interval = interval
        self.consumer: Any = None
        self._known: dict[str, str] = {}
        self._pending: set[TopicPartition] = set()
        self._checked_at = float("-inf")

    def attach(self, consumer: Any) -> None:
        """Watch this consumer (a new one after a re-join: the partitions still to rewind are kept)."""
        self.consumer = consumer

    def check(self) -> set[str]:
        """The topics found re-created since the last look (at most every ``interval`` seconds)."""
        from kafka.errors import KafkaError

        if time.monotonic() - self._checked_at < self.interval:
            return set()
        self._checked_at = time.monotonic()
        try:
            layout = self.layout()
        except (KafkaError, OSError) as exc:  # broker away: look again later
            log.debug("%s: topic check failed: %r", self.name, exc)
            return set()
        changed: set[str] = set()
        for topic in self.topics:
            if topic not in layout:  # missing right now (broker restarting): wait for it to come back
                continue
            topic_id, partitions = layout[topic]
            previous = self._known.get(topic)
            if previous is not None and previous != topic_id:
                changed.add(topic)
                self._pending |= {TopicPartition(topic, p) for p in range(partitions)}
            self._known[topic] = topic_id
        if changed:
            log.warning("%s: topics %s were re-created on the broker; re-joining and reading them from the start",
                        self.name or "consumer", sorted(changed))
        return changed

    def incarnation(self) -> dict[str, str]:
        """Our topics' ids as last seen (what names the broker incarnation we consume from)."""
        return {t: self._known[t] for t in self.topics if t in self._known}

    def _rewind(self, partitions: Iterable[TopicPartition]) -> None:
        due = [tp for tp in partitions if tp in self._pending]
        if due:
            self.consumer.seek_to_beginning(*due)
            self._pending -= set(due)

    # --- ConsumerRebalanceListener -------------------------------------------------------------------

    def on_partitions_revoked(self, revoked: Any) -> None:
        """Nothing to do: a poll's offsets are committed before the next poll (where rebalances happen),
        so none are pending here."""

    def on_partitions_assigned(self, assigned: Any) -> None:
        if self.consumer is not None:
            self._rewind(assigned)


class Membership:
    """The runner's consumer, replaced by a fresh one (a fresh group member) when that is the way out.

    Two cases: the broker lost our topics (``TopicRewind``), and a member that has not been in a stable
    group for ``rejoin_after`` seconds — after a broker restart a kafka-python client was seen stuck for
    good in a join or sync that the new broker had forgotten, polling nothing while its partitions
    waited. A member that is stable but idle (more members than partitions) is left alone.

    When the topics were re-created the new member joins a group named after the new topic ids
    (``events.kafka.incarnation_group``), not the old one: on the embedded broker the old name's group
    was seen waiting for ever for a member that died with the previous broker (a ghost), so no member
    got partitions. Every process of the consumer sees the same ids, so they all meet in the same new
    group and share its partitions; it has no committed offsets and reads from the start (the inbox
    skips what was applied). A broker whose topics are never re-created (Apache Kafka) keeps the
    consumer's own group name.
    """

    def __init__(self, open_consumer: Callable[[str], Any], rewind: TopicRewind, *, group_id: str,
                 rejoin_after: float, name: str = "", groups: Callable[[], Iterable[str]] | None = None):
        self._open = open_consumer
        self._groups = groups
        self._groups_checked_at = float("-inf")
        self.rewind = rewind
        self.base_group_id = group_id
        self.group_id = group_id
        self.rejoin_after = rejoin_after
        self.name = name
        self.consumer: Any = None
        self._unstable_since: float | None = None

    def poll(self, timeout_ms: int, max_records: int | None = None) -> dict[Any, list[Any]]:
        """One poll; ``{}`` (records dropped, read again) when the consumer was just replaced.

        Raises ``KafkaError`` when the broker is away (the runner backs off and polls again).
        """
        if self.consumer is None:
            self.group_id = self._moved_group() or self.group_id
            self.consumer = self._open(self.group_id)
            self.rewind.attach(self.consumer)
            self._unstable_since = None
        batch = self.consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
        if self.rewind.check():
            from events.kafka import incarnation_group

            self.group_id = incarnation_group(self.base_group_id, self.rewind.incarnation())
            self.rejoin(f"its topics were re-created (now group {self.group_id})")
            return {}
        moved = self._moved_group()
        if moved:
            self.group_id = moved
            self.rejoin(f"the other instances consume in group {moved} (the broker re-created the topics)")
            return {}
        if self._stuck():
            self.rejoin(f"it has not been in a stable group for {self.rejoin_after:.0f}s")
            return {}
        return batch

    def _moved_group(self) -> str | None:
        """The incarnation group of the topics as they are now, if this member is still in the plain
        group while that one exists on the broker: an instance started after a broker restart saw no
        re-creation, so it would stay in the plain group while the ones that lived through it moved
        (a kind split in two groups, each reading every partition). Looked at every ``interval``."""
        if self._groups is None or self.group_id != self.base_group_id:
            return None
        if time.monotonic() - self._groups_checked_at < self.rewind.interval:
            return None
        self._groups_checked_at = time.monotonic()
        from kafka.errors import KafkaError

        from events.kafka import incarnation_group

        ids = self.rewind.incarnation()  # as the poll's own ``rewind.check()`` last saw them
        if len(ids) != len(self.rewind.topics):
            return None
        wanted = incarnation_group(self.base_group_id, ids)
        try:
            return wanted if wanted in set(self._groups()) else None
        except (KafkaError, OSError):  # broker away: look again later
            return None

    def _stuck(self) -> bool:
        coordinator = getattr(self.consumer, "_coordinator", None)  # kafka-python: no public group state
        if coordinator is None or coordinator.stable():
            self._unstable_since = None
            return False
        now = time.monotonic()
        if self._unstable_since is None:
            self._unstable_since = now
        return now - self._unstable_since >= self.rejoin_after

    def rejoin(self, why: str) -> None:
        log.warning("%s: re-joining the group as a new member: %s", self.name or "consumer", why)
        self.close()

    def close(self) -> None:
        from kafka.errors import KafkaError

        consumer, self.consumer = self.consumer, None
        if consumer is not None:
            try:
                consumer.close(autocommit=False, timeout_ms=5_000)
            except (KafkaError, OSError):
                log.debug("closing the consumer raised", exc_info=True)
