"""Who pays for a discount, in the ledger, with the figures worked out by hand (commission 10 %, the
checkout's flat fee of Rp 20.000 + 1 rupiah per gram): a shop voucher lowers the artisan's sale and
the commission on it; a programme voucher leaves both as they were and ``programme_subsidy`` pays the
buyer's discount. Refunds give back what the buyer paid and reverse the subsidy in proportion. The
``ledger_books`` fixture runs ``marketplace ledger check`` after each test."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.cart import services as cart
from marketplace.ledger import services as ledger
from marketplace.ledger.check import check
from marketplace.orders import services as orders
from marketplace.payments import refunds
from marketplace.payments.models import Refund, RefundStatus
from tests import factories
from tests.unit.orders.test_checkout import NOW, events
from tests.unit.vouchers.helpers import checkout_with, voucher


@pytest.fixture
def basket(tx):
    """Sari's batik (Rp 350.000, 400 g) and two of Budi's mugs (Rp 75.000, 500 g each) in a buyer's cart:
    shipping Rp 20.400 from Sari, Rp 21.000 from Budi."""
    sari, budi = factories.shop(tx), factories.shop(tx, kelurahan="Pamulang Barat")
    batik = factories.listing(tx, sari.owner, status="approved", stock=3, price_idr=350_000, weight_grams=400)
    mug = factories.listing(tx, budi.owner, status="approved", stock=5, price_idr=75_000, weight_grams=500,
                            category="keramik")
    buyer = factories.user(tx, "buyer")
    cart.add_item(tx, buyer, batik.id, 1)
    cart.add_item(tx, buyer, mug.id, 2)
    return buyer, sari, budi


def _accounts(tx, *shops) -> dict[str, int]:
    tx.flush()
    found = ledger.balances(tx)
    return {name: found.get(name, 0) for name in (
        ledger.BUYER_PAYMENTS, ledger.PROGRAMME_SUBSIDY, ledger.PLATFORM_COMMISSION, ledger.REFUNDS,
        *(ledger.seller_payable(shop.id) for shop in shops))}


def _refund_part(tx, order, part) -> Refund:
    """An admin refunds one seller order and the gateway confirms it (the ledger's ``refund``)."""
    admin = factories.user(tx, "admin")
    refund = refunds.request_refund(tx, admin, order.id, seller_order_id=part.id, reason="Rusak", now=NOW)
    refund.status = RefundStatus.SUCCEEDED.value
    ledger.record_refund(tx, order, refund, now=NOW)
    return refund


def test_a_shop_voucher_lowers_that_artisans_sale_and_the_commission_on_it(tx, basket):
    buyer, sari, budi = basket
    code = voucher(tx, shop_id=sari.id, code="SARI10", kind="percent", value=10).code
    order = checkout_with(tx, buyer, code)
    sari_part, budi_part = order.seller_orders
    # 10 % of Sari's Rp 350.000 = Rp 35.000, off her sale; Budi's part untouched.
    assert (sari_part.subtotal_idr, sari_part.discount_idr, sari_part.subsidy_idr) == (315_000, 35_000, 0)
    assert (budi_part.subtotal_idr, budi_part.discount_idr) == (150_000, 0)
    # the buyer: items 500.000 − 35.000 + shipping 41.400
    assert (order.subtotal_idr, order.discount_idr, order.total_idr) == (465_000, 35_000, 506_400)

    orders.mark_paid(tx, order.id, now=NOW)
    assert _accounts(tx, sari, budi) == {
        "buyer_payments": -506_400, "programme_subsidy": 0,
        "platform_commission": 31_500 + 15_000,           # 10 % of 315.000 and of 150.000
        "refunds": 0,
        f"seller_payable:{sari.id}": 315_000 - 31_500 + 20_400,   # 303.900
        f"seller_payable:{budi.id}": 150_000 - 15_000 + 21_000,   # 156.000
    }

    refund = _refund_part(tx, order, sari_part)  # a partial refund of the order: Sari's part, as paid
    assert refund.amount_idr == 335_400
    assert _accounts(tx, sari, budi) == {
        "buyer_payments": -506_400, "programme_subsidy": 0, "platform_commission": 15_000, "refunds": 335_400,
        f"seller_payable:{sari.id}": 0, f"seller_payable:{budi.id}": 156_000,
    }
    assert check(tx) == []


def test_a_programme_voucher_over_two_shops_is_split_by_largest_remainder_and_paid_by_the_programme(tx, basket):
    buyer, sari, budi = basket
    code = voucher(tx, code="PEKANKREATIF", kind="amount", value=10_001).code
    order = checkout_with(tx, buyer, code)
    sari_part, budi_part = order.seller_orders
    # Rp 10.001 in proportion 350.000 : 150.000 = 7.000,7 : 3.000,3 → 7.000 + 3.000, the rupiah left
    # over to the larger remainder (Sari's ,7): 7.001 + 3.000.
    assert (sari_part.subtotal_idr, sari_part.discount_idr, sari_part.subsidy_idr) == (350_000, 7_001, 7_001)
    assert (budi_part.subtotal_idr, budi_part.discount_idr, budi_part.subsidy_idr) == (150_000, 3_000, 3_000)
    assert (order.subtotal_idr, order.discount_idr, order.total_idr) == (489_999, 10_001, 531_399)
    [placed] = events(tx, "order.placed")
    assert placed["discount_idr"] == 10_001
    assert [(d["shop_id"], d["amount_idr"], d["funded_by"]) for d in placed["discounts"]] == [
        (sari.id, 7_001, "programme"), (budi.id, 3_000, "programme")]

    orders.mark_paid(tx, order.id, now=NOW)
    # the artisans and the platform get exactly what they would without the voucher
    assert _accounts(tx, sari, budi) == {
        "buyer_payments": -531_399, "programme_subsidy": -10_001,
        "platform_commission": 35_000 + 15_000, "refunds": 0,
        f"seller_payable:{sari.id}": 350_000 - 35_000 + 20_400,   # 335.400
        f"seller_payable:{budi.id}": 150_000 - 15_000 + 21_000,   # 156.000
    }

    refund = _refund_part(tx, order, budi_part)  # Budi's part back: what the buyer paid for it
    assert refund.amount_idr == 171_000 - 3_000
    assert _accounts(tx, sari, budi) == {
        "buyer_payments": -531_399, "programme_subsidy": -7_001,  # Budi's 3.000 of subsidy reversed
        "platform_commission": 35_000, "refunds": 168_000,
        f"seller_payable:{sari.id}": 335_400, f"seller_payable:{budi.id}": 0,
    }
    assert check(tx) == []
    # what the city owes for the month (the reconciliation page, the impact CSV): 10.001 − 3.000 reversed
    month = NOW.astimezone(ledger.WIB).strftime("%Y-%m")
    assert ledger.programme_subsidy_by_month(tx) == {month: 7_001}
    assert ledger.programme_subsidy_by_month(tx, end=NOW - timedelta(days=1)) == {}


def test_part_of_a_programme_discounted_seller_order_reverses_the_subsidy_pro_rata(tx, basket):
    buyer, sari, budi = basket
    code = voucher(tx, code="KOTA", kind="amount", value=10_001).code
    order = checkout_with(tx, buyer, code)
    orders.mark_paid(tx, order.id, now=NOW)
    _, budi_part = order.seller_orders
    # Rp 50.001 of the Rp 168.000 the buyer paid for Budi's part: subsidy back 3.000 × 50.001 / 168.000
    # = 892,9 → 893; gross back 50.894; commission back 15.000 × 50.894 / 171.000 = 4.464,4 → 4.464;
    # Budi's payable −(50.894 − 4.464) = −46.430.
    refund = Refund(order_id=order.id, seller_order_id=budi_part.id, amount_idr=50_001, reason="Sebagian",
                    status=RefundStatus.SUCCEEDED.value, created_at=NOW, updated_at=NOW)
    tx.add(refund)
    tx.flush()
    ledger.record_refund(tx, order, refund, now=NOW)
    assert _accounts(tx, sari, budi) == {
        "buyer_payments": -531_399, "programme_subsidy": -10_001 + 893,
        "platform_commission": 50_000 - 4_464, "refunds": 50_001,
        f"seller_payable:{sari.id}": 335_400, f"seller_payable:{budi.id}": 156_000 - 46_430,
    }
    assert check(tx) == []


def test_a_programme_voucher_for_one_category_and_a_cap_touches_only_those_items(tx, basket):
    buyer, sari, budi = basket
    code = voucher(tx, code="KERAMIK", kind="percent", value=50, category="keramik", max_discount_idr=60_000).code
    order = checkout_with(tx, buyer, code)
    sari_part, budi_part = order.seller_orders
    # 50 % of Budi's Rp 150.000 of mugs is 75.000, capped at 60.000; Sari's batik is not in the category.
    assert (sari_part.discount_idr, budi_part.discount_idr, budi_part.subsidy_idr) == (0, 60_000, 60_000)
    orders.mark_paid(tx, order.id, now=NOW)
    assert _accounts(tx, sari, budi)["programme_subsidy"] == -60_000
    assert _accounts(tx, sari, budi)[f"seller_payable:{budi.id}"] == 156_000


def test_the_check_finds_a_sale_that_took_the_wrong_subsidy(tx, basket):
    """The check can fail: a seller order whose recorded subsidy disagrees with its sale is named."""
    buyer, _, _ = basket
    order = checkout_with(tx, buyer, voucher(tx, code="SALAH", kind="amount", value=1_000).code)
    orders.mark_paid(tx, order.id, now=NOW)
    part = order.seller_orders[0]
    part.subsidy_idr += 1
    tx.flush()
    assert any(f"seller order {part.id}" in problem and "programme_subsidy" in problem for problem in check(tx))
    part.subsidy_idr -= 1
    tx.flush()

