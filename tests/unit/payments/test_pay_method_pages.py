"""The payment page with methods: grouped buttons with locally drawn labels, the VA number with a copy
button, the amount and the deadline in WIB, a page that refreshes itself until the payment lands, the
sandbox's "simulate payment"; the order page says how to pay until it is paid."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.orders.models import Order
from marketplace.payments import attempts
from marketplace.payments.models import Payment


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


@pytest.fixture
def make(app, sandbox):
    def run() -> None:
        with app.extensions["db"].transaction() as session:
            ids = list(session.scalars(select(Payment.id).where(Payment.provider_intent_id.is_(None),
                                                                Payment.method.is_not(None))))
        for payment_id in ids:
            with app.extensions["db"].transaction() as session:
                attempts.make_attempt(session, sandbox, payment_id, now=utcnow())

    return run


def test_paying_by_va_on_the_page(client, auth, db_session, shop_order, make, deliver):
    buyer, order, _ = shop_order(price_idr=125_000, quantity=2, shipping_idr=25_000)
    auth.login(buyer.email, buyer.password)
    page = client.get(f"/orders/{order.id}/pay").get_data(as_text=True)
    for group in ("Transfer bank", "Dompet digital", "QRIS", "Kartu"):  # grouped, in Indonesian
        assert f"<legend>{group}</legend>" in page
    assert 'class="pm-logo pm-va_bca"' in page and "https://" not in page.split("js.stripe.com")[0].split(
        "<main")[-1]  # no remote logos
    resp = client.post(f"/orders/{order.id}/pay/method", data={"method": "va_bca", "csrf_token": _csrf(page)})
    assert resp.status_code == 302
    page = client.get(f"/orders/{order.id}/pay").get_data(as_text=True)
    assert 'data-action="preparing"' in page and 'data-refresh-after="3"' in page
    make()
    page = client.get(f"/orders/{order.id}/pay").get_data(as_text=True)
    number = re.search(r'data-va-number id="va-number">(\d+)<', page).group(1)
    assert len(number) == 16 and 'data-copy="va-number"' in page and "Salin" in page
    assert "Rp 275.000" in page and "WIB" in page and 'data-refresh-after="10"' in page
    assert "payment-methods.js" in page
    order_page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "data-how-to-pay" in order_page and number in order_page
    resp = client.post(f"/orders/{order.id}/pay/simulate", data={"csrf_token": _csrf(page)})
    assert resp.status_code == 302 and deliver() == 1
    db_session.rollback()
    db_session.expire_all()
    assert db_session.get(Order, order.id).status == "paid"
    page = client.get(f"/orders/{order.id}/pay").get_data(as_text=True)
    assert 'data-payment-state="paid"' in page and 'data-refresh-after=' not in page
    assert "data-how-to-pay" not in client.get(f"/orders/{order.id}").get_data(as_text=True)


def test_a_method_outside_its_limits_is_not_offered_and_refused(client, auth, shop_order):
    buyer, order, _ = shop_order(price_idr=6_000_000, quantity=2)
    auth.login(buyer.email, buyer.password)
    page = client.get(f"/orders/{order.id}/pay").get_data(as_text=True)
    assert 'data-method="qris"' not in page and 'data-method="va_bca"' in page
    resp = client.post(f"/orders/{order.id}/pay/method", data={"method": "qris", "csrf_token": _csrf(page)})
    assert resp.status_code == 422
    resp = client.post(f"/orders/{order.id}/pay/method", data={"method": "nope", "csrf_token": _csrf(page)})
    assert resp.status_code == 422


@pytest.mark.parametrize("method, text", [("ovo", "Kami mengirim permintaan pembayaran ke aplikasi OVO"),
                                          ("dana", "Buka DANA untuk membayar"), ("qris", "data-qris")])
def test_e_wallets_and_qris_say_what_to_do(client, auth, shop_order, make, method, text):
    buyer, order, _ = shop_order()
    auth.login(buyer.email, buyer.password)
    page = client.get(f"/orders/{order.id}/pay").get_data(as_text=True)
    client.post(f"/orders/{order.id}/pay/method", data={"method": method, "csrf_token": _csrf(page)})
    make()
    page = client.get(f"/orders/{order.id}/pay").get_data(as_text=True)
    assert text in page
    if method == "dana":
        assert client.get(f"/orders/{order.id}/pay/sandbox-wallet").status_code == 200
