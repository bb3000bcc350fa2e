"""Payouts end to end through the use cases, in a rolled-back transaction: scheduled on delivery, held,
released by the scheduler's job, sent once per idempotency key, refunds before and after payout, an
account connected later, transient and permanent failures, the provider's webhooks. ``books`` runs the
ledger check after each test."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.cart import services as cart
from marketplace.errors import Conflict
from marketplace.ledger import services as ledger
from marketplace.orders import services as orders
from marketplace.orders.fulfilment import services as fulfilment
from marketplace.payments import refunds
from marketplace.payouts import provider_events, queries, release, transfers
from marketplace.payouts.providers import ProviderEvent
from tests import factories
from tests.unit.orders.test_checkout import NOW, checkout
from tests.unit.orders.test_fulfilment import paid  # noqa: F401  (a paid order of two shops)
from tests.unit.payments.test_refunds import CountingGateway, _captured, _deliver_queued
from tests.unit.payouts.conftest import connect, permanent, transient

SARI_PAYABLE = 350_000 - 35_000 + 20_400
BUDI_PAYABLE = 150_000 - 15_000 + 20_800


def _events(tx, type_):
    return [json.loads(p)["data"] for p in tx.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == type_)
                                                       .order_by(OutboxEvent.id))]


def _deliver(tx, part, buyer, artisan):
    fulfilment.ship(tx, artisan, part.id, courier="JNE", tracking_number=f"JNE-{part.id}", now=NOW)
    fulfilment.confirm_delivery(tx, buyer, part.id, now=NOW)


def _refund(tx, admin, order, part, *, gateway=None):
    """An admin refunds ``part`` and the gateway confirms it (the ledger records it then)."""
    gateway = gateway or CountingGateway()
    if tx.scalar(select(refunds.Payment).where(refunds.Payment.order_id == order.id)) is None:
        _captured(tx, order)
    refund = refunds.request_refund(tx, admin, order.id, seller_order_id=part.id, reason="Rusak di jalan", now=NOW)
    refunds.send_refund(tx, gateway, refund.id, now=NOW)
    assert _deliver_queued(tx, gateway) == ["refunded"]
    return refund


def test_a_delivered_part_is_held_then_released_and_paid_once(tx, paid, sandbox_provider, books):  # noqa: F811
    order, sari_part, _, buyer, sari, *_ = paid
    connect(tx, sandbox_provider, sari)
    _deliver(tx, sari_part, buyer, sari)
    payout = release.schedule_payout(tx, sari_part.id, hold_hours=72, now=NOW)
    assert (payout.status, payout.amount_idr, payout.commission_idr) == ("scheduled", SARI_PAYABLE, 35_000)
    assert payout.due_at == NOW + timedelta(hours=72)
    assert release.schedule_payout(tx, sari_part.id, hold_hours=72, now=NOW) is payout  # redelivery: the same
    [scheduled] = _events(tx, "payout.scheduled")
    assert (scheduled["seller_id"], scheduled["amount_idr"], scheduled["seller_order_id"]) == (
        sari.id, SARI_PAYABLE, sari_part.id)

    assert queries.due_releases(tx, NOW + timedelta(hours=71)) == []  # on hold
    assert queries.due_releases(tx, NOW + timedelta(hours=72)) == [payout.id]
    assert release.release_payout(tx, payout.id, now=NOW + timedelta(hours=72)) == "processing"
    assert ledger.balance(tx, ledger.PAYOUTS_IN_TRANSIT) == SARI_PAYABLE
    assert ledger.balance(tx, ledger.seller_payable(sari_part.shop_id)) == 0
    [released] = _events(tx, "payout.released")
    assert released["payout_id"] == payout.id and released["amount_idr"] == SARI_PAYABLE

    assert transfers.pay_payout(tx, sandbox_provider, payout.id, now=NOW) == "paid"
    assert transfers.pay_payout(tx, sandbox_provider, payout.id, now=NOW) == "unchanged"  # redelivered
    [transfer] = sandbox_provider.recorded_transfers()
    assert (transfer.idempotency_key, transfer.amount_idr, transfer.transfer_group) == (
        f"payout-{payout.id}", SARI_PAYABLE, f"order-{order.id}")
    assert (payout.status, payout.transfer_id) == ("paid", transfer.transfer_id)
    assert ledger.balance(tx, ledger.PAYOUTS_PAID) == SARI_PAYABLE
    assert ledger.balance(tx, ledger.PAYOUTS_IN_TRANSIT) == 0
    [paid_event] = _events(tx, "payout.paid")
    assert paid_event == {"payout_id": payout.id, "seller_id": sari.id, "amount_idr": SARI_PAYABLE,
                          "transfer_id": transfer.transfer_id, "shop_id": sari_part.shop_id, "order_id": order.id,
                          "seller_order_ids": [sari_part.id], "commission_idr": 35_000}


def test_the_same_key_sent_again_after_a_lost_commit_returns_the_first_transfer(tx, paid, sandbox_provider, books):  # noqa: F811,E501
    _, sari_part, _, buyer, sari, *_ = paid
    connect(tx, sandbox_provider, sari)
    _deliver(tx, sari_part, buyer, sari)
    payout = release.schedule_payout(tx, sari_part.id, hold_hours=0, now=NOW)
    with tx.begin_nested() as lost:  # the worker's transaction, killed after the provider call
        transfers.pay_payout(tx, sandbox_provider, payout.id, now=NOW)
        lost.rollback()
    tx.refresh(payout)
    assert payout.status == "processing"
    assert transfers.pay_payout(tx, sandbox_provider, payout.id, now=NOW) == "paid"  # the redelivery
    [transfer] = sandbox_provider.recorded_transfers()
    assert payout.transfer_id == transfer.transfer_id and transfer.amount_idr == SARI_PAYABLE


def test_without_an_account_it_waits_and_goes_out_once_connected(tx, paid, sandbox_provider, books):  # noqa: F811
    _, sari_part, _, buyer, sari, *_ = paid
    _deliver(tx, sari_part, buyer, sari)
    payout = release.schedule_payout(tx, sari_part.id, hold_hours=0, now=NOW)
    assert payout.status == "awaiting_account" and _events(tx, "payout.released") == []
    connect(tx, sandbox_provider, sari)
    assert payout.status == "processing" and len(_events(tx, "payout.released")) == 1
    assert transfers.pay_payout(tx, sandbox_provider, payout.id, now=NOW) == "paid"


def test_a_refund_before_payout_cancels_it(tx, paid, sandbox_provider, admin, books):  # noqa: F811
    order, sari_part, _, buyer, sari, *_ = paid
    connect(tx, sandbox_provider, sari)
    _deliver(tx, sari_part, buyer, sari)
    payout = release.schedule_payout(tx, sari_part.id, hold_hours=72, now=NOW)
    _refund(tx, admin, order, sari_part)
    assert ledger.balance(tx, ledger.seller_payable(sari_part.shop_id)) == 0
    assert ledger.balance(tx, ledger.PLATFORM_COMMISSION) == 15_000  # budi's part only
    assert ledger.balance(tx, ledger.REFUNDS) == 370_400
    assert release.adjust_for_refund(tx, [sari_part.id], now=NOW) == 1
    assert (payout.status, payout.amount_idr, payout.commission_idr) == ("cancelled", 0, 0)
    assert release.release_payout(tx, payout.id, now=NOW + timedelta(hours=80)) == "cancelled"
    assert sandbox_provider.recorded_transfers() == []


def test_a_refund_after_payout_is_netted_off_the_next_payouts(tx, paid, sandbox_provider, admin, books):  # noqa: F811
    order, sari_part, _, buyer, sari, *_ = paid
    connect(tx, sandbox_provider, sari)
    _deliver(tx, sari_part, buyer, sari)
    first = release.schedule_payout(tx, sari_part.id, hold_hours=0, now=NOW)
    transfers.pay_payout(tx, sandbox_provider, first.id, now=NOW)
    _refund(tx, admin, order, sari_part)
    shop_account = ledger.seller_payable(sari_part.shop_id)
    assert ledger.balance(tx, shop_account) == -SARI_PAYABLE  # she owes it back

    def sale(price: int):
        item = factories.listing(tx, sari, status="approved", price_idr=price, weight_grams=100, stock=1)
        cart.add_item(tx, buyer, item.id, 1)
        new = checkout(tx, buyer)
        orders.mark_paid(tx, new.id, now=NOW)
        [part] = new.seller_orders
        _deliver(tx, part, buyer, sari)
        return part

    small = sale(100_000)  # payable 100 000 − 10 000 + 20 100 = 110 100: all of it goes to the debt
    second = release.schedule_payout(tx, small.id, hold_hours=0, now=NOW)
    assert (second.status, second.amount_idr) == ("cancelled", 0)
    assert ledger.balance(tx, shop_account) == -SARI_PAYABLE + 110_100
    big = sale(400_000)  # payable 400 000 − 40 000 + 20 100 = 380 100
    third = release.schedule_payout(tx, big.id, hold_hours=0, now=NOW)
    assert third.amount_idr == 380_100 - (SARI_PAYABLE - 110_100)
    transfers.pay_payout(tx, sandbox_provider, third.id, now=NOW)
    assert ledger.balance(tx, shop_account) == 0
    assert [t.amount_idr for t in sandbox_provider.recorded_transfers()] == [SARI_PAYABLE, third.amount_idr]


def test_transient_errors_are_retried_with_backoff_and_stay_visible(tx, paid, scripted, books):  # noqa: F811
    _, sari_part, _, buyer, sari, *_ = paid
    connect(tx, scripted, sari)
    _deliver(tx, sari_part, buyer, sari)
    payout = release.schedule_payout(tx, sari_part.id, hold_hours=0, now=NOW)
    scripted.script = [transient("gateway timeout"), transient("gateway timeout")]
    assert transfers.pay_payout(tx, scripted, payout.id, now=NOW) == "retrying"
    assert (payout.status, payout.attempts, payout.last_error) == ("processing", 1, "gateway timeout")
    first_wait = payout.next_attempt_at - NOW
    assert queries.due_resends(tx, NOW) == []
    assert queries.due_resends(tx, payout.next_attempt_at) == [payout.id]
    assert release.resend(tx, payout.id, now=payout.next_attempt_at)
    assert transfers.pay_payout(tx, scripted, payout.id, now=NOW) == "retrying"
    assert payout.next_attempt_at - NOW == 2 * first_wait  # backoff doubles
    assert transfers.pay_payout(tx, scripted, payout.id, now=NOW) == "paid"
    assert {c["idempotency_key"] for c in scripted.calls} == {f"payout-{payout.id}"}  # one key for all tries
    assert {c["transfer_group"] for c in scripted.calls} == {f"order-{sari_part.order_id}"}


def test_a_permanent_failure_returns_the_money_and_an_admin_retry_is_a_new_transfer(tx, paid, scripted, books):  # noqa: F811,E501
    _, sari_part, _, buyer, sari, *_ = paid
    account = connect(tx, scripted, sari)
    _deliver(tx, sari_part, buyer, sari)
    payout = release.schedule_payout(tx, sari_part.id, hold_hours=0, now=NOW)
    scripted.script = [permanent("rekening ditutup")]
    assert transfers.pay_payout(tx, scripted, payout.id, now=NOW) == "failed"
    assert (payout.status, payout.failure_reason) == ("failed", "rekening ditutup")
    assert (account.status, account.problem) == ("restricted", "rekening ditutup")
    assert ledger.balance(tx, ledger.seller_payable(sari_part.shop_id)) == SARI_PAYABLE
    [failed] = _events(tx, "payout.failed")
    assert failed["reason"] == "rekening ditutup" and failed["account_needs_fix"] is True

    release.retry_payout(tx, payout.id, now=NOW)
    assert payout.status == "awaiting_account"  # the account must be fixed first
    connect(tx, scripted, sari)
    assert payout.status == "processing"
    assert transfers.pay_payout(tx, scripted, payout.id, now=NOW) == "paid"
    assert [c["idempotency_key"] for c in scripted.calls] == [f"payout-{payout.id}", f"payout-{payout.id}-1"]
    with pytest.raises(Conflict):
        release.retry_payout(tx, payout.id, now=NOW)


def test_fixing_the_account_sends_the_failed_payouts_again(tx, paid, scripted, books):  # noqa: F811
    _, sari_part, _, buyer, sari, *_ = paid
    connect(tx, scripted, sari)
    _deliver(tx, sari_part, buyer, sari)
    payout = release.schedule_payout(tx, sari_part.id, hold_hours=0, now=NOW)
    scripted.script = [permanent("rekening ditutup")]
    transfers.pay_payout(tx, scripted, payout.id, now=NOW)
    assert payout.status == "failed"
    connect(tx, scripted, sari)  # the artisan enters a working account
    assert (payout.status, payout.generation) == ("processing", 1)
    assert transfers.pay_payout(tx, scripted, payout.id, now=NOW) == "paid"
    assert [c["idempotency_key"] for c in scripted.calls] == [f"payout-{payout.id}", f"payout-{payout.id}-1"]
    with pytest.raises(Conflict):
        release.retry_payout(tx, payout.id, now=NOW)


def test_provider_webhooks_settle_a_pending_payout_once(tx, paid, scripted, books):  # noqa: F811
    _, sari_part, budi_part, buyer, sari, budi, _ = paid
    connect(tx, scripted, sari)
    _deliver(tx, sari_part, buyer, sari)
    payout = release.schedule_payout(tx, sari_part.id, hold_hours=0, now=NOW)
    scripted.script = ["pending"]
    assert transfers.pay_payout(tx, scripted, payout.id, now=NOW) == "pending"
    assert ledger.balance(tx, ledger.PAYOUTS_IN_TRANSIT) == SARI_PAYABLE
    paid_event = ProviderEvent(kind="transfer.paid", event_id="evt_1", transfer_id=payout.transfer_id)
    assert provider_events.apply_provider_event(tx, paid_event, lambda: NOW) == "paid"
    assert provider_events.apply_provider_event(tx, paid_event, lambda: NOW) == "duplicate"
    assert payout.status == "paid" and len(_events(tx, "payout.paid")) == 1

    # budi's account is onboarding at first: connected by the provider's account.updated
    scripted.connect_status = "onboarding"
    account = connect(tx, scripted, budi)
    assert (account.status, account.onboarding_url) == ("onboarding", "https://connect.test/x")
    _deliver(tx, budi_part, buyer, budi)
    second = release.schedule_payout(tx, budi_part.id, hold_hours=0, now=NOW)
    assert second.status == "awaiting_account"
    assert provider_events.apply_provider_event(tx, ProviderEvent(kind="account.updated", event_id="evt_2",
                                                          account_ref=account.account_ref, can_receive=False),
                                        lambda: NOW) == "account_restricted"
    assert second.status == "awaiting_account"
    assert provider_events.apply_provider_event(tx, ProviderEvent(kind="account.updated", event_id="evt_3",
                                                          account_ref=account.account_ref, can_receive=True),
                                        lambda: NOW) == "account_connected"
    assert second.status == "processing"
    scripted.script = ["pending"]
    transfers.pay_payout(tx, scripted, second.id, now=NOW)
    failed = ProviderEvent(kind="transfer.failed", event_id="evt_4", payout_reference=str(second.id),
                           reason="INVALID_DESTINATION", permanent=True)
    assert provider_events.apply_provider_event(tx, failed, lambda: NOW) == "failed"
    assert second.status == "failed" and account.status == "restricted"
    assert ledger.balance(tx, ledger.seller_payable(budi_part.shop_id)) == BUDI_PAYABLE


def test_each_shop_of_a_multi_shop_order_gets_its_own_payout(tx, paid, sandbox_provider, books):  # noqa: F811
    order, sari_part, budi_part, buyer, sari, budi, _ = paid
    connect(tx, sandbox_provider, sari)
    connect(tx, sandbox_provider, budi)
    for part, artisan in ((sari_part, sari), (budi_part, budi)):
        _deliver(tx, part, buyer, artisan)
        payout = release.schedule_payout(tx, part.id, hold_hours=0, now=NOW)
        transfers.pay_payout(tx, sandbox_provider, payout.id, now=NOW)
    recorded = sandbox_provider.recorded_transfers()
    assert sorted((t.amount_idr, t.transfer_group) for t in recorded) == [
        (BUDI_PAYABLE, f"order-{order.id}"), (SARI_PAYABLE, f"order-{order.id}")]
    assert ledger.balance(tx, ledger.PAYOUTS_PAID) + ledger.balance(tx, ledger.PLATFORM_COMMISSION) == order.total_idr


def test_provider_events_for_unknown_things_change_nothing_and_are_not_swallowed(tx, books):
    stray = ProviderEvent(kind="transfer.paid", event_id="evt_x", transfer_id="tr_nobody")
    assert provider_events.apply_provider_event(tx, stray, lambda: NOW) == "unknown_transfer"
    assert provider_events.apply_provider_event(tx, stray, lambda: NOW) == "unknown_transfer"  # not marked seen
    nobody = ProviderEvent(kind="account.updated", event_id="evt_y", account_ref="acct_nobody", can_receive=True)
    assert provider_events.apply_provider_event(tx, nobody, lambda: NOW) == "unknown_account"
    ignored = ProviderEvent(kind="ignored", event_id="evt_z")
    assert provider_events.apply_provider_event(tx, ignored, lambda: NOW) == "ignored"
    assert provider_events.apply_provider_event(tx, ignored, lambda: NOW) == "duplicate"
