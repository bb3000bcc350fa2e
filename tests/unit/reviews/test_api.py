"""Reviews through the JSON API: who may review what and when, photos, the one reply, reports and hides,
and the figures a listing and shop show."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from marketplace.audit.models import AdminAction
from marketplace.db import utcnow
from tests.unit.listings.helpers import image_bytes, upload
from tests.unit.reviews.helpers import buy, delivered_at, review


def test_the_buyer_reviews_a_delivered_item_and_the_listing_and_shop_show_it(api, app, market):
    bought = buy(api, app, market)
    resp = review(api, bought, 4)
    assert resp.status_code == 201, resp.json
    assert resp.json["rating"] == 4 and resp.json["reply"] is None
    assert resp.json["buyer_name"] and "@" not in resp.json["buyer_name"]
    shown = api.get(f"/api/v1/listings/{bought.listing['id']}/reviews").json
    assert (shown["average_rating"], shown["count"], shown["distribution"]["4"]) == (4.0, 1, 1)
    assert [r["text"] for r in shown["items"]] == ["Rapi sekali, warnanya cantik."]
    shop = api.get(f"/api/v1/shops/{bought.listing['shop_id']}/reviews").json
    assert (shop["average_rating"], shop["count"]) == (4.0, 1)
    assert api.get(f"/api/v1/listings/{bought.listing['id']}").json["rating"] == {"average": 4.0, "count": 1}
    assert api.get(f"/api/v1/shops/{bought.listing['shop_id']}").json["rating"] == {"average": 4.0, "count": 1}
    events = market.events("review.posted")
    assert events[-1]["key"] == str(bought.listing["id"]) and events[-1]["data"]["rating"] == 4


def test_someone_else_an_artisan_and_an_unknown_item_get_403_not_a_verified_buyer(api, app, market):
    bought = buy(api, app, market)
    body = {"order_item_id": bought.item_id, "rating": 5, "text": "Bagus"}
    for caller in (api.make_user("buyer"), bought.seller):
        resp = api.post(f"/api/v1/listings/{bought.listing['id']}/reviews", as_=caller, json=body)
        assert resp.status_code == 403 and resp.json["error"]["code"] == "not_a_verified_buyer"
    resp = api.post(f"/api/v1/listings/{bought.listing['id']}/reviews", as_=bought.buyer,
                    json={**body, "order_item_id": 999_999})
    assert resp.status_code == 403 and resp.json["error"]["code"] == "not_a_verified_buyer"
    other = market.approved_listing(bought.seller)
    resp = api.post(f"/api/v1/listings/{other['id']}/reviews", as_=bought.buyer, json=body)
    assert resp.status_code == 403  # the item was not bought as that listing
    assert api.get(f"/api/v1/listings/{bought.listing['id']}/reviews").json["count"] == 0


def test_before_delivery_and_after_the_window_are_422_and_twice_is_409(api, app, market, settings):
    shipped_only = buy(api, app, market, deliver=False)
    resp = review(api, shipped_only)
    assert resp.status_code == 422 and resp.json["error"]["code"] == "not_delivered"
    bought = buy(api, app, market)
    delivered_at(app, bought.part_id, utcnow() - timedelta(days=settings.review_window_days, hours=1))
    resp = review(api, bought)
    assert resp.status_code == 422 and resp.json["error"]["code"] == "review_window_closed"
    delivered_at(app, bought.part_id, utcnow() - timedelta(days=settings.review_window_days - 1))
    assert review(api, bought).status_code == 201
    again = review(api, bought, 1)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_reviewed"
    assert api.get(f"/api/v1/listings/{bought.listing['id']}/reviews").json["average_rating"] == 5.0


def test_bad_ratings_and_text_are_422(api, app, market):
    bought = buy(api, app, market)
    for rating in (0, 6, "lima", None, 4.5):
        resp = review(api, bought, rating)
        assert resp.status_code == 422 and "rating" in resp.json["error"]["fields"], rating
    assert review(api, bought, 5, "x" * 2001).status_code == 422
    assert review(api, bought, 5, "bagus\x1b[31m").status_code == 422
    assert api.get(f"/api/v1/listings/{bought.listing['id']}/reviews").json["count"] == 0


def test_up_to_five_photos_by_the_author_only(api, app, market):
    bought = buy(api, app, market)
    review_id = review(api, bought).json["id"]
    path = f"/api/v1/reviews/{review_id}/photos"
    other = api.make_user("buyer")
    assert api.post(path, as_=other, data=upload(image_bytes()), content_type="multipart/form-data").status_code == 404
    for _ in range(5):
        resp = api.post(path, as_=bought.buyer, data=upload(image_bytes()), content_type="multipart/form-data")
        assert resp.status_code == 201, resp.json
        assert resp.json["url"] and resp.json["thumb_url"]
    sixth = api.post(path, as_=bought.buyer, data=upload(image_bytes()), content_type="multipart/form-data")
    assert sixth.status_code == 409 and sixth.json["error"]["code"] == "too_many_photos"
    bad = api.post(path, as_=bought.buyer, data=upload(b"not an image"), content_type="multipart/form-data")
    assert 400 <= bad.status_code < 500
    shown = api.get(f"/api/v1/listings/{bought.listing['id']}/reviews").json["items"][0]
    assert len(shown["photos"]) == 5


def test_the_shop_replies_once_and_only_its_own_artisan(api, app, market):
    bought = buy(api, app, market)
    review_id = review(api, bought).json["id"]
    path = f"/api/v1/reviews/{review_id}/reply"
    assert api.post(path, as_=market.seller(kelurahan="Pamulang Barat"), json={"text": "Terima kasih"}).status_code == 404
    assert api.post(path, as_=bought.seller, json={"text": ""}).status_code == 422
    resp = api.post(path, as_=bought.seller, json={"text": "Terima kasih, Kak!"})
    assert resp.status_code == 201 and resp.json["reply"]["text"] == "Terima kasih, Kak!"
    again = api.post(path, as_=bought.seller, json={"text": "Lagi"})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_replied"
    shown = api.get(f"/api/v1/listings/{bought.listing['id']}/reviews").json["items"][0]
    assert shown["reply"]["text"] == "Terima kasih, Kak!"
    assert market.events("review.replied")[-1]["data"]["review_id"] == review_id


def test_reports_reach_the_queue_and_an_admin_hides_with_a_reason(api, app, market, db_session):
    first = buy(api, app, market)
    second = buy(api, app, market, seller=first.seller, listing=first.listing)
    review_id = review(api, first, 1, "Jelek").json["id"]
    review(api, second, 5)
    reporter = api.make_user("buyer")
    path = f"/api/v1/reviews/{review_id}/reports"
    assert api.post(path, as_=reporter, json={"reason": "x"}).status_code == 422
    assert api.post(path, as_=reporter, json={"reason": "Kata-kata kasar"}).status_code == 201
    assert api.post(path, as_=reporter, json={"reason": "Lagi"}).status_code == 409
    queue = api.get("/api/v1/admin/reviews/reported", as_=market.admin).json["items"]
    assert [(q["review"]["id"], q["reasons"]) for q in queue] == [(review_id, ["Kata-kata kasar"])]

    hide = f"/api/v1/admin/reviews/{review_id}/hide"
    assert api.post(hide, as_=market.admin, json={}).status_code == 422
    resp = api.post(hide, as_=market.admin, json={"reason": "Bahasa kasar"})
    assert resp.status_code == 200 and resp.json == {"id": review_id, "hidden": True, "reason": "Bahasa kasar"}
    assert api.post(hide, as_=market.admin, json={"reason": "Lagi"}).status_code == 409
    shown = api.get(f"/api/v1/listings/{first.listing['id']}/reviews").json
    assert (shown["average_rating"], shown["count"], [r["rating"] for r in shown["items"]]) == (5.0, 1, [5])
    assert api.get("/api/v1/admin/reviews/reported", as_=market.admin).json["items"] == []
    assert api.post(path, as_=api.make_user("buyer"), json={"reason": "Sudah hilang"}).status_code == 404
    db_session.rollback()
    audit = db_session.scalars(select(AdminAction).where(AdminAction.action == "review.hide")).all()
    assert [(a.target_id, a.after["reason"]) for a in audit] == [(review_id, "Bahasa kasar")]
    assert market.events("review.hidden")[-1]["data"]["reason"] == "Bahasa kasar"


def test_dismissing_reports_keeps_the_review(api, app, market):
    bought = buy(api, app, market)
    review_id = review(api, bought).json["id"]
    api.post(f"/api/v1/reviews/{review_id}/reports", as_=api.make_user("buyer"), json={"reason": "Tidak sopan"})
    path = f"/api/v1/admin/reviews/{review_id}/reports/dismiss"
    assert api.post(path, as_=market.admin).json == {"dismissed": 1}
    assert api.post(path, as_=market.admin).status_code == 409
    assert api.get(f"/api/v1/listings/{bought.listing['id']}/reviews").json["count"] == 1


def test_reviews_of_a_listing_not_public_are_404_and_paging_is_checked(api, app, market):
    seller = market.seller()
    pending = market.listing(seller)
    assert api.get(f"/api/v1/listings/{pending['id']}/reviews").status_code == 404
    assert api.get("/api/v1/shops/999999/reviews").status_code == 404
    bought = buy(api, app, market)
    assert api.get(f"/api/v1/listings/{bought.listing['id']}/reviews?page=0").status_code == 422
    assert api.get(f"/api/v1/listings/{bought.listing['id']}/reviews?per_page=500").status_code == 422
