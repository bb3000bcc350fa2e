"""A dispute's money, through the use cases in a rolled-back transaction (both backends): the payout of
the disputed seller order is held while the dispute is open and while its refund is pending, then
released (rejected), netted (a part refund) or cancelled (a full refund); refunds go through the
payments' refund path (gateway, webhook, ledger). The ledger check runs after each test."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.errors import Conflict, NotFound
from marketplace.ledger import services as ledger
from marketplace.orders.fulfilment import services as fulfilment
from marketplace.payments.models import Refund
from marketplace.disputes import services as disputes
from marketplace.payouts import queries, release, transfers
from tests import factories
from tests.unit.ledger_books import ledger_books  # noqa: F401  (the ledger check after each test)
from tests.unit.orders.test_checkout import NOW
from tests.unit.orders.test_fulfilment import paid  # noqa: F401  (a paid order of two shops)
from tests.unit.payments.test_refunds import CountingGateway, _captured, _deliver_queued
from marketplace.payouts.sandbox import MemoryTransferStore, SandboxPayoutProvider
from tests.unit.payouts.conftest import connect

from marketplace.payments import refunds

SARI_PAYABLE = 350_000 - 35_000 + 20_400
DAYS = {"window_days": 7, "not_received_days": 14}
LATER = NOW + timedelta(hours=1)


def _delivered(tx, paid, provider):  # noqa: F811
    order, part, _, buyer, sari, *_ = paid
    _captured(tx, order)
    connect(tx, provider, sari)
    fulfilment.ship(tx, sari, part.id, courier="JNE", tracking_number="JNE-1", now=NOW)
    fulfilment.confirm_delivery(tx, buyer, part.id, now=NOW)
    payout = release.schedule_payout(tx, part.id, hold_hours=1, now=NOW)
    return order, part, buyer, sari, payout


def _open(tx, buyer, part, reason="damaged"):
    return disputes.open_dispute(tx, buyer, part.id, {"reason": reason, "text": "Piringnya retak di dalam kotak."},
                                 now=LATER, **DAYS)


def _confirm(tx, gateway, refund_id):
    refunds.send_refund(tx, gateway, refund_id, now=LATER)
    assert _deliver_queued(tx, gateway) == ["refunded"]


@pytest.fixture
def provider():
    return SandboxPayoutProvider(MemoryTransferStore())


def test_an_open_dispute_holds_the_payout_and_a_rejection_releases_it(tx, paid, provider):  # noqa: F811
    order, part, buyer, sari, payout = _delivered(tx, paid, provider)
    dispute = _open(tx, buyer, part)
    due = NOW + timedelta(hours=2)
    assert queries.due_releases(tx, due) == []  # held: the scheduler does not see it
    assert release.release_payout(tx, payout.id, now=due) == "scheduled"  # nor does a direct release
    assert ledger.balance(tx, ledger.seller_payable(part.shop_id)) == SARI_PAYABLE

    admin = factories.user(tx, "admin")
    disputes.resolve(tx, admin, dispute.id, {"outcome": "reject", "note": "Foto tidak menunjukkan kerusakan."}, now=due)
    assert (dispute.status, dispute.outcome, payout.status) == ("resolved", "reject", "processing")
    assert transfers.pay_payout(tx, provider, payout.id, now=due) == "paid"
    assert payout.amount_idr == SARI_PAYABLE and ledger.balance(tx, ledger.PAYOUTS_PAID) == SARI_PAYABLE
    with pytest.raises(Conflict) as err:
        disputes.resolve(tx, admin, dispute.id, {"outcome": "reject", "note": "lagi"}, now=due)
    assert err.value.code == "dispute_closed"


def test_a_part_refund_by_the_artisan_is_netted_from_the_payout_once_confirmed(tx, paid, provider):  # noqa: F811
    order, part, buyer, sari, payout = _delivered(tx, paid, provider)
    dispute = _open(tx, buyer, part)
    gateway = CountingGateway()
    disputes.refund_by_artisan(tx, sari, dispute.id, 100_000, now=LATER)
    refund = tx.get(Refund, dispute.refund_id)
    assert (dispute.status, dispute.outcome, refund.amount_idr, refund.status) == ("resolved", "refund", 100_000, "pending")
    due = NOW + timedelta(hours=2)
    assert queries.due_releases(tx, due) == []  # the refund is not confirmed yet: still held
    _confirm(tx, gateway, refund.id)
    assert gateway.calls == [(gateway.calls[0][0], 100_000, f"refund-{refund.id}")]
    assert ledger.balance(tx, ledger.REFUNDS) == 100_000
    assert queries.due_releases(tx, due) == [payout.id]
    assert release.release_payout(tx, payout.id, now=due) == "processing"
    net = ledger.payable_by_seller_order(tx, part.shop_id, [part.id])[part.id]
    assert payout.amount_idr == net and 0 < net < SARI_PAYABLE  # the artisan's share of Rp 100.000 less
    assert order.status == "paid"  # only part of it came back


def test_a_full_refund_by_an_admin_cancels_the_payout_and_it_is_never_paid(tx, paid, provider):  # noqa: F811
    order, part, buyer, sari, payout = _delivered(tx, paid, provider)
    dispute = _open(tx, buyer, part)
    admin = factories.user(tx, "admin")
    disputes.resolve(tx, admin, dispute.id, {"outcome": "refund", "note": "Barang rusak, dana kembali."}, now=LATER)
    assert dispute.refund_amount_idr == part.buyer_paid_idr
    _confirm(tx, CountingGateway(), dispute.refund_id)
    release.adjust_for_refund(tx, [part.id], now=LATER)  # the payouts worker on order.refunded
    assert payout.status == "cancelled"
    assert release.release_payout(tx, payout.id, now=NOW + timedelta(hours=5)) == "cancelled"
    assert ledger.balance(tx, ledger.seller_payable(part.shop_id)) == 0
    assert ledger.balance(tx, ledger.PAYOUTS_IN_TRANSIT) == 0 and ledger.balance(tx, ledger.PAYOUTS_PAID) == 0


def test_refunding_more_than_was_paid_or_twice_is_refused_and_nothing_is_written(tx, paid, provider):  # noqa: F811
    order, part, buyer, sari, payout = _delivered(tx, paid, provider)
    dispute = _open(tx, buyer, part)
    with pytest.raises(Conflict) as err:
        disputes.refund_by_artisan(tx, sari, dispute.id, part.buyer_paid_idr + 1, now=LATER)
    assert err.value.code == "refund_exceeds_payment"
    assert dispute.status == "open" and tx.query(Refund).count() == 0
    budi = paid[5]
    with pytest.raises(NotFound):  # another shop's dispute
        disputes.refund_by_artisan(tx, budi, dispute.id, 1000, now=LATER)
    disputes.refund_by_artisan(tx, sari, dispute.id, part.buyer_paid_idr, now=LATER)
    with pytest.raises(Conflict):
        disputes.refund_by_artisan(tx, sari, dispute.id, 1000, now=LATER)
    assert tx.query(Refund).count() == 1


def test_an_admin_refund_of_a_part_already_refunded_elsewhere_is_409(tx, paid, provider):  # noqa: F811
    order, part, buyer, sari, payout = _delivered(tx, paid, provider)
    dispute = _open(tx, buyer, part)
    admin = factories.user(tx, "admin")
    refunds.request_refund(tx, admin, order.id, seller_order_id=part.id, reason="Dikembalikan", now=LATER)
    with pytest.raises(Conflict) as err:
        disputes.resolve(tx, admin, dispute.id, {"outcome": "refund", "amount_idr": 5000, "note": "Sebagian"}, now=LATER)
    assert err.value.code == "already_refunded"


@pytest.mark.parametrize("whole_order", [True, False])
def test_a_payout_waits_for_any_pending_refund_and_is_never_paid_after_a_full_one(tx, paid, provider,  # noqa: F811
                                                                                  whole_order):
    """The chaos run's find: an admin refunds a shipped order, the buyer confirms delivery anyway, the
    payout fell due while the refund was still pending at the gateway and was paid in full."""
    order, part, _, buyer, sari, *_ = paid
    _captured(tx, order)
    connect(tx, provider, sari)
    fulfilment.ship(tx, sari, part.id, courier="JNE", tracking_number="JNE-1", now=NOW)
    admin = factories.user(tx, "admin")
    refund = refunds.request_refund(tx, admin, order.id, seller_order_id=None if whole_order else part.id,
                                    reason="Paket hilang", now=NOW)
    fulfilment.confirm_delivery(tx, buyer, part.id, now=NOW)  # the buyer confirms while it is pending
    payout = release.schedule_payout(tx, part.id, hold_hours=0, now=NOW)
    assert payout.status == "scheduled" and queries.due_releases(tx, LATER) == []  # held by the pending refund
    assert release.release_payout(tx, payout.id, now=LATER) == "scheduled"
    _confirm(tx, CountingGateway(), refund.id)
    assert release.release_payout(tx, payout.id, now=LATER) == "cancelled"  # nothing left to pay the artisan
    assert ledger.balance(tx, ledger.PAYOUTS_PAID) == 0 and ledger.balance(tx, ledger.PAYOUTS_IN_TRANSIT) == 0
