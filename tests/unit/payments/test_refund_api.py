"""``POST /api/v1/admin/orders/<id>/refund`` and the refund webhooks through the Flask test client."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.orders.models import Order
from marketplace.payments import refunds
from marketplace.payments.models import Refund
from tests.unit.payments.factories import payment_of, signed
from tests.unit.payments.test_webhooks import _post, _types


def _paid(api, shop_order, deliver):
    buyer, order, listing = shop_order()
    resp = api.post(f"/api/v1/orders/{order.id}/sandbox-pay", as_=buyer, json={"method": "qris"})
    assert resp.status_code == 202 and resp.json["outcome"] == "processing"
    assert deliver() == 1
    assert api.get(f"/api/v1/orders/{order.id}", as_=buyer).json["status"] == "paid"
    return buyer, order, listing


def _refund(db_session, order_id: int) -> Refund:
    db_session.rollback()
    db_session.expire_all()
    return db_session.scalars(select(Refund).where(Refund.order_id == order_id)).one()


def test_an_admin_refunds_a_paid_order_and_it_is_pending_until_the_gateway_confirms(api, db_session, shop_order,
                                                                                      deliver):
    buyer, order, _ = _paid(api, shop_order, deliver)
    admin = api.make_user("admin")
    resp = api.post(f"/api/v1/admin/orders/{order.id}/refund", as_=admin, json={"reason": "Barang tidak sesuai"})
    assert resp.status_code == 200, resp.json
    refund = _refund(db_session, order.id)
    assert resp.json == {"refund_id": refund.id, "order_id": order.id, "seller_order_id": None,
                         "amount_idr": order.total_idr, "status": "refund_pending"}
    assert refund.requested_by == admin.id and refund.reason == "Barang tidak sesuai"
    assert db_session.get(Order, order.id).status == "paid"
    assert _types(db_session, order.id)[-2:] == ["order.cancelled", "order.refund_requested"]

    again = api.post(f"/api/v1/admin/orders/{order.id}/refund", as_=admin, json={"reason": "Sekali lagi"})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_refunded"


def test_who_may_refund_and_what_is_refused(api, db_session, shop_order, deliver):
    buyer, order, _ = _paid(api, shop_order, deliver)
    _, unpaid, _ = shop_order()
    admin = api.make_user("admin")
    body = {"reason": "Dibatalkan"}
    assert api.post(f"/api/v1/admin/orders/{order.id}/refund", as_=buyer, json=body).status_code == 403
    assert api.post(f"/api/v1/admin/orders/{order.id}/refund", json=body).status_code == 401
    assert api.post("/api/v1/admin/orders/999999/refund", as_=admin, json=body).status_code == 404
    resp = api.post(f"/api/v1/admin/orders/{unpaid.id}/refund", as_=admin, json=body)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "not_paid"
    resp = api.post(f"/api/v1/admin/orders/{order.id}/refund", as_=admin, json={"reason": "x", "seller_order_id": "1"})
    assert resp.status_code == 422 and set(resp.json["error"]["fields"]) == {"reason", "seller_order_id"}
    other_part = db_session.get(Order, unpaid.id).seller_orders[0].id
    resp = api.post(f"/api/v1/admin/orders/{order.id}/refund", as_=admin, json={**body, "seller_order_id": other_part})
    assert resp.status_code == 422 and "seller_order_id" in resp.json["error"]["fields"]
    db_session.rollback()
    assert db_session.scalars(select(Refund)).all() == []


def _charge_refunded(db_session, sandbox, order_id: int) -> tuple[bytes, dict[str, str]]:
    """The worker's part done by hand (the refund id stored), and the gateway's ``charge.refunded``."""
    refund = _refund(db_session, order_id)
    refund.provider_refund_id = "re_sbx_by_hand"
    db_session.commit()
    event = refunds.sandbox_refund_event(db_session, payment_of(db_session, order_id), _refund(db_session, order_id),
                                         now=utcnow())
    return signed(sandbox, event)


def test_charge_refunded_completes_the_refund_once_and_a_forgery_is_400(api, client, db_session, sandbox, shop_order,
                                                                          deliver):
    buyer, order, _ = _paid(api, shop_order, deliver)
    admin = api.make_user("admin")
    assert api.post(f"/api/v1/admin/orders/{order.id}/refund", as_=admin, json={"reason": "Rusak"}).status_code == 200
    payload, headers = _charge_refunded(db_session, sandbox, order.id)

    forged = payload.replace(b'"amount_refunded":', b'"amount_refunded":1,"x":')
    resp = _post(client, forged, headers)
    assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_signature"
    assert _refund(db_session, order.id).status == "pending"

    resp = _post(client, payload, headers)
    assert resp.status_code == 200 and resp.json == {"received": True, "outcome": "refunded"}
    assert (_refund(db_session, order.id).status, db_session.get(Order, order.id).status) == ("succeeded", "refunded")
    types = _types(db_session, order.id)
    assert types[-2:] == ["order.refunded", "payment.refunded"]

    resp = _post(client, payload, headers)  # Stripe's retry of the same event
    assert resp.status_code == 200 and resp.json["outcome"] == "duplicate"
    assert _types(db_session, order.id) == types

    timeline = api.get(f"/api/v1/orders/{order.id}/events", as_=buyer).json["items"]
    assert [i["type"] for i in timeline][-3:] == ["order.cancelled", "order.refund_requested", "order.refunded"]


def test_a_refund_event_for_an_unknown_intent_is_400(client, db_session, sandbox):
    event = {"id": "evt_x", "object": "event", "type": "charge.refunded",
             "data": {"object": {"id": "ch_x", "object": "charge", "payment_intent": "pi_nobody", "amount_refunded": 100}}}
    resp = _post(client, *signed(sandbox, event))
    assert resp.status_code == 400 and resp.json["error"]["code"] == "unknown_intent"
