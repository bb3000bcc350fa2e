"""Shared pieces of the integration tests: a visible "effect" table, recording, consuming, waiting."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import Session

from events.models import OutboxEvent
from events.outbox import record
from tests.threads import in_thread
from workers.runner import RunnerOptions

# A stand-in for a handler's business effect (a payment row, a promotion row…). No unique constraint on
# purpose: an effect applied twice shows up as two rows.
effects_metadata = MetaData()
effects = Table(
    "test_effects",
    effects_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("consumer", String(64), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(64), nullable=False),
)


def write_effect(consumer: str) -> Callable[[Any, dict[str, Any]], None]:
    """A worker handler (``handler(ctx, event)``) whose effect is one ``test_effects`` row."""

    def handler(ctx: Any, envelope: dict[str, Any]) -> None:
        ctx.session.execute(
            insert(effects).values(consumer=consumer, event_id=envelope["id"], event_type=envelope["type"])
        )

    return handler


def effect_count(session_factory: Any, event_id: str | None = None) -> int:
    with session_factory() as session:
        stmt = select(func.count()).select_from(effects)
        if event_id is not None:
            stmt = stmt.where(effects.c.event_id == event_id)
        return int(session.execute(stmt).scalar_one())


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def approved(listing_id: int = 12) -> dict[str, Any]:
    return {
        "listing_id": listing_id, "shop_id": 3, "title": "Batik tulis", "price_idr": 350_000, "category": "batik",
        "city": "Tangerang Selatan", "kelurahan": "Pondok Ranji", "path": f"/listings/{listing_id}",
    }


def record_on(session: Session, topic: str, event_type: str = "listing.approved", key: int = 12,
              data: dict[str, Any] | None = None) -> OutboxEvent:
    """``outbox.record`` as a service would, but routed to this test's own topic (isolation)."""
    row = record(session, event_type, key, data if data is not None else approved(key))
    row.topic = topic
    return row


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def consume_all(bootstrap: str, topic: str, *, expect: int, timeout: float = 20.0, settle: float = 1.0) -> list[Any]:
    """Every message of ``topic`` from the beginning (no group): ``expect`` of them, then ``settle`` more
    seconds to catch anything extra (duplicates, events that should not be there)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                             request_timeout_ms=30_000)
    try:
        parts = wait_for(lambda: consumer.partitions_for_topic(topic), 10, f"metadata of {topic}")
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        got: list[Any] = []
        deadline = time.monotonic() + timeout
        settle_until: float | None = None
        while time.monotonic() < deadline:
            for messages in consumer.poll(timeout_ms=200).values():
                got.extend(messages)
            if len(got) >= expect:
                settle_until = settle_until or time.monotonic() + settle
                if time.monotonic() >= settle_until:
                    break
        return sorted(got, key=lambda m: (m.partition, m.offset))
    finally:
        consumer.close()


def committed_offsets(bootstrap: str, group: str) -> dict[Any, int]:
    from events.kafka import make_admin

    admin = make_admin(bootstrap)
    try:
        return {tp: meta.offset for tp, meta in admin.list_group_offsets({group: None}).get(group, {}).items()}
    finally:
        admin.close()


def end_offsets(bootstrap: str, topic: str) -> dict[Any, int]:
    from kafka import TopicPartition
    from kafka.admin import OffsetSpec

    from events.kafka import make_admin

    admin = make_admin(bootstrap)
    try:
        parts = admin.describe_topics([topic])[0]["partitions"]
        tps = {TopicPartition(topic, p["partition_index"]): OffsetSpec.LATEST for p in parts}
        return {tp: o.offset for tp, o in admin.list_partition_offsets(tps).items()}
    finally:
        admin.close()



# kafka-python 3.0.12 leaves a refused connection's socket to the garbage collector; pyproject ignores
# the ResourceWarning itself, and here, for the broker tests only (which provoke refused connections),
# pytest's report of it when it surfaces from a finaliser. Unit tests keep failing on any leaked socket.
KAFKA_WARNING_FILTERS = ("ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning",)

KAFKA_WARNINGS = [pytest.mark.filterwarnings(line) for line in KAFKA_WARNING_FILTERS]


#: Consumer settings that keep a test's group join and retries short.
FAST_RUNNER = RunnerOptions(session_timeout_ms=6_000, poll_timeout_ms=200, retry_backoff=0.05, retry_backoff_max=0.2)


@contextmanager
def declared_worker(handlers: Any, name: str, app: Any, settings: Any, bootstrap: str, topic: str) -> Iterator[str]:
    """A worker as its module declares it (handlers, dependencies, background tasks) consuming this
    test's topic in a thread; yields its consumer group, and checks the thread stopped."""
    from workers.runner import ConsumerRunner
    from workers.worker import Worker

    group = unique(name)
    worker = Worker(name=group, topics=(topic,), handlers=handlers.HANDLERS,
                    build_dependencies=handlers.build_dependencies, background_tasks=handlers.background_tasks)
    runner = ConsumerRunner(worker, settings=settings, bootstrap_servers=bootstrap,
                            session_factory=app.extensions["db"].write_session_factory, options=FAST_RUNNER)
    with in_thread(runner.run, what="the worker"):
        yield group
