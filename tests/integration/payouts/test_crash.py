"""The payouts worker killed (SIGKILL) between the provider's transfer and its own commit, against the
real broker and the real databases (SQLite and PostgreSQL): the artisan is paid exactly once.

The delivered seller order goes through the real worker process: ``order.delivered`` schedules and (hold
0) releases the payout; ``payout.released`` makes the sandbox transfer, and the process dies before its
transaction commits. The restarted worker gets the event again, sends the same idempotency key, and the
sandbox (which recorded the transfer on its own connection) answers with the first transfer.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from events.models import OutboxEvent
from marketplace.cart import services as cart
from marketplace.db import utcnow
from marketplace.ledger.check import check
from marketplace.orders import services as orders
from marketplace.orders.fulfilment import services as fulfilment
from marketplace.orders.checkout import place_order
from marketplace.payouts import accounts
from marketplace.payouts.models import Payout, SandboxPayoutTransfer
from marketplace.payouts.providers import AccountDetails
from marketplace.payouts.sandbox import DatabaseTransferStore, SandboxPayoutProvider, sandbox_store_url
from tests import factories
from tests.integration.helpers import unique, wait_for
from tests.integration.workers.test_runner import publish_outbox
from tests.unit.orders.test_checkout import ADDRESS, flat_fee  # the address and flat shipping of the checkout tests

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


def _spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own test module
            [sys.executable, "-m", "tests.integration.payouts.payouts_proc"],
            cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
        )


def _delivered_order(session_factory: Any) -> int:
    """A paid, shipped and delivered seller order whose shop has a connected sandbox account."""
    from datetime import timedelta

    now = utcnow()
    with session_factory() as session:
        artisan = factories.shop(session).owner
        item = factories.listing(session, artisan, status="approved", price_idr=250_000, stock=2)
        buyer = factories.user(session, "buyer")
        cart.add_item(session, buyer, item.id, 1)
        order = place_order(session, buyer, ADDRESS, quote_shipping=flat_fee, now=now,
                            payment_ttl=timedelta(minutes=60))
        orders.mark_paid(session, order.id, now=now, commission_bps=1000)
        [part] = order.seller_orders
        fulfilment.ship(session, artisan, part.id, courier="JNE", tracking_number="JNE-9", now=now)
        fulfilment.confirm_delivery(session, buyer, part.id, now=now)
        accounts.connect_account(session, SandboxPayoutProvider(None), artisan, AccountDetails(),  # type: ignore[arg-type]
                                return_url="http://127.0.0.1/", now=now)
        session.commit()
        return part.id


def _publish(session_factory: Any, bootstrap: str, topic: str) -> int:
    """Send what the outbox holds now on the test's own topic (isolated from other tests)."""
    with session_factory() as session:
        session.execute(update(OutboxEvent).where(OutboxEvent.sent_at.is_(None)).values(topic=topic))
        session.commit()
    return publish_outbox(session_factory, bootstrap, topic)


def _payout(session_factory: Any, part_id: int) -> Payout | None:
    with session_factory() as session:
        return session.scalar(select(Payout).where(Payout.seller_order_id == part_id))


def test_a_worker_killed_after_the_transfer_and_before_its_commit_pays_once(
    session_factory, database_url, bootstrap, tmp_path
):
    store = DatabaseTransferStore(sandbox_store_url(database_url))  # the provider's side, as the worker has it
    with store.engine.begin() as conn:
        conn.execute(delete(SandboxPayoutTransfer.__table__))
    topic, group = unique("payouts-crash"), unique("payouts")
    env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "TOPIC": topic, "GROUP": group,
           "PAYOUT_HOLD_HOURS": "0", "PAYOUT_PROVIDER": "sandbox"}
    log = tmp_path / "payouts.log"
    part_id = _delivered_order(session_factory)
    assert _publish(session_factory, bootstrap, topic) >= 1  # order.placed … order.delivered

    doomed = _spawn({**env, "KILL_AFTER_TRANSFER": "1"}, log)
    try:
        released = wait_for(lambda: (p := _payout(session_factory, part_id)) and p.status == "processing" and p,
                            60, "the worker to schedule and release the payout")
        assert _publish(session_factory, bootstrap, topic) >= 1  # payout.scheduled, payout.released
        assert doomed.wait(timeout=60) == -signal.SIGKILL, log.read_text()
    finally:
        doomed.kill()
    [transfer] = store.all()  # the provider paid…
    assert (transfer.idempotency_key, transfer.amount_idr) == (f"payout-{released.id}", released.amount_idr)
    assert transfer.transfer_group == f"order-{released.order_id}"
    assert _payout(session_factory, part_id).status == "processing"  # …and our transaction was lost

    survivor = _spawn(env, log)
    try:
        paid = wait_for(lambda: (p := _payout(session_factory, part_id)) and p.status == "paid" and p,
                        60, "the restarted worker to settle the payout")
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(timeout=20) == 0, log.read_text()
    finally:
        survivor.kill()
    assert [t.transfer_id for t in store.all()] == [transfer.transfer_id] == [paid.transfer_id]  # paid once
    assert paid.amount_idr == 250_000 - 25_000 + 20_400
    with session_factory() as session:
        assert check(session) == []
        [event] = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == "payout.paid")).all()
    assert transfer.transfer_id in event
    store.dispose()
