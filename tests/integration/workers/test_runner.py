"""The consumer runtime against a real broker and database: effects once, poison to the DLQ, clean stops,
handlers given their context, and a failing use case leaving nothing behind."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from events.envelope import build_envelope, encode
from events.kafka import ensure_topics, make_producer, relay_producer_factory
from events.models import OutboxEvent, ProcessedEvent
from events.outbox import record
from events.relay import Relay
from marketplace.config import Settings
from tests.integration.helpers import (
    FAST_RUNNER,
    committed_offsets,
    consume_all,
    effect_count,
    record_on,
    unique,
    wait_for,
    write_effect,
)
from workers.runner import ConsumerRunner
from workers.worker import HandlerContext, Worker
from tests.threads import in_thread

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]

@contextmanager
def running(runner: ConsumerRunner) -> Iterator[threading.Event]:
    """Run the worker loop in a thread; stop it like SIGTERM would and check it really stopped."""
    with in_thread(runner.run, what="the worker") as stop:
        yield stop


def make_runner(session_factory: Any, bootstrap: str, topic: str, handlers: dict[str, Any], *,
                consumer: str | None = None, settings: Settings | None = None, **options: Any) -> ConsumerRunner:
    """A runner of ``handlers`` on ``topic``, with short timeouts and backoffs (``FAST_RUNNER``) so retries
    and rebalances take a fraction of a second; ``options`` override them."""
    return ConsumerRunner(
        Worker(consumer or unique("test-consumer"), (topic,), handlers), session_factory=session_factory,
        bootstrap_servers=bootstrap, settings=settings or Settings(testing=True),
        options=dataclasses.replace(FAST_RUNNER, **options),
    )


def publish_outbox(session_factory: Any, bootstrap: str, topic: str) -> int:
    relay = Relay(session_factory, relay_producer_factory(bootstrap, [topic]))
    try:
        return relay.publish_batch()
    finally:
        relay.close()


def fully_committed(bootstrap: str, group: str, topic: str, total: int) -> bool:
    """The group committed past all ``total`` messages of ``topic`` (counted, not read from ListOffsets:
    Tansu reports the end of a multi-record batch as its base offset + 1)."""
    committed = committed_offsets(bootstrap, group)
    return sum(o for tp, o in committed.items() if tp.topic == topic) == total


def test_committed_event_reaches_its_consumer(session_factory, bootstrap):
    topic, consumer = unique("work-b"), unique("promotion")
    with session_factory() as session:
        event_id = record_on(session, topic, key=21).event_id
        session.commit()
    runner = make_runner(session_factory, bootstrap, topic, {"listing.approved": write_effect(consumer)},
                         consumer=consumer, group_id=consumer)
    with running(runner):
        assert publish_outbox(session_factory, bootstrap, topic) == 1
        wait_for(lambda: effect_count(session_factory, event_id) == 1, 30, "the handler's effect")
        wait_for(lambda: fully_committed(bootstrap, consumer, topic, 1), 15, "the offset commit")
    with session_factory() as session:
        inbox = session.scalars(select(ProcessedEvent).where(ProcessedEvent.event_id == event_id)).all()
    assert [row.consumer for row in inbox] == [consumer]


def _spawn_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own test module
            [sys.executable, "-m", "tests.integration.workers.worker_proc"],
            cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
        )


def test_worker_killed_between_effect_and_offset_commit_applies_the_effect_once(
    session_factory, database_url, bootstrap, tmp_path
):
    topic, consumer = unique("work-c"), unique("crashy")
    with session_factory() as session:
        before = record_on(session, topic, key=31).event_id
        victim = record_on(session, topic, key=31).event_id
        after = record_on(session, topic, key=31).event_id
        session.commit()
    ensure_topics(bootstrap, [topic])
    assert publish_outbox(session_factory, bootstrap, topic) == 3
    env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "TOPIC": topic,
           "GROUP": consumer, "CONSUMER": consumer}
    log = tmp_path / "worker.log"

    first = _spawn_worker({**env, "CRASH_AFTER_EVENT": victim}, log)
    try:
        assert first.wait(timeout=60) == -signal.SIGKILL, log.read_text()
    finally:
        first.kill()
    assert effect_count(session_factory, before) == 1
    assert effect_count(session_factory, victim) == 1  # committed in the DB…
    # (the event after it too when the three came in one poll: a poll's chunk commits them together)
    assert effect_count(session_factory, after) in (0, 1)
    assert not fully_committed(bootstrap, consumer, topic, 3)  # …but not in Kafka

    second = _spawn_worker(env, log)
    try:
        wait_for(lambda: fully_committed(bootstrap, consumer, topic, 3), 60, "the restarted worker to catch up")
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0, log.read_text()  # graceful shutdown
    finally:
        second.kill()
    # Redelivered, recognised by the inbox, skipped: every effect exactly once.
    assert [effect_count(session_factory, e) for e in (before, victim, after)] == [1, 1, 1]
    assert f"already processed {victim}" in log.read_text()
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 3


def test_poison_events_go_to_the_dlq_and_the_partition_moves_on(session_factory, bootstrap):
    topic, consumer = unique("work-d"), unique("poisoned")
    dlq = f"{topic}.dlq"
    ensure_topics(bootstrap, [topic])
    attempts: list[str] = []

    def always_fails(_ctx: HandlerContext, envelope: dict[str, Any]) -> None:
        attempts.append(envelope["id"])
        raise RuntimeError("boom: the social API said no")

    broken = build_envelope("listing.sold_out", 41, {"listing_id": 41, "shop_id": 3})
    good = build_envelope("listing.approved", 41, {
        "listing_id": 41, "shop_id": 3, "title": "Tenun", "price_idr": 90_000, "category": "tenun",
        "city": "Bekasi", "kelurahan": "Jatiasih", "path": "/listings/41",
    })
    invalid = dict(good, id="not-a-uuid")
    producer = make_producer(bootstrap)
    try:  # one key → one partition: the good event is queued behind both poison ones
        for value in (b"{this is not json", encode(invalid), encode(broken), encode(good)):
            producer.send(topic, key=b"41", value=value).get(timeout=10)
    finally:
        producer.close()

    handlers = {"listing.sold_out": always_fails, "listing.approved": write_effect(consumer)}
    with running(make_runner(session_factory, bootstrap, topic, handlers, consumer=consumer, max_attempts=3)):
        wait_for(lambda: effect_count(session_factory, good["id"]) == 1, 30, "the event behind the poison")
        wait_for(lambda: fully_committed(bootstrap, consumer, topic, 4), 15, "offsets past the poison")

    assert attempts == [broken["id"]] * 3  # retried, then given up
    parked = consume_all(bootstrap, dlq, expect=3)
    headers = [{k: v.decode() for k, v in m.headers} for m in parked]
    assert [h["dlq.reason"] for h in headers] == ["invalid_event", "invalid_event", "handler_failed"]
    assert "not UTF-8 JSON" in headers[0]["dlq.error"]
    assert "id" in headers[1]["dlq.error"]
    assert headers[2]["dlq.error"] == "RuntimeError: boom: the social API said no"
    assert headers[2]["dlq.attempts"] == "3" and headers[2]["dlq.consumer"] == consumer
    assert {h["dlq.source_topic"] for h in headers} == {topic}
    assert json.loads(parked[2].value)["id"] == broken["id"]  # the original, untouched, for replay
    with session_factory() as session:  # the failed handler left no inbox row: a replay will retry it
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)
                              .where(ProcessedEvent.event_id == broken["id"])) == 0


# --- the handler's context ---------------------------------------------------------------------------


class FakeChannel:
    """A social channel double built by the worker's factory: it remembers what it was asked to post."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.posts: list[tuple[str, datetime]] = []

    def post(self, url: str, *, at: datetime) -> str:
        self.posts.append((url, at))
        return f"fake-post-{len(self.posts)}"


