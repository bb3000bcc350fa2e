"""Undelivered events per consumer, from our own tables: what `events status` shows and `replay
--undelivered` re-sends, without any broker."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from events.delivery import mark_undelivered_for_replay, undelivered
from events.models import OutboxEvent, ProcessedEvent
from events.outbox import record
from marketplace.cli import make_cli
from marketplace.db import utcnow
from workers.subscriptions import subscriptions

SUBS = {
    "promotion": {"listings": frozenset({"listing.approved"})},
    "payouts": {"orders": frozenset()},  # reads the topic, handles nothing yet: nothing is owed to it
}


def _approved(listing_id: int) -> dict:
    return {
        "listing_id": listing_id, "shop_id": 1, "title": "Tenun ikat", "price_idr": 90_000, "category": "tenun",
        "city": "Kupang", "kelurahan": "Oebobo", "path": f"/listings/{listing_id}",
    }


def _sent(session, event_type: str, listing_id: int, ago: float) -> OutboxEvent:
    data = _approved(listing_id) if event_type == "listing.approved" else {"listing_id": listing_id, "shop_id": 1}
    row = record(session, event_type, listing_id, data)
    row.sent_at = utcnow() - timedelta(seconds=ago)
    return row


def _count(rows: list[dict], consumer: str) -> int:
    return next(r["undelivered"] for r in rows if r["consumer"] == consumer)


def test_an_event_is_undelivered_until_the_consumer_s_inbox_has_it(tx):
    done = _sent(tx, "listing.approved", 1, ago=120)
    lost = _sent(tx, "listing.approved", 2, ago=120)
    _sent(tx, "listing.approved", 3, ago=5)  # within the grace period: the consumer may be on it
    _sent(tx, "listing.sold_out", 4, ago=120)  # a type promotion has no handler for
    unsent = record(tx, "listing.approved", 5, _approved(5))
    tx.add(ProcessedEvent(consumer="promotion", event_id=done.event_id))
    tx.flush()

    rows = undelivered(tx, SUBS, grace_seconds=60)
    assert _count(rows, "promotion") == 1 and _count(rows, "payouts") == 0
    promotion = next(r for r in rows if r["consumer"] == "promotion")
    assert promotion["topics"] == ["listings"] and promotion["oldest_occurred_at"] is not None
    assert _count(undelivered(tx, SUBS, grace_seconds=0), "promotion") == 2

    assert mark_undelivered_for_replay(tx, SUBS, grace_seconds=60) == 1
    tx.expire_all()
    assert lost.sent_at is None and done.sent_at is not None and unsent.sent_at is None
    assert _count(undelivered(tx, SUBS, grace_seconds=0), "promotion") == 1  # the young one only


def test_replay_of_undelivered_events_can_be_limited_to_topics(tx):
    lost = _sent(tx, "listing.approved", 7, ago=300)
    tx.flush()
    assert mark_undelivered_for_replay(tx, SUBS, topics=["orders"]) == 0
    assert mark_undelivered_for_replay(tx, SUBS, topics=["listings"]) == 1
    tx.expire_all()
    assert lost.sent_at is None


def test_subscriptions_come_from_the_worker_declarations():
    subs = subscriptions()
    from workers.promotion import handlers as promotion

    # a consumer is owed exactly the types it handles, on the topics it reads
    assert subs["promotion"] == {"listings": frozenset(promotion.HANDLERS)}
    assert "listing.approved" in subs["promotion"]["listings"]
    assert set(subs) >= {"payments", "promotion", "payouts", "notifications"}
    assert "order.placed" in subs["payments"]["orders"]
    assert all(t in ("listings", "orders", "payments", "payouts", "promotions", "messages", "programme")
               for s in subs.values() for t in s)


def test_status_and_replay_commands_report_and_resend_the_undelivered(runner, db_session, settings, monkeypatch):
    lost = _sent(db_session, "listing.approved", 9, ago=600)
    db_session.commit()
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)

    status = runner.invoke(make_cli(), ["events", "status", "--json"])
    assert status.exit_code == 0, status.output
    data = json.loads(status.output)
    assert _count(data["undelivered"], "promotion") == 1 and data["outbox"]["unsent"] == 0
    assert "consumer promotion: 1 undelivered" in runner.invoke(make_cli(), ["events", "status"]).output

    result = runner.invoke(make_cli(), ["events", "replay", "--undelivered"])
    assert result.exit_code == 0, result.output
    assert "1 events queued for re-publishing" in result.output
    db_session.expire_all()
    assert db_session.scalar(select(OutboxEvent.sent_at).where(OutboxEvent.id == lost.id)) is None

    both = runner.invoke(make_cli(), ["events", "replay", "--undelivered", "--since", "2000-01-01"])
    assert both.exit_code == 2 and "either --since" in both.output
    assert runner.invoke(make_cli(), ["events", "replay"]).exit_code == 2
