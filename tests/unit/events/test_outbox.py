"""The outbox side without a broker: recording, replay marking, the CLI's refusals, the relay's backoff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from events.catalogue import InvalidEvent
from events.models import OutboxEvent
from events.outbox import mark_for_replay, record
from events.backoff import Backoff
from marketplace.cli import make_cli
from marketplace.db import utcnow


def test_record_adds_a_validated_envelope_to_the_callers_transaction(db_session):
    row = record(db_session, "listing.sold_out", 12, {"listing_id": 12, "shop_id": 3})
    assert row.topic == "listings" and row.key == "12" and row.sent_at is None
    table = OutboxEvent.__table__  # the object handed back is the row as stored, without a reload
    assert {c.key: getattr(row, c.key) for c in table.c} == dict(
        db_session.execute(select(table).where(table.c.id == row.id)).one()._mapping)
    db_session.rollback()
    assert db_session.scalars(select(OutboxEvent)).all() == []  # rolled back with the use case
    with pytest.raises(InvalidEvent):
        record(db_session, "listing.sold_out", 12, {"listing_id": 12})


def test_mark_for_replay_requeues_sent_events_since_a_time(db_session):
    old = record(db_session, "listing.sold_out", 1, {"listing_id": 1, "shop_id": 3})
    new = record(db_session, "listing.sold_out", 2, {"listing_id": 2, "shop_id": 3})
    other = record(db_session, "listing.rejected", 2, {"listing_id": 2, "shop_id": 3, "reason": "blurry photo"})
    now = utcnow()
    old.occurred_at = now - timedelta(days=2)
    for row in (old, new, other):
        row.sent_at = now
    db_session.commit()

    assert mark_for_replay(db_session, now - timedelta(hours=1), "listing.sold_out") == 1
    db_session.commit()
    db_session.expire_all()
    assert [r.sent_at is None for r in (old, new, other)] == [False, True, False]
    assert mark_for_replay(db_session, now - timedelta(days=3)) == 2  # the unsent one is not counted twice
    with pytest.raises(InvalidEvent):
        mark_for_replay(db_session, now, "listing.teleported")


def test_replay_command(runner, db_session, settings, monkeypatch):
    row = record(db_session, "listing.sold_out", 1, {"listing_id": 1, "shop_id": 3})
    row.sent_at = utcnow()
    db_session.commit()
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    result = runner.invoke(make_cli(), ["events", "replay", "--since", "2000-01-01T00:00:00Z", "--type", "listing.sold_out"])
    assert result.exit_code == 0, result.output
    assert "1 events queued for re-publishing" in result.output
    bad = runner.invoke(make_cli(), ["events", "replay", "--since", "last tuesday"])
    assert bad.exit_code == 2 and "not an ISO-8601 time" in bad.output
    bad_type = runner.invoke(make_cli(), ["events", "replay", "--since", "2000-01-01", "--type", "nope.nope"])
    assert bad_type.exit_code == 2 and "unknown event type" in bad_type.output


@pytest.mark.parametrize("args", [["relay"], ["worker", "promotion"]])
def test_relay_and_worker_need_a_broker_address(runner, args, monkeypatch):
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    result = runner.invoke(make_cli(), args)
    assert result.exit_code == 1
    assert "KAFKA_BOOTSTRAP_SERVERS is not set" in result.output


def test_backoff_doubles_up_to_its_cap_and_resets():
    backoff = Backoff(0.5, 4)  # the relay counts its failures in a row and asks for the wait
    assert [backoff.delay(failures) for failures in range(1, 7)] == [0.5, 1, 2, 4, 4, 4]
    assert backoff.delay(1) == 0.5  # after a success the count starts again


def test_worker_registry_is_readable():
    from importlib import import_module

    from events.catalogue import all_event_types
    from workers.subscriptions import WORKERS

    for name, module_name in WORKERS.items():
        module = import_module(module_name)
        assert module.CONSUMER == name and module.TOPICS
        assert set(module.HANDLERS) <= set(all_event_types())
    assert "listing.approved" in import_module("workers.promotion.handlers").HANDLERS
