"""Attribution as the marketplace reads it: a buyer who lands from an Instagram post and orders is an
Instagram order (last non-direct touch, 7 days); a later direct visit keeps that; an order after the
window is direct. Nothing personal is kept: no IP, no user agent, the referrer reduced to its host."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.promotion.attribution import services as attribution
from marketplace.promotion.attribution.models import OrderAttribution, PromotionVisit
from marketplace.promotion.attribution.views import COOKIE, _serializer
from marketplace.web import activity, deps

ADDRESS = {"recipient": "Rina Wulandari", "phone": "0812-3456-7890", "line1": "Jl. Melati No. 3",
           "city": "Makassar", "province": "sulawesi selatan", "postal_code": "90111"}
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def _buy(api, buyer, listing_id: int) -> dict:
    resp = api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing_id, "quantity": 1})
    assert resp.status_code == 200, resp.json
    resp = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS})
    assert resp.status_code == 201, resp.json
    return resp.json


def _attribution(db_session, order_id: int) -> OrderAttribution | None:
    db_session.rollback()
    row = db_session.get(OrderAttribution, order_id)
    db_session.rollback()
    return row


def _utm(listing_id: int, source: str = "instagram") -> str:
    return f"/listings/{listing_id}?utm_source={source}&utm_medium=social&utm_campaign=listing-{listing_id}"


@pytest.fixture
def shop_listing(market):
    seller = market.seller()
    return market.approved_listing(seller, stock=20)


def test_utm_visit_then_cart_and_checkout_credits_the_order_to_instagram(api, client, db_session, market,
                                                                         shop_listing):
    listing_id = shop_listing["id"]
    page = client.get(_utm(listing_id))
    assert page.status_code == 200
    assert COOKIE in page.headers.get("Set-Cookie", "")
    buyer = api.make_user("buyer")
    order = _buy(api, buyer, listing_id)
    row = _attribution(db_session, order["id"])
    assert (row.source, row.medium, row.campaign, row.listing_id) == ("instagram", "social",
                                                                       f"listing-{listing_id}", listing_id)
    # A later direct visit (bookmark, typed address) within the window keeps the last touch.
    assert client.get(f"/listings/{listing_id}").status_code == 200
    second = _buy(api, buyer, listing_id)
    assert _attribution(db_session, second["id"]).source == "instagram"
    # A click from another channel is a new last touch.
    client.get(f"/listings/{listing_id}", headers={"Referer": "https://l.facebook.com/l.php?u=secret-path"})
    third = _buy(api, buyer, listing_id)
    row = _attribution(db_session, third["id"])
    assert (row.source, row.medium, row.referrer_host) == ("facebook", "referral", "l.facebook.com")

    activity.of(api.app).flush()  # the visits its page reads noted, written behind
    admin = market.admin
    today = utcnow().date().isoformat()
    figures = api.get(f"/api/v1/admin/promotions/figures?from={today}&to={today}", as_=admin)
    assert figures.status_code == 200, figures.json
    by_channel = {r["channel"]: r for r in figures.json["items"]}
    assert by_channel["instagram"] == {"channel": "instagram", "visits": 1, "orders": 2,
                                       "gmv_idr": order["total_idr"] + second["total_idr"]}
    assert by_channel["facebook"]["orders"] == 1 and by_channel["facebook"]["visits"] == 1
    assert figures.json["window_days"] == 7


def test_a_touch_older_than_the_window_credits_nothing(app, api, client, db_session, shop_listing):
    listing_id = shop_listing["id"]
    old = attribution.Touch("instagram", "social", f"listing-{listing_id}", None, utcnow() - timedelta(days=8))
    with app.test_request_context():
        client.set_cookie(COOKIE, _serializer().dumps({"v": "a" * 32, "touch": old.as_dict()}))
    order = _buy(api, api.make_user("buyer"), listing_id)
    assert _attribution(db_session, order["id"]) is None
    recent = attribution.Touch("instagram", "social", "", None, utcnow() - timedelta(days=6))
    with app.test_request_context():
        client.set_cookie(COOKIE, _serializer().dumps({"v": "a" * 32, "touch": recent.as_dict()}))
    order = _buy(api, api.make_user("buyer"), listing_id)
    assert _attribution(db_session, order["id"]).source == "instagram"


def test_a_forged_cookie_is_ignored(api, client, db_session, shop_listing):
    client.set_cookie(COOKIE, "eyJzIjoiaW5zdGFncmFtIn0.forged.signature")
    order = _buy(api, api.make_user("buyer"), shop_listing["id"])
    assert _attribution(db_session, order["id"]) is None


def test_reloads_count_one_visit_and_pages_outside_the_storefront_none(app, client, db_session, shop_listing):
    listing_id = shop_listing["id"]
    for _ in range(3):
        client.get(_utm(listing_id, "telegram"))
    client.get(f"/api/v1/listings/{listing_id}?utm_source=pinterest")
    client.get("/feeds/listings.rss?utm_source=pinterest")
    db_session.rollback()
    assert db_session.scalars(select(PromotionVisit)).all() == []  # a page read writes nothing itself
    db_session.rollback()
    assert activity.of(app).flush() == 1  # the one visit is written behind
    visits = {(v.source, v.campaign): v.visits for v in db_session.scalars(select(PromotionVisit))}
    db_session.rollback()
    assert visits == {("telegram", f"listing-{listing_id}"): 1}


def test_page_checkout_attributes_too(api, client, auth, db_session, shop_listing):
    from tests.unit.promotion.pages import place_order_through_pages

    client.get(_utm(shop_listing["id"], "pinterest"))
    buyer = api.make_user("buyer")
    auth.login(buyer.email, buyer.password)  # logging in starts a new session: the touch survives it
    order_id = place_order_through_pages(client, auth, shop_listing["id"], ADDRESS)
    assert _attribution(db_session, order_id).source == "pinterest"


@pytest.mark.parametrize("args, referrer, expected", [
    ({"utm_source": "Instagram", "utm_medium": "Social", "utm_campaign": "listing-5"}, None,
     ("instagram", "social", "listing-5", None)),
    ({"utm_source": "news letter!"}, "https://mail.example/inbox?user=rina@example.id",
     ("news-letter", "", "", "mail.example")),
    ({}, "https://www.google.co.id/search?q=batik+rina", ("google", "referral", "", "www.google.co.id")),
    ({}, "https://t.me/s/pasar", ("telegram", "referral", "", "t.me")),
    ({}, "https://blog.example/post/1", ("blog.example", "referral", "", "blog.example")),
])
def test_touch_from_a_landing_keeps_only_the_source_and_the_referrer_host(args, referrer, expected):
    touch = attribution.touch_from_landing(args, referrer, "pasar.example", NOW)
    assert (touch.source, touch.medium, touch.campaign, touch.referrer_host) == expected
    assert "rina" not in repr(touch)


@pytest.mark.parametrize("referrer", [None, "", "https://pasar.example/search?q=x", "not a url", "http://[::1"])
def test_direct_visits_and_own_pages_make_no_touch(referrer):
    assert attribution.touch_from_landing({}, referrer, "pasar.example", NOW) is None


def test_touch_window_and_campaign_listing():
    touch = attribution.Touch("instagram", "social", "listing-42", None, NOW)
    assert touch.within(timedelta(days=7), NOW + timedelta(days=7))
    assert not touch.within(timedelta(days=7), NOW + timedelta(days=7, seconds=1))
    assert not touch.within(timedelta(days=7), NOW - timedelta(minutes=1))  # from the future
    assert touch.listing_id() == 42
    assert attribution.Touch("x", "", "listing-99999999999", None, NOW).listing_id() is None


@pytest.mark.parametrize("query", ["from=2026-12-10&to=2026-12-01", "from=1999-01-01&to=1999-02-01",
                                   "from=2024-01-01&to=2026-01-01", "to=2999-01-01", "from=yesterday",
                                   "from=2026-02-30"])
def test_absurd_periods_are_422(api, market, query):
    resp = api.get(f"/api/v1/admin/promotions/figures?{query}", as_=market.admin)
    assert resp.status_code == 422, (query, resp.json)
    assert resp.json["error"]["code"] == "validation_error"


def test_figures_page_shows_the_channels(app, client, auth, market, shop_listing):
    client.get(_utm(shop_listing["id"], "instagram"))
    activity.of(app).flush()
    auth.login(market.admin.email, market.admin.password)
    html = client.get("/admin/promotions/figures").get_data(as_text=True)
    assert 'id="channel-instagram"' in html
    assert client.get("/admin/promotions/figures?from=2026-12-10&to=2026-12-01").status_code == 422


def test_a_client_replaying_a_post_link_is_counted_only_up_to_the_limit(app, db_session, shop_listing):
    """A script that sends no cookie makes every landing a new visit: a client address adds at most
    ``VISIT_COUNT_LIMIT`` visits; its landings beyond are still served and still carry the touch, and
    another address is counted as usual."""
    from dataclasses import replace

    deps.override(app, settings=replace(deps.of(app).settings, visit_count_limit="3 per hour"))
    url = _utm(shop_listing["id"], "facebook")
    bot = app.test_client(use_cookies=False)
    for _ in range(5):
        resp = bot.get(url, environ_base={"REMOTE_ADDR": "203.0.113.7"})
        assert resp.status_code == 200 and COOKIE in resp.headers.get("Set-Cookie", "")
    other = app.test_client(use_cookies=False).get(url, environ_base={"REMOTE_ADDR": "198.51.100.2"})
    assert other.status_code == 200
    activity.of(app).flush()
    db_session.rollback()
    visits = {v.source: v.visits for v in db_session.scalars(select(PromotionVisit))}
    db_session.rollback()
    assert visits == {"facebook": 4}