def test_handlers_get_the_gateways_their_worker_declared_and_the_injected_clock(session_factory, bootstrap, settings):
    topic, consumer = unique("work-ctx"), unique("promotion")
    now = datetime(2025, 3, 1, 9, 30, tzinfo=timezone.utc)
    built: list[Settings] = []
    contexts: list[HandlerContext] = []

    def build_dependencies(s: Settings) -> dict[str, Any]:
        built.append(s)
        return {"channel": FakeChannel(s.public_base_url)}

    loaded_before: list[int] = []

    def on_listing_approved(ctx: HandlerContext, event: dict[str, Any]) -> None:
        contexts.append(ctx)
        loaded_before.append(len(ctx.session.identity_map))
        ctx.session.scalars(select(OutboxEvent)).all()  # loads objects into this unit of work
        channel = ctx.gateway("channel")
        channel.post(channel.base_url + event["data"]["path"], at=ctx.clock())
        write_effect(consumer)(ctx, event)

    worker = Worker(name=consumer, topics=(topic,), handlers={"listing.approved": on_listing_approved},
                    build_dependencies=build_dependencies)
    runner = ConsumerRunner(worker, settings=settings, session_factory=session_factory,
                            bootstrap_servers=bootstrap, clock=lambda: now, options=FAST_RUNNER)
    with session_factory() as session:
        events = [record_on(session, topic, key=51).event_id for _ in range(2)]
        session.commit()
    with running(runner):
        assert publish_outbox(session_factory, bootstrap, topic) == 2
        wait_for(lambda: effect_count(session_factory) == 2, 30, "both effects")
        wait_for(lambda: fully_committed(bootstrap, consumer, topic, 2), 15, "the offset commits")

    assert built == [settings]  # the factory ran once for the process, not once per event
    channel = runner.dependencies["channel"]
    assert channel.posts == [(f"{settings.public_base_url}/listings/51", now)] * 2
    assert [effect_count(session_factory, e) for e in events] == [1, 1]
    assert all(ctx.settings is settings and ctx.gateway("channel") is channel for ctx in contexts)
    assert [(ctx.consumer, ctx.attempt) for ctx in contexts] == [(consumer, 1)] * 2
    assert contexts[0] is not contexts[1]  # a context per event…
    assert loaded_before == [0, 0]  # …starting from an empty unit of work, even within one transaction


