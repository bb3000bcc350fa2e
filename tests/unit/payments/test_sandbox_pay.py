"""``POST /api/v1/orders/<id>/sandbox-pay`` and the payment page: the buyer's own order only, sandbox only.
The pay call answers 202 ``processing``; the order moves when the queued webhook is delivered
(``deliver()``: the payments worker's loop, once, through the test client; see test_delivery.py for
real HTTP)."""

from __future__ import annotations

import re

import pytest

from marketplace.listings.models import Listing
from marketplace.orders.models import Order
from marketplace.payments.gateways import StripeGateway
from tests.unit.payments.factories import payment_of
from marketplace.web import deps

CARD_OK, CARD_DECLINED = "4242424242424242", "4000000000000002"


def _pay(api, buyer, order_id, body):
    return api.post(f"/api/v1/orders/{order_id}/sandbox-pay", as_=buyer, json=body)


def _order(db_session, order_id):
    db_session.rollback()
    db_session.expire_all()
    return db_session.get(Order, order_id)


@pytest.mark.parametrize("body", [{"card_number": CARD_OK}, {"card_number": "4242 4242 4242 4242"}, {"method": "qris"}])
def test_a_good_card_or_qris_pays_the_order_once_the_webhook_arrives(api, db_session, shop_order, deliver, body):
    buyer, order, _ = shop_order()
    resp = _pay(api, buyer, order.id, body)
    assert resp.status_code == 202, resp.json
    assert resp.json["status"] == "pending_payment" and resp.json["outcome"] == "processing"
    assert resp.json["payment"]["status"] == "requires_payment"
    assert _order(db_session, order.id).status == "pending_payment"  # nothing moves inside the request
    assert deliver() == 1
    assert _order(db_session, order.id).status == "paid"
    assert api.get(f"/api/v1/orders/{order.id}", as_=buyer).json["payment"]["status"] == "succeeded"


def test_the_declined_card_cancels_the_order_and_restocks(api, db_session, shop_order, deliver):
    buyer, order, listing = shop_order(quantity=2, stock=5)
    resp = _pay(api, buyer, order.id, {"card_number": CARD_DECLINED})
    assert resp.status_code == 202 and resp.json["status"] == "pending_payment"
    assert deliver() == 1
    assert _order(db_session, order.id).status == "cancelled"
    assert db_session.get(Listing, listing.id).stock == 5


def test_someone_elses_order_is_404_and_unchanged(api, db_session, shop_order):
    _buyer, order, _ = shop_order()
    stranger = api.make_user("buyer")
    for body in ({"card_number": CARD_OK}, {"method": "qris"}):
        resp = _pay(api, stranger, order.id, body)
        assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"
    assert _pay(api, stranger, 999_999, {"method": "qris"}).status_code == 404
    assert _order(db_session, order.id).status == "pending_payment"


def test_409_while_processing_when_not_pending_or_no_intent_yet(api, shop_order, deliver):
    buyer, order, _ = shop_order()
    assert _pay(api, buyer, order.id, {"method": "qris"}).status_code == 202
    resp = _pay(api, buyer, order.id, {"card_number": CARD_DECLINED})  # the first is still on its way
    assert resp.status_code == 409 and resp.json["error"]["code"] == "payment_processing"
    assert deliver() == 1
    resp = _pay(api, buyer, order.id, {"card_number": CARD_DECLINED})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "not_pending"
    buyer2, waiting, _ = shop_order(with_intent=False)
    resp = _pay(api, buyer2, waiting.id, {"method": "qris"})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "payment_not_ready"


@pytest.mark.parametrize("body", [{}, {"card_number": CARD_OK, "method": "qris"}, {"card_number": "abc"},
                                  {"method": "bitcoin"}, {"card_number": "5555555555554444"}, {"card_number": 4242}])
def test_bad_bodies_are_422_and_change_nothing(api, db_session, shop_order, deliver, body):
    buyer, order, _ = shop_order()
    resp = _pay(api, buyer, order.id, body)
    assert resp.status_code == 422 and resp.json["error"]["code"] == "validation_error"
    assert "card_number" in resp.json["error"]["fields"] or "method" in resp.json["error"]["fields"]
    assert deliver() == 0  # nothing was queued
    assert _order(db_session, order.id).status == "pending_payment"


def test_off_the_sandbox_it_is_404(api, app, shop_order):
    buyer, order, _ = shop_order()
    deps.override(app, payment_gateway=StripeGateway("sk_test_x", "whsec_x", ["card"], api_base="http://127.0.0.1:9"))
    assert _pay(api, buyer, order.id, {"method": "qris"}).status_code == 404


# --- the page ---------------------------------------------------------------------------------------------


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_the_pay_page_shows_the_total_a_test_card_form_and_a_real_qris_code(client, auth, shop_order):
    buyer, order, _ = shop_order(price_idr=125_000, quantity=2, shipping_idr=25_000)
    auth.login(buyer.email, buyer.password)
    resp = client.get(f"/orders/{order.id}/pay")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Rp 275.000" in html and "MODE UJI COBA" in html  # Bahasa Indonesia first
    assert 'src="data:image/svg+xml' in html and "data-qris" in html
    assert "Simulasikan pemindaian" in html and "js.stripe.com" not in html


