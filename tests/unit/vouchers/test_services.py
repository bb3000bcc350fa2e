"""Voucher use cases in a rolled-back transaction (``tx``): the rules a shop or admin cannot break,
why a code does not fit a cart, one code per order with its use reserved, released when the order is
cancelled or expires, and the per-buyer limit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.cart import services as cart
from marketplace.errors import ValidationFailed
from marketplace.orders import services as orders
from marketplace.orders.fulfilment import services as fulfilment
from marketplace.vouchers import services
from marketplace.vouchers.models import Voucher, VoucherUse
from tests import factories
from tests.unit.orders.test_checkout import NOW
from tests.unit.vouchers.helpers import checkout_with, voucher


@pytest.fixture
def shop_and_buyer(tx):
    sari = factories.shop(tx)
    batik = factories.listing(tx, sari.owner, status="approved", stock=10, price_idr=200_000)
    buyer = factories.user(tx, "buyer")
    cart.add_item(tx, buyer, batik.id, 1)
    return sari, batik, buyer


def _reason(tx, buyer, code) -> str:
    with pytest.raises(services.VoucherInvalid) as err:
        services.apply_to_cart(tx, buyer, code, cart.get_cart(tx, buyer).groups, now=NOW)
    assert err.value.code == "voucher_invalid" and list(err.value.fields) == ["code"]
    return err.value.reason


@pytest.mark.parametrize("data, field", [
    ({"kind": "percent", "value": 101}, "value"),
    ({"starts_at": NOW, "ends_at": NOW - timedelta(minutes=1)}, "ends_at"),
    ({"starts_at": NOW, "ends_at": NOW}, "ends_at"),
    ({"code": "lebaran"}, "code"),  # LEBARAN exists: codes are case-insensitive
    ({"sentra_id": 999_999}, "sentra_id"),
])
def test_what_a_voucher_may_not_be_is_422_naming_the_field(tx, data, field):
    voucher(tx, code="LEBARAN")
    with pytest.raises(ValidationFailed) as err:
        voucher(tx, **data)
    assert list(err.value.fields) == [field]


def test_a_patch_is_checked_against_what_is_stored(tx):
    found = voucher(tx, code="DISKON", kind="amount", value=50_000)
    with pytest.raises(ValidationFailed) as err:
        services.update_voucher(tx, found, {"kind": "percent"}, now=NOW)  # 50.000 %
    assert list(err.value.fields) == ["value"]
    with pytest.raises(ValidationFailed) as err:
        services.update_voucher(tx, found, {"ends_at": found.starts_at - timedelta(days=1)}, now=NOW)
    assert list(err.value.fields) == ["ends_at"]
    services.update_voucher(tx, found, {"code": "diskon"}, now=NOW)  # its own code, in another case
    assert found.code == "DISKON"


def test_the_cart_is_told_why_a_code_does_not_apply(tx, shop_and_buyer):
    sari, batik, buyer = shop_and_buyer
    other_shop = factories.shop(tx)
    voucher(tx, code="BESOK", starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=2))
    voucher(tx, code="KEMARIN", starts_at=NOW - timedelta(days=2), ends_at=NOW - timedelta(days=1))
    voucher(tx, code="JEDA", paused=True)
    voucher(tx, code="MINIMUM", min_subtotal_idr=200_001)
    voucher(tx, code="TOKOLAIN", shop_id=other_shop.id)
    voucher(tx, code="BEKASI", city="Bekasi")
    voucher(tx, code="KERAMIK", category="keramik")
    voucher(tx, code="HABIS", max_uses=1).uses_count = 1
    tx.flush()
    assert _reason(tx, buyer, "TIDAKADA") == "unknown"
    assert _reason(tx, buyer, "besok") == "not_started"
    assert _reason(tx, buyer, "KEMARIN") == "expired"
    assert _reason(tx, buyer, "JEDA") == "paused"
    assert _reason(tx, buyer, "MINIMUM") == "below_minimum"
    assert _reason(tx, buyer, "TOKOLAIN") == "not_for_these_products"
    assert _reason(tx, buyer, "BEKASI") == "not_for_these_products"  # the shop is in Tangerang Selatan
    assert _reason(tx, buyer, "KERAMIK") == "not_for_these_products"
    assert _reason(tx, buyer, "HABIS") == "used_up"
    assert buyer.cart_voucher_id is None  # nothing applied

    ok = voucher(tx, code="SARI", shop_id=sari.id, kind="amount", value=20_000)
    found = services.apply_to_cart(tx, buyer, "sari", cart.get_cart(tx, buyer).groups, now=NOW)
    assert found.discounts() == [{"code": "SARI", "funded_by": "shop", "shop_id": sari.id, "amount_idr": 20_000}]
    # applied, then paused by the shop: the cart says why it no longer applies
    services.update_voucher(tx, ok, {"paused": True}, now=NOW)
    fields = services.cart_fields(tx, buyer, cart.get_cart(tx, buyer).groups, now=NOW)
    assert fields == {"voucher": {"code": "SARI", "reason": "paused"}, "discounts": [], "discount_idr": 0}


def test_checkout_uses_the_carts_code_reserves_a_use_and_empties_the_cart_of_it(tx, shop_and_buyer):
    sari, _, buyer = shop_and_buyer
    code = voucher(tx, code="SARI", shop_id=sari.id, kind="percent", value=10, max_uses=5)
    services.apply_to_cart(tx, buyer, "SARI", cart.get_cart(tx, buyer).groups, now=NOW)
    order = checkout_with(tx, buyer, None)
    assert (order.discount_idr, order.subtotal_idr, order.seller_orders[0].subtotal_idr) == (20_000, 180_000, 180_000)
    tx.refresh(code)
    assert code.uses_count == 1 and buyer.cart_voucher_id is None
    [use] = tx.query(VoucherUse).all()
    assert (use.order_id, use.buyer_id, use.status, use.discount_idr) == (order.id, buyer.id, "reserved", 20_000)


def test_a_code_that_stopped_fitting_refuses_the_checkout_and_nothing_is_written(tx, shop_and_buyer):
    sari, batik, buyer = shop_and_buyer
    found = voucher(tx, code="SARI", shop_id=sari.id, min_subtotal_idr=150_000)
    services.apply_to_cart(tx, buyer, "SARI", cart.get_cart(tx, buyer).groups, now=NOW)
    services.update_voucher(tx, found, {"min_subtotal_idr": 300_000}, now=NOW)
    savepoint = tx.begin_nested()
    with pytest.raises(services.VoucherInvalid) as err:
        checkout_with(tx, buyer, None)
    assert err.value.reason == "below_minimum"
    savepoint.rollback()  # as the entry point does: the order, the stock and the use go with it
    assert tx.query(VoucherUse).count() == 0 and tx.get(Voucher, found.id).uses_count == 0


@pytest.mark.parametrize("cancel", ["expired", "declined"])
def test_an_expired_or_declined_order_gives_its_use_back(tx, shop_and_buyer, cancel):
    sari, batik, buyer = shop_and_buyer
    found = voucher(tx, code="SEKALI", max_uses=1, per_buyer=1)
    order = checkout_with(tx, buyer, "sekali")
    tx.refresh(found)
    assert found.uses_count == 1
    if cancel == "expired":
        assert fulfilment.expire_unpaid(tx, order.id, now=NOW + timedelta(hours=2))
    else:
        assert orders.cancel_unpaid(tx, order.id, "declined", now=NOW, payment_failed=True)
    tx.refresh(found)
    assert found.uses_count == 0
    assert tx.query(VoucherUse).one().status == "released"
    cart.add_item(tx, buyer, batik.id, 1)
    again = checkout_with(tx, buyer, "SEKALI")  # the use (and the buyer's one) is free again
    assert again.discount_idr == 20_000


def test_the_per_buyer_limit_holds_while_others_may_still_use_it(tx, shop_and_buyer):
    sari, batik, buyer = shop_and_buyer
    voucher(tx, code="SATUKALI", per_buyer=1)
    checkout_with(tx, buyer, "SATUKALI")
    cart.add_item(tx, buyer, batik.id, 1)
    assert _reason(tx, buyer, "SATUKALI") == "per_buyer_limit"
    with pytest.raises(services.VoucherInvalid) as err:
        checkout_with(tx, buyer, "SATUKALI")
    assert err.value.reason == "per_buyer_limit"
    other = factories.user(tx, "buyer")
    cart.add_item(tx, other, batik.id, 1)
    assert checkout_with(tx, other, "SATUKALI").discount_idr == 20_000
