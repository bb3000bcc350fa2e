"""Pipeline status against a real broker: backlog, lag per group, DLQ counts; CLI and admin API agree."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from events.kafka import ensure_topics, make_producer
from events.status import collect_status
from marketplace.cli import main
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
    result = CliRunner().invoke(main, ["events", "status", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["outbox"]["unsent"] == 1
    text = CliRunner().invoke(main, ["events", "status"]).output
    assert "outbox: 1 unsent" in text and f"group {group}: lag" in text and "dlq listings.dlq:" in text


def test_admin_api_reports_the_broker(app, api, bootstrap):
    app.config["SETTINGS"] = app.config["SETTINGS"].with_overrides(kafka_bootstrap_servers=bootstrap)
    admin = api.make_user("admin")
    body = api.get("/api/v1/admin/events/status", as_=admin).get_json()
    assert body["broker"]["reachable"] is True and body["outbox"]["unsent"] == 0


def test_admin_page_without_a_broker_shows_the_outbox_and_says_so(app, api, auth, client, session_factory):
    from events.broker import free_port

    app.config["SETTINGS"] = app.config["SETTINGS"].with_overrides(kafka_bootstrap_servers=f"127.0.0.1:{free_port()}")
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