# --- a use case that fails after its effect ----------------------------------------------------------


def promotion_failed(listing_id: int, attempts: int) -> dict[str, Any]:
    return {"promotion_id": 7, "listing_id": listing_id, "channel": "instagram", "error": "timeout",
            "attempts": attempts}


def effect_and_event(consumer: str, ctx: HandlerContext, event: dict[str, Any]) -> None:
    """What a use case does before it fails: a row of its own and an event in the outbox, flushed so
    both really reached the database inside the transaction."""
    write_effect(consumer)(ctx, event)
    record(ctx.session, "promotion.failed", event["key"], promotion_failed(int(event["key"]), ctx.attempt))
    ctx.session.flush()


def outbox_types(session_factory: Any) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.id)))


def inbox_rows(session_factory: Any, event_id: str) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(ProcessedEvent)
                                  .where(ProcessedEvent.event_id == event_id)) or 0)


@pytest.mark.parametrize("misstep", ["raises", "commits", "rolls back"])
def test_a_handler_that_fails_after_its_effect_leaves_no_row_no_event_and_no_inbox_row(
    session_factory, bootstrap, misstep
):
    topic, consumer = unique("work-fail"), unique("promotion")
    attempts: list[int] = []

    def fails_after_its_effect(ctx: HandlerContext, event: dict[str, Any]) -> None:
        attempts.append(ctx.attempt)
        effect_and_event(consumer, ctx, event)
        if misstep == "raises":
            raise RuntimeError("the channel timed out after the promotion was saved")
        if misstep == "commits":
            ctx.session.commit()  # refused: only the runner commits
        else:
            ctx.session.rollback()  # drops the inbox row with the effect…
            write_effect(consumer)(ctx, event)  # …so this must not commit on its own either

    with session_factory() as session:
        event_id = record_on(session, topic, key=61).event_id
        session.commit()
    runner = make_runner(session_factory, bootstrap, topic, {"listing.approved": fails_after_its_effect},
                         consumer=consumer, max_attempts=3)
    with running(runner):
        assert publish_outbox(session_factory, bootstrap, topic) == 1
        wait_for(lambda: fully_committed(bootstrap, consumer, topic, 1), 30, "the offset past the failed event")

    assert attempts == [1, 2, 3]
    assert effect_count(session_factory, event_id) == 0  # no row…
    assert outbox_types(session_factory) == ["listing.approved"]  # …no event (only the one consumed)…
    assert inbox_rows(session_factory, event_id) == 0  # …and no inbox row: a replay will try again
    (parked,) = consume_all(bootstrap, f"{topic}.dlq", expect=1)
    headers = {k: v.decode() for k, v in parked.headers}
    assert headers["dlq.reason"] == "handler_failed" and headers["dlq.attempts"] == "3"
    expected = {"raises": "RuntimeError: the channel timed out", "commits": "HandlerCommitted: a handler must not commit",
                "rolls back": "HandlerCommitted: a handler must not end the transaction"}[misstep]
    assert headers["dlq.error"].startswith(expected), headers["dlq.error"]
    assert json.loads(parked.value)["id"] == event_id


