"""The scheduler's round: one item that raises is logged with its id, counted and left for the next
round, and never stops the items after it (``marketplace.per_item``)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from marketplace.config import Settings
from marketplace.db import utcnow
from marketplace.orders import scheduler
from marketplace.orders.fulfilment import services as fulfilment
from marketplace.orders.models import Order
from tests.unit.orders.test_fulfilment_api import _order


def test_one_failing_item_is_logged_and_retried_next_round_and_the_others_are_done(
        api, app, market, settings, monkeypatch, caplog):
    first, bad, last = (_order(api, app, market, paid=False)[0] for _ in range(3))
    factory = app.extensions["db"].write_session_factory
    later = utcnow() + timedelta(minutes=settings.order_payment_ttl_minutes + 1)
    real_expire = fulfilment.expire_unpaid

    def expire_or_break(session, order_id, *, now):
        done = real_expire(session, order_id, now=now)  # its changes must be rolled back with it
        if order_id == bad["id"]:
            raise RuntimeError("a row the code cannot handle")
        return done

    monkeypatch.setattr(fulfilment, "expire_unpaid", expire_or_break)
    with caplog.at_level(logging.ERROR, logger="marketplace.per_item"):
        done = scheduler.tick(factory, settings, now=later)
    assert (done.expired, done.failed) == (2, 1)  # the one after the bad one was done too
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1 and str(bad["id"]) in failures[0].getMessage()
    assert "expire unpaid order" in failures[0].getMessage() and failures[0].exc_info is not None

    def status(order) -> str:
        with factory() as session:
            return session.get(Order, order["id"]).status

    assert [status(first), status(bad), status(last)] == ["cancelled", "pending_payment", "cancelled"]

    monkeypatch.setattr(fulfilment, "expire_unpaid", real_expire)  # fixed: the next round does it
    assert scheduler.tick(factory, settings, now=later) == scheduler.Tick(expired=1, confirmed=0, failed=0)
    assert status(bad) == "cancelled"


def test_a_round_that_fails_as_a_whole_is_logged_and_the_loop_goes_on(monkeypatch, caplog):
    stop, rounds = threading.Event(), []

    def tick(factory, settings):
        rounds.append(1)
        if len(rounds) == 1:
            raise RuntimeError("a job broke before reaching its items")
        stop.set()
        return scheduler.Tick()

    monkeypatch.setattr(scheduler, "tick", tick)
    with caplog.at_level(logging.ERROR, logger="marketplace.orders.scheduler"):
        scheduler.run(lambda: None, Settings(), stop, interval=0.01)
    assert len(rounds) == 2  # the second round ran
    assert [r.getMessage() for r in caplog.records] == ["scheduler round failed"]
