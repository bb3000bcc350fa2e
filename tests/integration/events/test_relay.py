"""Outbox → relay → Kafka against a real broker: only committed events leave, in order, despite outages."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import select, text

from events.broker import EmbeddedBroker
from events.kafka import ensure_topics, relay_producer_factory
from events.models import OutboxEvent
from events.relay import PublishFailed, Relay
from tests.integration.helpers import consume_all, record_on, unique, wait_for
from tests.threads import in_thread

pytestmark = pytest.mark.integration


def _ids(messages):
    return [json.loads(m.value)["id"] for m in messages]


def test_rolled_back_event_is_never_published_and_committed_one_is(session_factory, bootstrap):
    topic = unique("relay-a")
    with session_factory() as session:
        record_on(session, topic, key=1)
        session.rollback()  # the use case failed: its event goes with it
    with session_factory() as session:
        kept = record_on(session, topic, key=2).event_id
        session.commit()

    relay = Relay(session_factory, relay_producer_factory(bootstrap, [topic]))
    try:
        assert relay.publish_batch() == 1
        assert relay.publish_batch() == 0  # stamped: not sent again
    finally:
        relay.close()

    messages = consume_all(bootstrap, topic, expect=1)
    assert _ids(messages) == [kept]
    assert messages[0].key == b"2"
    with session_factory() as session:
        rows = session.scalars(select(OutboxEvent)).all()
    assert [(r.event_id, r.sent_at is not None, r.attempts) for r in rows] == [(kept, True, 0)]


def test_relay_backs_off_while_the_broker_is_down_and_catches_up_in_order(session_factory, tmp_path):
    topic = unique("relay-e")
    with EmbeddedBroker(log_path=str(tmp_path / "broker.log")) as own:
        factory = relay_producer_factory(
            own.bootstrap_servers, [topic], timeout=2.0,
            max_block_ms=2_000, request_timeout_ms=1_500, delivery_timeout_ms=2_500, retries=1,
        )
        relay = Relay(session_factory, factory, batch_size=3, poll_interval=0.1,
                      send_timeout=5, backoff_initial=0.2, backoff_max=1.0)
        with session_factory() as session:
            record_on(session, topic, key=7)
            session.commit()
        assert relay.publish_batch() == 1

        own.stop()
        with session_factory() as session:
            expected = [record_on(session, topic, key=7, data=None).event_id for _ in range(7)]
            session.commit()
        with pytest.raises(PublishFailed):
            relay.publish_batch()

        with in_thread(relay.run_forever, what="the relay", timeout=15):
            def first_unsent():
                with session_factory() as session:
                    return session.scalars(
                        select(OutboxEvent).where(OutboxEvent.sent_at.is_(None)).order_by(OutboxEvent.id)
                    ).all()

            wait_for(lambda: first_unsent()[0].attempts >= 2, 30, "the relay to retry while the broker is down")
            waiting = first_unsent()
            assert [r.event_id for r in waiting] == expected  # nothing lost, nothing skipped
            assert waiting[0].last_error and waiting[0].attempts < 15  # backing off, not spinning

            own.restart()
            wait_for(lambda: not first_unsent(), 45, "the relay to catch up after the restart")

        # The in-memory broker lost what it held before the restart; what was sent since then arrived
        # exactly once, in recording order (one key → one partition).
        messages = consume_all(own.bootstrap_servers, topic, expect=len(expected))
        assert _ids(messages) == expected
        assert {m.partition for m in messages} == {messages[0].partition}


def test_two_relays_never_publish_a_row_twice(session_factory, bootstrap, backend):
    if backend == "sqlite":
        pytest.skip("SQLite deployments run one relay (one writer); claiming rows is PostgreSQL's job")
    topic = unique("relay-pair")
    with session_factory() as session:
        expected = [record_on(session, topic, key=k).event_id for k in (1, 1, 2, 2, 3, 3, 1, 2, 3, 1)]
        session.commit()
    ensure_topics(bootstrap, [topic])
    relays = [Relay(session_factory, relay_producer_factory(bootstrap, [topic]), batch_size=2) for _ in range(2)]
    errors: list[BaseException] = []

    def unsent() -> int:
        with session_factory() as session:
            return len(session.scalars(select(OutboxEvent.id).where(OutboxEvent.sent_at.is_(None))).all())

    def drain(relay: Relay) -> None:
        try:
            deadline = time.monotonic() + 30
            while unsent() and time.monotonic() < deadline:
                relay.publish_batch()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            relay.close()

    threads = [threading.Thread(target=drain, args=(r,)) for r in relays]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert unsent() == 0
    messages = consume_all(bootstrap, topic, expect=len(expected))
    assert sorted(_ids(messages)) == sorted(expected)  # each exactly once
    for key in (b"1", b"2", b"3"):
        per_key = [json.loads(m.value)["id"] for m in messages if m.key == key]
        assert per_key == [e for e, k in zip(expected, (1, 1, 2, 2, 3, 3, 1, 2, 3, 1)) if str(k).encode() == key]


def test_a_commit_wakes_the_idle_relay_long_before_its_fallback_poll(session_factory, bootstrap):
    """PostgreSQL: the writing transaction's NOTIFY; SQLite: the commit counter (events.wakeup)."""
    topic = unique("relay-wake")
    ensure_topics(bootstrap, [topic])
    relay = Relay(session_factory, relay_producer_factory(bootstrap, [topic]), poll_interval=30)
    with in_thread(relay.run_forever, what="the relay", timeout=15):
        time.sleep(1.0)  # the relay found nothing and waits: its next poll is 30 s away
        with session_factory() as session:
            event_id = record_on(session, topic, key=5).event_id
            session.commit()
        committed = time.monotonic()

        def sent() -> bool:
            with session_factory() as session:
                return session.scalar(select(OutboxEvent.sent_at).where(OutboxEvent.event_id == event_id)) is not None

        wait_for(sent, 10, "the relay to publish the committed event")
        assert time.monotonic() - committed < 10  # woken by the commit, not by the 30 s poll
    assert _ids(consume_all(bootstrap, topic, expect=1)) == [event_id]