def test_a_handler_that_succeeds_on_a_retry_applies_its_effect_once(session_factory, bootstrap):
    topic, consumer = unique("work-retry"), unique("promotion")
    ensure_topics(bootstrap, [topic, f"{topic}.dlq"])
    attempts: list[int] = []

    def fails_twice_after_its_effect(ctx: HandlerContext, event: dict[str, Any]) -> None:
        attempts.append(ctx.attempt)
        effect_and_event(consumer, ctx, event)
        if ctx.attempt < 3:
            raise RuntimeError("the channel is still warming up")

    with session_factory() as session:
        event_id = record_on(session, topic, key=71).event_id
        session.commit()
    runner = make_runner(session_factory, bootstrap, topic, {"listing.approved": fails_twice_after_its_effect},
                         consumer=consumer, max_attempts=3)
    with running(runner):
        assert publish_outbox(session_factory, bootstrap, topic) == 1
        wait_for(lambda: fully_committed(bootstrap, consumer, topic, 1), 30, "the offset commit")

    assert attempts == [1, 2, 3]
    assert effect_count(session_factory, event_id) == 1  # exactly one effect…
    assert outbox_types(session_factory) == ["listing.approved", "promotion.failed"]  # …one event…
    with session_factory() as session:
        (row,) = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "promotion.failed"))
        assert json.loads(row.payload)["data"]["attempts"] == 3  # …the one of the attempt that committed
    assert inbox_rows(session_factory, event_id) == 1
    assert consume_all(bootstrap, f"{topic}.dlq", expect=0) == []



# --- batches ----------------------------------------------------------------------------------------


def test_a_batch_whose_handler_fails_midway_commits_no_offset_past_it_and_applies_nothing_twice(
    session_factory, bootstrap
):
    topic, consumer = unique("work-batch"), unique("batched")
    with session_factory() as session:  # one key: one partition, so one poll and one ordered batch
        events = [record_on(session, topic, key=81).event_id for _ in range(5)]
        session.commit()
    assert publish_outbox(session_factory, bootstrap, topic) == 5
    failing = events[2]
    calls: list[str] = []
    healed = threading.Event()

    def fails_on_the_third(ctx: HandlerContext, event: dict[str, Any]) -> None:
        calls.append(event["id"])
        if event["id"] == failing and not healed.is_set():
            raise RuntimeError("the gateway is down")
        write_effect(consumer)(ctx, event)

    group = unique("batched-group")
    runner = make_runner(session_factory, bootstrap, topic, {"listing.approved": fails_on_the_third},
                         consumer=consumer, group_id=group, max_attempts=1000)
    with running(runner):
        wait_for(lambda: calls.count(failing) >= 3, 30, "the failing event to be retried")
        # The two before it are applied and acknowledged; nothing after it is applied or acknowledged.
        assert [effect_count(session_factory, e) for e in events] == [1, 1, 0, 0, 0]
        assert sum(o for tp, o in committed_offsets(bootstrap, group).items() if tp.topic == topic) == 2
    assert [effect_count(session_factory, e) for e in events] == [1, 1, 0, 0, 0]

    # Everything delivered again from the start (a group without offsets, as after a broker restart):
    # the inbox skips what was applied, the rest is applied once, in order.
    healed.set()
    calls.clear()
    again = make_runner(session_factory, bootstrap, topic, {"listing.approved": fails_on_the_third},
                        consumer=consumer, group_id=unique("batched-again"))
    with running(again):
        wait_for(lambda: effect_count(session_factory) == 5, 30, "the rest of the batch")
    assert [effect_count(session_factory, e) for e in events] == [1, 1, 1, 1, 1]
    assert calls == events[2:]  # the first two were not run again: found in the inbox
    assert inbox_rows(session_factory, failing) == 1
