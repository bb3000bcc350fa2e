"""Disputes through the JSON API: who may open one and when (the window rules), who may read and act,
photos, the artisan's answer and refund, the admins' queue (escalation) and decision, the events, and
an account that cannot be closed while its dispute is open."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from marketplace.audit.models import AdminAction
from marketplace.db import utcnow
from marketplace.disputes.models import Dispute
from marketplace.orders.models import SellerOrder
from marketplace.payments.models import Refund
from tests.unit.listings.helpers import image_bytes, upload
from tests.unit.reviews.helpers import buy, delivered_at

TEXT = "Vasnya pecah saat dibuka, lihat fotonya."


def _open(api, bought, reason="damaged", text=TEXT, as_=None):
    return api.post(f"/api/v1/seller-orders/{bought.part_id}/disputes", as_=as_ or bought.buyer,
                    json={"reason": reason, "text": text})


def _shipped_at(app, part_id, when):
    with app.extensions["db"].transaction() as session:
        session.execute(update(SellerOrder).where(SellerOrder.id == part_id).values(shipped_at=when))


def _opened_at(app, dispute_id, when):
    with app.extensions["db"].transaction() as session:
        session.execute(update(Dispute).where(Dispute.id == dispute_id).values(opened_at=when))


def test_the_buyer_opens_a_dispute_and_the_shop_and_admins_read_it(api, app, market):
    bought = buy(api, app, market)
    resp = _open(api, bought)
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert (body["status"], body["reason"], body["text"], body["outcome"]) == ("open", "damaged", TEXT, None)
    path = f"/api/v1/disputes/{body['id']}"
    for reader in (bought.buyer, bought.seller, market.admin):
        assert api.get(path, as_=reader).json["id"] == body["id"]
    for stranger in (api.make_user("buyer"), market.seller(kelurahan="Pamulang Barat")):
        assert api.get(path, as_=stranger).status_code == 404
    [event] = market.events("dispute.opened")
    assert event["key"] == str(bought.order["id"])
    assert event["data"] == {"dispute_id": body["id"], "order_id": bought.order["id"], "seller_order_id": bought.part_id,
                             "shop_id": bought.listing["shop_id"], "reason": "damaged"}
    again = _open(api, bought, "wrong_item")
    assert again.status_code == 409 and again.json["error"]["code"] == "dispute_open"


def test_only_the_buyer_may_open_and_bad_input_is_422(api, app, market):
    bought = buy(api, app, market)
    for caller in (api.make_user("buyer"), bought.seller):
        resp = _open(api, bought, as_=caller)
        assert resp.status_code == 403 and resp.json["error"]["code"] == "not_the_buyer"
    resp = api.post("/api/v1/seller-orders/999999/disputes", as_=bought.buyer, json={"reason": "damaged", "text": TEXT})
    assert resp.status_code == 403  # the same answer: no hint that it exists
    for reason, text in (("lost", TEXT), ("damaged", "rusak"), ("damaged", "x" * 2001), (None, TEXT)):
        resp = _open(api, bought, reason, text)
        assert resp.status_code == 422, (reason, text)
    assert market.events("dispute.opened") == []


def test_the_window_after_delivery_and_for_a_parcel_that_never_arrived(api, app, market, settings):
    bought = buy(api, app, market)
    delivered_at(app, bought.part_id, utcnow() - timedelta(days=settings.dispute_window_days, hours=1))
    resp = _open(api, bought)
    assert resp.status_code == 422 and resp.json["error"]["code"] == "dispute_window_closed"
    delivered_at(app, bought.part_id, utcnow() - timedelta(days=settings.dispute_window_days - 1))
    assert _open(api, bought).status_code == 201

    unpaid_shipping = buy(api, app, market, deliver=False)  # paid, not shipped yet
    resp = _open(api, unpaid_shipping, "not_received")
    assert resp.status_code == 422 and resp.json["error"]["code"] == "dispute_too_early"
    assert api.post(f"/api/v1/seller/orders/{unpaid_shipping.part_id}/ship", as_=unpaid_shipping.seller,
                    json={"courier": "JNE", "tracking_number": "JNE-LATE"}).status_code == 200
    _shipped_at(app, unpaid_shipping.part_id, utcnow() - timedelta(days=settings.not_received_days - 1))
    resp = _open(api, unpaid_shipping, "not_received")
    assert resp.status_code == 422 and resp.json["error"]["code"] == "dispute_too_early"
    _shipped_at(app, unpaid_shipping.part_id, utcnow() - timedelta(days=settings.not_received_days, hours=1))
    resp = _open(api, unpaid_shipping, "damaged")  # not arrived: it cannot be damaged yet
    assert resp.status_code == 422 and resp.json["error"]["code"] == "not_received_only"
    assert _open(api, unpaid_shipping, "not_received").status_code == 201


def test_photos_by_the_buyer_only_up_to_five(api, app, market):
    bought = buy(api, app, market)
    dispute_id = _open(api, bought).json["id"]
    path = f"/api/v1/disputes/{dispute_id}/photos"
    resp = api.post(path, as_=bought.seller, data=upload(image_bytes()), content_type="multipart/form-data")
    assert resp.status_code == 404
    for _ in range(5):
        resp = api.post(path, as_=bought.buyer, data=upload(image_bytes()), content_type="multipart/form-data")
        assert resp.status_code == 201, resp.json
    resp = api.post(path, as_=bought.buyer, data=upload(image_bytes()), content_type="multipart/form-data")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "too_many_photos"
    shown = api.get(f"/api/v1/disputes/{dispute_id}", as_=bought.seller).json
    assert len(shown["photos"]) == 5 and shown["photos"][0]["url"]


def test_the_artisan_answers_once_and_refunds_part(api, app, market, db_session):
    bought = buy(api, app, market)
    dispute_id = _open(api, bought).json["id"]
    other = market.seller(kelurahan="Pamulang Barat")
    respond = f"/api/v1/seller/disputes/{dispute_id}/respond"
    assert api.post(respond, as_=other, json={"text": "Bukan toko saya"}).status_code == 404
    assert api.post(respond, as_=bought.buyer, json={"text": "Saya"}).status_code == 403
    resp = api.post(respond, as_=bought.seller, json={"text": "Maaf, kami ganti sebagian."})
    assert resp.status_code == 200 and resp.json["response"] == "Maaf, kami ganti sebagian."
    again = api.post(respond, as_=bought.seller, json={"text": "Lagi"})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_responded"

    refund = f"/api/v1/seller/disputes/{dispute_id}/refund"
    too_much = api.post(refund, as_=bought.seller, json={"amount_idr": bought.order["total_idr"] * 10})
    assert too_much.status_code == 409 and too_much.json["error"]["code"] == "refund_exceeds_payment"
    for junk in (0, -5, "1000", 1.5):
        assert api.post(refund, as_=bought.seller, json={"amount_idr": junk}).status_code == 422, junk
    resp = api.post(refund, as_=bought.seller, json={"amount_idr": 10_000})
    assert resp.status_code == 200, resp.json
    assert (resp.json["status"], resp.json["outcome"], resp.json["refund_amount_idr"]) == ("resolved", "refund", 10_000)
    row = db_session.scalars(select(Refund).where(Refund.id == resp.json["refund_id"])).one()
    assert (row.amount_idr, row.seller_order_id, row.status) == (10_000, bought.part_id, "pending")
    [requested] = market.events("order.refund_requested")
    assert requested["data"]["amount_idr"] == 10_000
    [resolved] = market.events("dispute.resolved")
    assert resolved["data"]["outcome"] == "refund" and resolved["data"]["resolved_by"] == "artisan"
    closed = api.post(refund, as_=bought.seller, json={"amount_idr": 10_000})
    assert closed.status_code == 409 and closed.json["error"]["code"] == "dispute_closed"


def test_the_admins_queue_flags_unanswered_disputes_and_the_decision_is_audited(api, app, market, settings, db_session):
    old, fresh = buy(api, app, market), buy(api, app, market)
    old_id, fresh_id = _open(api, old).json["id"], _open(api, fresh).json["id"]
    _opened_at(app, old_id, utcnow() - timedelta(days=settings.dispute_response_days, hours=1))
    admin = market.admin
    queue = api.get("/api/v1/admin/disputes?status=open", as_=admin).json["items"]
    assert [(d["id"], d["escalated"]) for d in queue] == [(old_id, True), (fresh_id, False)]  # oldest first
    assert [d["id"] for d in api.get("/api/v1/admin/disputes?status=escalated", as_=admin).json["items"]] == [old_id]
    assert api.get("/api/v1/admin/disputes?status=lost", as_=admin).status_code == 422
    assert api.get("/api/v1/admin/disputes", as_=old.buyer).status_code == 403

    decide = f"/api/v1/admin/disputes/{old_id}/resolve"
    assert api.post(decide, as_=admin, json={"outcome": "reject", "amount_idr": 5, "note": "Tidak"}).status_code == 422
    assert api.post(decide, as_=admin, json={"outcome": "maybe", "note": "Tidak"}).status_code == 422
    resp = api.post(decide, as_=admin, json={"outcome": "reject", "note": "Foto tidak menunjukkan kerusakan."})
    assert resp.status_code == 200 and (resp.json["status"], resp.json["outcome"]) == ("resolved", "reject")
    action = db_session.scalars(select(AdminAction).where(AdminAction.action == "dispute.resolve")).one()
    assert (action.actor_id, action.target_id, action.after["outcome"]) == (admin.id, old_id, "reject")
    again = api.post(decide, as_=admin, json={"outcome": "refund", "note": "Berubah pikiran"})
    assert again.status_code == 409 and again.json["error"]["code"] == "dispute_closed"

    resp = api.post(f"/api/v1/admin/disputes/{fresh_id}/resolve", as_=admin,
                    json={"outcome": "refund", "note": "Dana kembali penuh."})
    part = fresh.order["seller_orders"][0]
    assert resp.status_code == 200 and resp.json["refund_amount_idr"] == part["subtotal_idr"] + part["shipping_idr"]
    assert [d["id"] for d in api.get("/api/v1/admin/disputes?status=open", as_=admin).json["items"]] == []


def test_an_account_with_an_open_dispute_cannot_be_closed(api, app, market):
    bought = buy(api, app, market)
    dispute_id = _open(api, bought).json["id"]
    resp = api.delete("/api/v1/me", as_=bought.buyer, json={"password": bought.buyer.password})
    assert resp.status_code == 409 and "dispute" in resp.json["error"]["message"]
    api.post(f"/api/v1/admin/disputes/{dispute_id}/resolve", as_=market.admin, json={"outcome": "reject", "note": "Ditolak"})
    resp = api.delete("/api/v1/me", as_=bought.buyer, json={"password": bought.buyer.password})
    assert resp.status_code in (200, 204), resp.json


def test_either_party_may_ask_an_admin_to_decide_once(api, app, market):
    bought = buy(api, app, market)
    dispute_id = _open(api, bought).json["id"]
    path = f"/api/v1/disputes/{dispute_id}/escalate"
    assert api.post(path, as_=api.make_user("buyer")).status_code == 404
    assert api.post(path, as_=market.seller(kelurahan="Pamulang Barat")).status_code == 404
    resp = api.post(path, as_=bought.seller)
    assert resp.status_code == 200 and resp.json["escalated"] is True and resp.json["escalated_at"]
    again = api.post(path, as_=bought.buyer)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_escalated"
    queue = api.get("/api/v1/admin/disputes?status=escalated", as_=market.admin).json["items"]
    assert [d["id"] for d in queue] == [dispute_id]
