"""Per-user limits on new conversations and messages: counted per account (not per token or page), shared
by the API and the pages, 429 past the limit, and one user's flood does not stop another."""

from __future__ import annotations

import pytest


@pytest.fixture
def settings(settings):
    return settings.with_overrides(conversation_rate_limit="2 per hour", message_rate_limit="3 per hour")


def test_new_conversations_and_messages_are_limited_per_user(api, market):
    sellers = [market.seller(kelurahan=f"Kelurahan {i}") for i in range(3)]
    buyer, other = api.make_user("buyer"), api.make_user("buyer")
    first = api.post("/api/v1/conversations", as_=buyer, json={"shop_id": sellers[0].shop_id, "text": "1"})
    assert first.status_code == 201
    assert api.post("/api/v1/conversations", as_=buyer, json={"shop_id": sellers[1].shop_id}).status_code == 201
    third = api.post("/api/v1/conversations", as_=buyer, json={"shop_id": sellers[2].shop_id, "text": "3"})
    assert third.status_code == 429 and third.json["error"]["code"]
    assert api.post("/api/v1/conversations", as_=other, json={"shop_id": sellers[2].shop_id}).status_code == 201

    path = f"/api/v1/conversations/{first.json['id']}/messages"
    statuses = [api.post(path, as_=buyer, json={"text": f"pesan {i}"}).status_code for i in range(4)]
    assert statuses == [201, 201, 201, 429]
    # a second token of the same account shares the counter
    token = api.post("/api/v1/auth/token", json={"email": buyer.email, "password": buyer.password}).json["access_token"]
    resp = api.client.post(path, json={"text": "lagi"}, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 429
