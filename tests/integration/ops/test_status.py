"""Pipeline status against a real broker: backlog, lag per group, DLQ counts; CLI and admin API agree."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from events.kafka import ensure_topics, make_producer
from events.status import collect_status
from marketplace.cli import make_cli
from marketplace.web import deps
from tests.integration.helpers import record_on, unique

pytestmark = pytest.mark.integration


def test_status_shows_backlog_lag_and_dead_letters(session_factory, bootstrap, database_url, monkeypatch):
    topic, group = "listings", unique("status-group")
    ensure_topics(bootstrap, [topic])
    producer = make_producer(bootstrap)
    try:
        for _ in range(3):  # one record per batch: Tansu reports exact ends for those
            producer.send(topic, key=b"5", value=b"{}").get(timeout=10)
        producer.send("listings.dlq", key=b"5", value=b"{}").get(timeout=10)
    finally:
        producer.close()
    from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(tps)
        consumer.commit({tp: OffsetAndMetadata(0, None, -1) for tp in tps})
    finally:
        consumer.close(autocommit=False)
    with session_factory() as session:
        record_on(session, unique("unsent"), key=5)
        session.commit()

    with session_factory() as session:
        status = collect_status(session, bootstrap)
    assert status["outbox"]["unsent"] == 1 and status["outbox"]["oldest_unsent_age_seconds"] >= 0
    assert status["broker"]["reachable"] is True
    mine = next(g for g in status["broker"]["groups"] if g["group"] == group)
    assert mine["lag"] >= 3 and {p["topic"] for p in mine["partitions"]} == {topic}
    assert next(d for d in status["broker"]["dlq"] if d["topic"] == "listings.dlq")["messages"] >= 1

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", bootstrap)
    result = CliRunner().invoke(make_cli(), ["events", "status", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["outbox"]["unsent"] == 1
    text = CliRunner().invoke(make_cli(), ["events", "status"]).output
    assert "outbox: 1 unsent" in text and f"group {group}: lag" in text and "dlq listings.dlq:" in text


def test_admin_api_reports_the_broker(app, api, bootstrap):
    deps.override(app, settings=deps.of(app).settings.with_overrides(kafka_bootstrap_servers=bootstrap))
    admin = api.make_user("admin")
    body = api.get("/api/v1/admin/events/status", as_=admin).get_json()
    assert body["broker"]["reachable"] is True and body["outbox"]["unsent"] == 0


def test_admin_page_without_a_broker_shows_the_outbox_and_says_so(app, api, auth, client, session_factory):
    from events.broker import free_port

    deps.override(app, settings=deps.of(app).settings.with_overrides(kafka_bootstrap_servers=f"127.0.0.1:{free_port()}"))
    with app.extensions["db"].new_session() as session:
        record_on(session, unique("stuck"), key=9)
        session.commit()
    admin = api.make_user("admin")
    auth.login(admin.email, admin.password)
    resp = client.get("/admin/events")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "1 peristiwa menunggu diterbitkan" in html
    assert "Broker tidak dapat dihubungi" in html
    body = api.get("/api/v1/admin/events/status", as_=admin).get_json()
    assert body["broker"]["reachable"] is False and body["outbox"]["unsent"] == 1


def test_every_catalogue_consumer_is_listed_even_before_it_commits(bootstrap):
    """A worker that never committed is the lag that matters most: it is shown as end − 0, and a worker
    that re-joined after a broker restart (``<consumer>.r<N>``) is shown under its consumer name."""
    from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition

    from events.status import NO_OFFSETS, broker_status

    topic, ghost, rejoined = "listings", unique("ghost"), unique("rejoined")
    ensure_topics(bootstrap, [topic])
    producer = make_producer(bootstrap)
    try:
        for _ in range(2):
            producer.send(topic, key=b"7", value=b"{}").get(timeout=10)
    finally:
        producer.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=f"{rejoined}.r3", enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(tps)
        consumer.commit({tp: OffsetAndMetadata(0, None, -1) for tp in tps})
    finally:
        consumer.close(autocommit=False)

    status = broker_status(bootstrap, consumers={ghost: [topic], rejoined: [topic]})
    assert status["reachable"] is True, status
    by_consumer = {g["consumer"]: g for g in status["groups"] if g["consumer"]}
    never = by_consumer[ghost]
    assert never["group"] == ghost and never["note"] == NO_OFFSETS
    assert {p["partition"] for p in never["partitions"]} == {tp.partition for tp in tps}
    assert all(p["committed"] is None and p["lag"] == p["end"] for p in never["partitions"]) and never["lag"] >= 2
    back = by_consumer[rejoined]
    assert back["group"] == f"{rejoined}.r3" and back["note"] is None and back["lag"] >= 2
    assert all(p["committed"] == 0 for p in back["partitions"])
    assert f"{rejoined}.r3" not in {g["group"] for g in status["groups"] if not g["consumer"]}


def test_admin_page_lists_every_worker_of_the_catalogue(app, api, auth, client, bootstrap):
    from events.catalogue import TOPICS

    ensure_topics(bootstrap, list(TOPICS))
    deps.override(app, settings=deps.of(app).settings.with_overrides(kafka_bootstrap_servers=bootstrap))
    admin = api.make_user("admin")
    body = api.get("/api/v1/admin/events/status", as_=admin).get_json()
    listed = {g["consumer"] for g in body["broker"]["groups"]}
    assert {"payments", "promotion", "payouts", "notifications"} <= listed
    auth.login(admin.email, admin.password)
    html = client.get("/admin/events").get_data(as_text=True)
    for worker in ("payments", "promotion", "payouts", "notifications"):
        assert f'id="group-{worker}-' in html
    never = [g for g in body["broker"]["groups"] if g["consumer"] and g["note"]]
    assert ("belum ada offset yang disimpan" in html) == bool(never)  # what the API says, translated
