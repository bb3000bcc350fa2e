"""Noticing a broker that lost what it held, and putting it right: topics back, undelivered events re-sent.

Why: the embedded broker keeps everything in memory. When it dies and comes back (``marketplace run``
restarts it) its topics, messages and committed offsets are gone, yet the outbox has those events
stamped ``sent_at``: without this, they are never delivered and every gauge says all is well.

How it is noticed: every topic has an id (KIP-516) that a re-created topic does not share. The relay
runs a ``BrokerWatch`` every few seconds: it lists the topics with their ids (a Metadata request for all
topics, which names none, so Tansu creates nothing), and a catalogue topic that is missing, or whose id
changed since the last look, was lost. Apache Kafka never loses a topic on restart, so there this only
fires when someone deleted one.

What is done then: the topics are created again (with the catalogue's partition counts, before the
relay publishes to them) and exactly the events some consumer has not received — by our own tables,
``events.delivery``: sent rows with no inbox row for a consumer that handles their type — are queued for
the relay again. Consumers notice the new topic id themselves (``workers.rejoin``) and read the new
topic from its start; the inbox makes any second delivery harmless.

Why not a periodic re-publish of everything undelivered after the grace period instead: a worker that
is merely stopped (a deploy, an outage of its own) would then have its whole backlog re-published every
period, to every consumer of the topic. A lost topic is the one case where re-sending is certainly
needed; the rest is shown by ``marketplace events status`` and sent by ``events replay --undelivered``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from events.delivery import Subscriptions, mark_undelivered_for_replay

log = logging.getLogger(__name__)


class BrokerWatch:
    """``watch()`` → the topics found lost (now re-created, their undelivered events queued again).

    Raises ``KafkaError``/``OSError`` when the broker does not answer (the caller retries later).
    """

    def __init__(
        self,
        bootstrap: str,
        topics: Iterable[str],
        session_factory: Callable[[], Session],
        subscriptions: Subscriptions,
        *,
        timeout: float = 5.0,
    ):
        self.bootstrap = bootstrap
        self.topics = list(topics)
        self.session_factory = session_factory
        self.subscriptions = subscriptions
        self.timeout = timeout
        self._known: dict[str, str] = {}

    def __call__(self) -> list[str]:
        from events.kafka import ensure_topics, topic_ids

        ids = topic_ids(self.bootstrap, self.timeout)
        lost = [t for t in self.topics if t not in ids or (t in self._known and ids[t] != self._known[t])]
        if lost:
            ensure_topics(self.bootstrap, self.topics, timeout=self.timeout)
            ids = topic_ids(self.bootstrap, self.timeout)
            queued = self.requeue(lost)
            log.warning(
                "the broker lost topics %s (restarted empty?): re-created them; %d undelivered events queued"
                " for re-publishing", lost, queued,
            )
        self._known = {t: ids[t] for t in self.topics if t in ids}
        return lost

    def requeue(self, topics: list[str]) -> int:
        session = self.session_factory()
        try:
            count = mark_undelivered_for_replay(session, self.subscriptions, topics=topics)
            session.commit()
            return count
        finally:
            session.close()
