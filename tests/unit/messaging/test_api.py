"""Conversations through the JSON API: start and reuse, only the two parties read, unread counts, block,
report and the admin's audited read, bad input (on SQLite and PostgreSQL, like every unit test)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.audit.models import AdminAction
from marketplace.messaging.models import Message


@pytest.fixture
def shop_and_listing(market):
    seller = market.seller()
    listing = market.approved_listing(seller)
    return seller, listing


def _start(api, buyer, shop_id, text="Bisa ukuran XL warna hijau?", **extra):
    return api.post("/api/v1/conversations", as_=buyer, json={"shop_id": shop_id, "text": text, **extra})


def test_a_buyer_asks_about_a_listing_and_the_same_conversation_is_reused(api, market, buyer, shop_and_listing):
    seller, listing = shop_and_listing
    first = _start(api, buyer, seller.shop_id, listing_id=listing["id"])
    assert first.status_code == 201, first.json
    again = _start(api, buyer, seller.shop_id, text="Halo lagi", listing_id=listing["id"])
    assert again.status_code == 201 and again.json["id"] == first.json["id"]
    about_shop = _start(api, buyer, seller.shop_id, text="Pertanyaan umum")
    assert about_shop.json["id"] != first.json["id"]

    thread = api.get(f"/api/v1/conversations/{first.json['id']}/messages", as_=seller).json
    assert [m["text"] for m in thread["items"]] == ["Bisa ukuran XL warna hijau?", "Halo lagi"]
    assert thread["unread"] == 2
    events = market.events("message.sent", key=first.json["id"])
    assert [e["data"]["recipient_id"] for e in events] == [seller.id, seller.id]
    assert "text" not in events[0]["data"]  # personal data stays in the database


def test_unread_counts_newest_first_and_read_markers(api, market, buyer, shop_and_listing):
    seller, listing = shop_and_listing
    older = _start(api, buyer, seller.shop_id, text="Satu").json["id"]
    newer = _start(api, buyer, seller.shop_id, text="Dua", listing_id=listing["id"]).json["id"]
    inbox = api.get("/api/v1/conversations", as_=seller).json
    assert [s["conversation"]["id"] for s in inbox["items"]] == [newer, older]
    assert [s["unread"] for s in inbox["items"]] == [1, 1] and inbox["unread"] == 2
    assert api.get("/api/v1/conversations", as_=buyer).json["unread"] == 0  # own messages are read

    assert api.post(f"/api/v1/conversations/{older}/read", as_=seller).status_code == 200
    assert api.get("/api/v1/conversations", as_=seller).json["unread"] == 1
    reply = api.post(f"/api/v1/conversations/{older}/messages", as_=seller, json={"text": "Bisa, kak"})
    assert reply.status_code == 201
    mine = api.get("/api/v1/conversations", as_=buyer).json
    assert mine["items"][0]["conversation"]["id"] == older and mine["unread"] == 1
    polled = api.get(f"/api/v1/conversations/{older}/messages?after={reply.json['id'] - 1}", as_=buyer).json
    assert [m["text"] for m in polled["items"]] == ["Bisa, kak"]


def test_nobody_else_reads_or_writes_and_gets_no_hint(api, market, buyer, shop_and_listing):
    seller, _listing = shop_and_listing
    conversation = _start(api, buyer, seller.shop_id).json["id"]
    stranger, other_artisan, admin = api.make_user("buyer"), market.seller(), market.admin
    for who in (stranger, other_artisan, admin):
        for method, path, body in (
                ("get", f"/api/v1/conversations/{conversation}/messages", None),
                ("post", f"/api/v1/conversations/{conversation}/messages", {"text": "hai"}),
                ("post", f"/api/v1/conversations/{conversation}/read", None),
                ("post", f"/api/v1/conversations/{conversation}/block", None),
                ("post", f"/api/v1/conversations/{conversation}/reports", {"reason": "spam spam"})):
            resp = getattr(api, method)(path, as_=who, json=body)
            missing = getattr(api, method)(path.replace(f"/{conversation}/", "/999999/"), as_=who, json=body)
            assert resp.status_code == missing.status_code == 404, (who.role, path)
            assert resp.json == missing.json
        assert api.get("/api/v1/conversations", as_=who).json["items"] == []
    # the admin may not open it until a party reports it
    assert api.post(f"/api/v1/admin/conversations/{conversation}/open", as_=admin).status_code == 404


def test_messaging_your_own_shop_and_bad_input_are_4xx_and_write_nothing(api, market, db_session, shop_and_listing):
    seller, listing = shop_and_listing
    own = _start(api, seller, seller.shop_id)
    assert own.status_code == 422 and own.json["error"]["code"] == "cannot_message_yourself"
    buyer = api.make_user("buyer")
    for body, field in (({"shop_id": seller.shop_id, "text": "a\x1b[31mb"}, "text"),
                        ({"shop_id": seller.shop_id, "text": "x" * 2001}, "text"),
                        ({"shop_id": seller.shop_id, "text": "hai", "listing_id": 999999}, "listing_id"),
                        ({"shop_id": seller.shop_id, "text": "hai", "seller_order_id": 999999}, "seller_order_id"),
                        ({"shop_id": "1", "text": "hai"}, "shop_id")):
        resp = api.post("/api/v1/conversations", as_=buyer, json=body)
        assert resp.status_code == 422 and field in resp.json["error"]["fields"], (body, resp.json)
    assert api.post("/api/v1/conversations", as_=buyer, json={"shop_id": 999999, "text": "hai"}).status_code == 404
    conversation = _start(api, buyer, seller.shop_id).json["id"]
    for text in ("", "   \u200b ", "\u202eevil"):
        resp = api.post(f"/api/v1/conversations/{conversation}/messages", as_=buyer, json={"text": text})
        assert resp.status_code == 422, text
    db_session.rollback()
    assert db_session.scalar(select(Message.id).where(Message.sender_id == seller.id)) is None
    assert len(db_session.scalars(select(Message)).all()) == 1


def test_a_blocked_conversation_takes_no_new_messages_and_keeps_the_old(api, market, buyer, shop_and_listing):
    seller, _ = shop_and_listing
    conversation = _start(api, buyer, seller.shop_id).json["id"]
    assert api.post(f"/api/v1/conversations/{conversation}/block", as_=seller).json["blocked"] is True
    for who in (buyer, seller):
        resp = api.post(f"/api/v1/conversations/{conversation}/messages", as_=who, json={"text": "halo?"})
        assert resp.status_code == 409 and resp.json["error"]["code"] == "conversation_blocked"
    assert len(api.get(f"/api/v1/conversations/{conversation}/messages", as_=buyer).json["items"]) == 1
    assert api.post(f"/api/v1/conversations/{conversation}/unblock", as_=buyer).status_code == 409
    assert api.post(f"/api/v1/conversations/{conversation}/unblock", as_=seller).json["blocked"] is False
    assert api.post(f"/api/v1/conversations/{conversation}/messages", as_=buyer, json={"text": "ok"}).status_code == 201


def test_an_admin_reads_a_reported_conversation_and_each_read_is_audited(api, market, db_session, buyer,
                                                                          shop_and_listing):
    seller, _ = shop_and_listing
    conversation = _start(api, buyer, seller.shop_id, text="Transfer di luar aplikasi saja ya").json["id"]
    admin = market.admin
    assert api.get("/api/v1/admin/conversations", as_=admin).json["items"] == []
    resp = api.post(f"/api/v1/conversations/{conversation}/reports", as_=seller, json={"reason": "Minta transfer"})
    assert resp.status_code == 201
    queue = api.get("/api/v1/admin/conversations", as_=admin).json["items"]
    assert [(c["id"], c["report_reason"]) for c in queue] == [(conversation, "Minta transfer")]
    for _ in range(2):
        opened = api.post(f"/api/v1/admin/conversations/{conversation}/open", as_=admin)
        assert opened.status_code == 200
        assert [m["text"] for m in opened.json["items"]] == ["Transfer di luar aplikasi saja ya"]
    db_session.rollback()
    reads = db_session.scalars(select(AdminAction).where(AdminAction.action == "conversation.read")).all()
    assert [(r.actor_id, r.target_id) for r in reads] == [(admin.id, conversation)] * 2

    # nothing to act on: the report is dismissed, the conversation leaves the queue and is private again
    assert api.post(f"/api/v1/admin/conversations/{conversation}/dismiss", as_=buyer).status_code == 403
    resp = api.post(f"/api/v1/admin/conversations/{conversation}/dismiss", as_=admin)
    assert resp.status_code == 200 and resp.json == {"status": "dismissed"}
    assert api.get("/api/v1/admin/conversations", as_=admin).json["items"] == []
    assert api.post(f"/api/v1/admin/conversations/{conversation}/open", as_=admin).status_code == 404
    assert api.post(f"/api/v1/admin/conversations/{conversation}/dismiss", as_=admin).status_code == 404
    db_session.rollback()
    [dismissed] = db_session.scalars(select(AdminAction).where(AdminAction.action == "conversation.report_dismiss"))
    assert dismissed.before["reason"] == "Minta transfer" and dismissed.actor_id == admin.id


def test_the_export_holds_the_users_own_messages(api, buyer, shop_and_listing):
    seller, _ = shop_and_listing
    conversation = _start(api, buyer, seller.shop_id, text="Pesan saya").json["id"]
    api.post(f"/api/v1/conversations/{conversation}/messages", as_=seller, json={"text": "Jawaban toko"})
    [mine] = api.get("/api/v1/me/export", as_=buyer).json["conversations"]
    assert mine["id"] == conversation and [m["text"] for m in mine["messages"]] == ["Pesan saya"]
    [theirs] = api.get("/api/v1/me/export", as_=seller).json["conversations"]
    assert [m["text"] for m in theirs["messages"]] == ["Jawaban toko"]
