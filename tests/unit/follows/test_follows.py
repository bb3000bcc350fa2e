"""Favourites and follows: the API (idempotent PUT/DELETE, lists), the heart and follow button on the
pages without JavaScript (a visitor is sent to log in and comes back), a followed shop's new product in
the follower's "Toko yang diikuti" page, and at most one digest e-mail a day with an unsubscribe link."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from marketplace.db import transaction
from marketplace.follows import services
from marketplace.follows.models import FollowUpdate
from marketplace.notifications.models import Notification
from tests.unit.vouchers.test_pages import well_formed

EVENING = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)  # 19.00 WIB


def _token(client, path: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_hearts_and_follows_through_the_api_are_idempotent(api, market):
    seller = market.seller()
    listing = market.approved_listing(seller)
    pending = market.listing(seller)
    buyer = api.make_user("buyer")
    for _ in range(2):
        assert api.put(f"/api/v1/me/favourites/{listing['id']}", as_=buyer).status_code == 204
    assert [i["id"] for i in api.get("/api/v1/me/favourites", as_=buyer).json["items"]] == [listing["id"]]
    assert api.put(f"/api/v1/me/favourites/{pending['id']}", as_=buyer).status_code == 404
    assert api.put("/api/v1/me/favourites/999999", as_=buyer).status_code == 404
    for _ in range(2):
        assert api.delete(f"/api/v1/me/favourites/{listing['id']}", as_=buyer).status_code == 204
    assert api.get("/api/v1/me/favourites", as_=buyer).json["items"] == []

    shop_id = listing["shop_id"]
    for _ in range(2):
        assert api.put(f"/api/v1/me/following/{shop_id}", as_=buyer).status_code == 204
    assert [s["id"] for s in api.get("/api/v1/me/following", as_=buyer).json["items"]] == [shop_id]
    own = api.put(f"/api/v1/me/following/{shop_id}", as_=seller)
    assert own.status_code == 422 and own.json["error"]["code"] == "own_shop"
    assert api.put("/api/v1/me/following/999999", as_=buyer).status_code == 404
    assert api.delete(f"/api/v1/me/following/{shop_id}", as_=buyer).status_code == 204
    assert api.get("/api/v1/me/following", as_=buyer).json["items"] == []


def test_a_visitor_is_asked_to_log_in_and_the_heart_works_as_a_plain_form(client, auth, api, market):
    listing = market.approved_listing(market.seller())
    path = f"/listings/{listing['id']}"
    page = client.get(path).get_data(as_text=True)
    assert f'/login?next={path}' in page.replace("%2F", "/") and "Masuk untuk menyimpan ke favorit" in page
    buyer = api.make_user("buyer")
    resp = auth.login(buyer.email, buyer.password)
    page = well_formed(client.get(path).get_data(as_text=True))
    assert 'aria-pressed="false"' in page
    resp = client.post(f"/favourites/{listing['id']}", data={"csrf_token": _token(client, path), "next": path})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(path)
    assert 'aria-pressed="true"' in client.get(path).get_data(as_text=True)
    mine = well_formed(client.get("/favorit").get_data(as_text=True))
    assert "Favorit saya" in mine and listing["title"] in mine
    home = client.get("/").get_data(as_text=True)
    assert "♥ Favorit" in home  # the card's heart is filled too
    client.post(f"/favourites/{listing['id']}", data={"csrf_token": _token(client, path), "next": path,
                                                      "action": "remove"})
    assert listing["title"] not in client.get("/favorit").get_data(as_text=True)


def test_a_followed_shop_s_new_product_reaches_the_follower_in_app_and_in_one_digest_a_day(
        client, auth, api, app, market, settings):
    seller = market.seller()
    first = market.approved_listing(seller)
    shop = api.get(f"/api/v1/shops/{first['shop_id']}").json
    buyer = api.make_user("buyer")
    auth.login(buyer.email, buyer.password)
    shop_path = f"/shops/{shop['slug']}"
    assert "Ikuti toko ini" in client.get(shop_path).get_data(as_text=True)
    client.post(f"/following/{shop['id']}", data={"csrf_token": _token(client, shop_path), "next": shop_path})
    assert "Mengikuti" in client.get(shop_path).get_data(as_text=True)

    new = market.approved_listing(seller, title="Selendang tenun baru")
    later = market.approved_listing(seller, title="Sarung tenun baru")
    with transaction(app.extensions["db"].session_factory) as session:  # what the worker does on listing.approved
        for listing_id in (new["id"], later["id"], new["id"]):
            services.announce_listing(session, listing_id, now=EVENING - timedelta(hours=2))
    page = well_formed(client.get("/toko-diikuti").get_data(as_text=True))
    assert "Selendang tenun baru" in page and "Sarung tenun baru" in page and shop["name"] in page

    factory = app.extensions["db"].session_factory
    assert services.send_digests(factory, settings, EVENING - timedelta(hours=3)) == 0  # 16.00 WIB: not yet
    assert services.send_digests(factory, settings, EVENING) == 1
    assert services.send_digests(factory, settings, EVENING + timedelta(minutes=5)) == 0
    with transaction(factory) as session:  # another new product the same evening waits for tomorrow
        third = market.approved_listing(seller, title="Tas tenun baru")
        services.announce_listing(session, third["id"], now=EVENING + timedelta(hours=1))
    assert services.send_digests(factory, settings, EVENING + timedelta(hours=2)) == 0
    with factory() as session:
        digests = session.scalars(select(Notification).where(Notification.kind == "follow_digest")).all()
        assert len(digests) == 1 and digests[0].recipient_id == buyer.id
        assert "Selendang tenun baru" in digests[0].body_text and "Sarung tenun baru" in digests[0].body_text
        assert digests[0].unsubscribe_url and digests[0].unsubscribe_url.endswith("/account/notifications")
    assert services.send_digests(factory, settings, EVENING + timedelta(days=1)) == 1  # the next evening
    with factory() as session:
        assert session.scalar(select(FollowUpdate).where(FollowUpdate.digested_at.is_(None))) is None
