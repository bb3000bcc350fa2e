"""The ledger, posted through the real use cases (``mark_paid``, a refund's confirmation, payouts), in a
rolled-back transaction. Amounts are checked to the rupiah; ``books`` runs ``ledger check`` after each."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.cart import services as cart
from marketplace.ledger import services as ledger
from marketplace.ledger.check import check
from marketplace.ledger.models import LedgerEntry, LedgerIsAppendOnly
from marketplace.orders import services as orders
from tests import factories
from tests.unit.orders.test_checkout import NOW, checkout
from tests.unit.orders.test_fulfilment import paid  # noqa: F401  (a paid order of two shops)


@pytest.mark.parametrize(("subtotal", "bps", "commission"), [
    (12_345, 1000, 1_235),  # 1 234,5: half rounds up
    (12_344, 1000, 1_234),  # 1 234,4: down
    (1_000, 5, 1),  # 0,5 rupiah: up
    (999, 5, 0),  # 0,4995: down
    (350_000, 1000, 35_000),
    (350_000, 0, 0),
])
def test_commission_is_bps_of_the_item_subtotal_rounded_half_up(subtotal, bps, commission):
    assert ledger.commission_for(subtotal, bps) == commission


def test_a_paid_two_shop_order_records_payment_commission_and_each_payable(tx, paid, books):  # noqa: F811
    order, sari_part, budi_part, *_ = paid
    assert (sari_part.subtotal_idr, sari_part.shipping_idr) == (350_000, 20_400)
    assert (budi_part.subtotal_idr, budi_part.shipping_idr) == (150_000, 20_800)
    assert ledger.balance(tx, ledger.BUYER_PAYMENTS) == -order.total_idr == -(370_400 + 170_800)
    assert ledger.balance(tx, ledger.PLATFORM_COMMISSION) == 35_000 + 15_000
    # subtotal − commission + shipping (the artisan ships, so shipping is theirs)
    assert ledger.balance(tx, ledger.seller_payable(sari_part.shop_id)) == 350_000 - 35_000 + 20_400
    assert ledger.balance(tx, ledger.seller_payable(budi_part.shop_id)) == 150_000 - 15_000 + 20_800
    assert sum(ledger.balances(tx).values()) == 0


def test_the_configured_rate_is_charged_and_rounded(tx, books):
    artisan = factories.shop(tx).owner
    item = factories.listing(tx, artisan, status="approved", price_idr=12_345, weight_grams=100)
    buyer = factories.user(tx, "buyer")
    cart.add_item(tx, buyer, item.id, 1)
    order = checkout(tx, buyer)
    orders.mark_paid(tx, order.id, now=NOW, commission_bps=1000)
    [part] = order.seller_orders
    assert ledger.commission_by_seller_order(tx, [part.id]) == {part.id: 1_235}
    assert ledger.balance(tx, ledger.seller_payable(part.shop_id)) == 12_345 - 1_235 + part.shipping_idr


def test_paying_twice_posts_once(tx, paid, books):  # noqa: F811
    order = paid[0]
    before = len(tx.scalars(select(LedgerEntry)).all())
    ledger.record_order_paid(tx, order, commission_bps=1000, now=NOW)  # the same sale again: refused by ref
    assert len(tx.scalars(select(LedgerEntry)).all()) == before


def test_an_unbalanced_transaction_is_refused(tx):
    with pytest.raises(ledger.UnbalancedTransaction):
        ledger.post(tx, kind="sale", ref="bad", now=NOW, lines=[ledger.Line(ledger.BUYER_PAYMENTS, -10),
                                                               ledger.Line(ledger.PLATFORM_COMMISSION, 9)])


def test_entries_cannot_be_changed_or_deleted(tx, paid):  # noqa: F811
    entry = tx.scalars(select(LedgerEntry)).first()
    with pytest.raises(LedgerIsAppendOnly), tx.begin_nested():
        entry.amount_idr += 1
        tx.flush()
    entry = tx.scalars(select(LedgerEntry)).first()
    with pytest.raises(LedgerIsAppendOnly), tx.begin_nested():
        tx.delete(entry)
        tx.flush()


def test_the_check_finds_a_paid_order_the_ledger_missed(tx, paid):  # noqa: F811
    assert check(tx) == []
    other_buyer = factories.user(tx, "buyer")
    item = factories.listing(tx, factories.shop(tx).owner, status="approved")
    cart.add_item(tx, other_buyer, item.id, 1)
    forged = checkout(tx, other_buyer)
    forged.status, forged.paid_at = "paid", NOW  # paid without going through mark_paid
    tx.flush()
    assert check(tx) == [f"order {forged.id}: buyer_payments holds 0, the order was paid {forged.total_idr}"]


def test_a_partial_refund_takes_back_the_commission_in_proportion(tx, paid, books):  # noqa: F811
    from marketplace.payments.models import Refund

    order, sari_part, *_ = paid  # 350 000 items + 20 400 shipping, commission 35 000
    refund = Refund(order_id=order.id, seller_order_id=sari_part.id, amount_idr=100_001, reason="sebagian",
                    status="succeeded", created_at=NOW, updated_at=NOW)
    tx.add(refund)
    tx.flush()
    ledger.record_refund(tx, order, refund, now=NOW)
    back = ledger.round_half_up(35_000 * 100_001, 370_400)  # 9 449,33… → 9 449
    assert back == 9_449
    assert ledger.commission_by_seller_order(tx, [sari_part.id]) == {sari_part.id: 35_000 - 9_449}
    assert ledger.payable_by_seller_order(tx, sari_part.shop_id, [sari_part.id]) == {
        sari_part.id: 335_400 - (100_001 - 9_449)}
    assert ledger.balance(tx, ledger.REFUNDS) == 100_001