def test_the_qris_payload_is_a_qris_text_with_the_amount(db_session, shop_order):
    import binascii

    _buyer, order, _ = shop_order(price_idr=125_000, quantity=2, shipping_idr=25_000)
    payload = payment_of(db_session, order.id).qr_payload
    assert payload.startswith("000201010212") and "5303360" in payload and "5406275000" in payload
    assert payload[-4:] == f"{binascii.crc_hqx(payload[:-4].encode(), 0xFFFF):04X}"


def test_paying_on_the_page_by_card_and_by_qris(client, auth, db_session, shop_order, deliver):
    buyer, order, _ = shop_order()
    auth.login(buyer.email, buyer.password)
    token = _csrf(client.get(f"/orders/{order.id}/pay").get_data(as_text=True))
    resp = client.post(f"/orders/{order.id}/pay/card", data={"card_number": "4242 4242 4242 4242", "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/orders/{order.id}/pay")
    page = client.get(f"/orders/{order.id}/pay").get_data(as_text=True)
    assert 'data-payment-state="processing"' in page and "Kami sedang memproses pembayaran Anda" in page
    assert 'data-refresh-after=' in page and "Simulasikan pemindaian" not in page  # no second pay meanwhile
    assert deliver() == 1
    assert _order(db_session, order.id).status == "paid"
    page = client.get(f"/orders/{order.id}/pay").get_data(as_text=True)
    assert "Pembayaran diterima" in page and 'data-payment-state="paid"' in page and 'data-refresh-after=' not in page

    _b, second, listing = shop_order(buyer=buyer, quantity=1, stock=3)
    resp = client.post(f"/orders/{second.id}/pay/qris", data={"csrf_token": token})
    assert resp.status_code == 302 and deliver() == 1 and _order(db_session, second.id).status == "paid"


def test_a_declined_card_on_the_page_cancels_and_a_bad_card_is_shown_on_the_form(client, auth, db_session, shop_order,
                                                                                  deliver):
    buyer, order, listing = shop_order(quantity=2, stock=5)
    auth.login(buyer.email, buyer.password)
    token = _csrf(client.get(f"/orders/{order.id}/pay").get_data(as_text=True))
    resp = client.post(f"/orders/{order.id}/pay/card", data={"card_number": "5555555555554444", "csrf_token": token})
    assert resp.status_code == 422 and "Gunakan kartu uji" in resp.get_data(as_text=True)
    assert _order(db_session, order.id).status == "pending_payment"
    resp = client.post(f"/orders/{order.id}/pay/card", data={"card_number": CARD_DECLINED, "csrf_token": token})
    assert resp.status_code == 302 and deliver() == 1
    assert _order(db_session, order.id).status == "cancelled"
    assert db_session.get(Listing, listing.id).stock == 5
    page = client.get(f"/orders/{order.id}/pay").get_data(as_text=True)
    assert 'data-payment-state="cancelled"' in page and "Pembayaran ditolak" in page
    resp = client.post(f"/orders/{order.id}/pay/qris", data={"csrf_token": token})
    assert resp.status_code == 409  # no longer pending


def test_page_forms_need_csrf(client, auth, db_session, shop_order):
    buyer, order, _ = shop_order()
    auth.login(buyer.email, buyer.password)
    assert client.post(f"/orders/{order.id}/pay/qris", data={}).status_code == 400
    assert _order(db_session, order.id).status == "pending_payment"


def test_the_page_waits_for_the_intent_and_refreshes(client, auth, shop_order):
    buyer, order, _ = shop_order(with_intent=False)
    auth.login(buyer.email, buyer.password)
    html = client.get(f"/orders/{order.id}/pay").get_data(as_text=True)
    assert 'data-payment-state="preparing"' in html and 'data-refresh-after=' in html


def test_someone_elses_pay_page_is_404_and_anonymous_visitors_log_in(client, auth, api, db_session, shop_order):
    _buyer, order, _ = shop_order()
    assert client.get(f"/orders/{order.id}/pay").status_code == 302
    stranger = api.make_user("buyer")
    auth.login(stranger.email, stranger.password)
    assert client.get(f"/orders/{order.id}/pay").status_code == 404
    token = _csrf(client.get("/").get_data(as_text=True))  # the logout form's
    assert client.post(f"/orders/{order.id}/pay/qris", data={"csrf_token": token}).status_code == 404
    assert _order(db_session, order.id).status == "pending_payment"


def test_on_stripe_the_page_mounts_stripe_js_with_the_client_secret(client, auth, app, db_session, shop_order):
    buyer, order, _ = shop_order()
    deps.override(app, payment_gateway=StripeGateway("sk_test_x", "whsec_x", ["card"], api_base="http://127.0.0.1:9"))
    payment = payment_of(db_session, order.id)
    payment.gateway = "stripe"
    db_session.commit()
    auth.login(buyer.email, buyer.password)
    html = client.get(f"/orders/{order.id}/pay").get_data(as_text=True)
    assert "https://js.stripe.com/v3/" in html and f'data-client-secret="{payment.client_secret}"' in html
    assert "MODE UJI COBA" not in html