def test_relays_of_two_schemas_in_one_database_both_publish(session_factory, bootstrap, backend, request):
    """Advisory locks are database-wide: the relay's is keyed by its schema, so a deployment in another
    schema publishing (holding its lock) does not stop ours, while a relay of our own schema still does."""
    if backend == "sqlite":
        pytest.skip("advisory locks are PostgreSQL's")
    from events.relay import RELAY_LOCK_SQL
    from marketplace import models
    from marketplace.db import Database
    from tests.conftest import fresh_pg_schema

    topic = unique("relay-schemas")
    ensure_topics(bootstrap, [topic])
    with fresh_pg_schema(request.config._pk_pg_url, "pk_other") as other_url:
        other = Database(other_url)
        try:
            models.create_all(other.engine)
            for factory, key in ((session_factory, 1), (other.session_factory, 2)):
                with factory() as session:
                    record_on(session, topic, key=key)
                    session.commit()
            relays = [Relay(f, relay_producer_factory(bootstrap, [topic])) for f in (session_factory, other.session_factory)]
            try:
                with other.session_factory() as busy:  # the other schema's relay, mid-batch
                    assert busy.execute(text(RELAY_LOCK_SQL)).scalar()
                    assert relays[0].publish_batch() == 1
                    busy.rollback()
                with session_factory() as busy:  # a relay of our own schema, mid-batch: ours waits its turn
                    assert busy.execute(text(RELAY_LOCK_SQL)).scalar()
                    assert relays[1].publish_batch() == 1
                    with session_factory() as session:
                        record_on(session, topic, key=3)
                        session.commit()
                    assert relays[0].publish_batch() == 0
                    busy.rollback()
                assert relays[0].publish_batch() == 1
            finally:
                for relay in relays:
                    relay.close()
        finally:
            other.dispose()
    assert sorted(m.key for m in consume_all(bootstrap, topic, expect=3)) == [b"1", b"2", b"3"]
