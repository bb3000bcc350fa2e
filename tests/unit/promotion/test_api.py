"""The admins' promotions: the API's list and filters, retry and its refusals, and the page with its
retry button; bad filters are a 422 that changes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.promotion.posts.models import Promotion
from tests.unit.promotion.conftest import NOW, make_listing


def seed(app: Any) -> tuple[int, dict[str, int]]:
    """A listing posted to the feed, refused by Telegram, and still queued for Pinterest."""
    factory = app.extensions["db"].write_session_factory
    with factory() as session:
        listing_id = make_listing(session)
        rows = {
            "feed": Promotion(listing_id=listing_id, channel="feed", status="posted", attempts=1,
                              url=f"https://pasar.test/listings/{listing_id}", external_id=f"listing-{listing_id}",
                              posted_at=NOW),
            "telegram": Promotion(listing_id=listing_id, channel="telegram", status="permanent", attempts=1,
                                  last_error="sendPhoto: 401 Unauthorized"),
            "pinterest": Promotion(listing_id=listing_id, channel="pinterest", status="queued", attempts=0,
                                   next_attempt_at=NOW),
        }
        session.add_all(rows.values())
        session.commit()
        return listing_id, {c: r.id for c, r in rows.items()}


def test_admins_list_promotions_by_listing_channel_and_status(api, app):
    admin = api.make_user("admin")
    listing_id, ids = seed(app)
    everything = api.get(f"/api/v1/admin/promotions?listing_id={listing_id}", as_=admin)
    assert everything.status_code == 200
    assert {i["channel"] for i in everything.json["items"]} == {"feed", "telegram", "pinterest"}
    [refused] = api.get("/api/v1/admin/promotions?channel=telegram&status=permanent", as_=admin).json["items"]
    assert {k: refused[k] for k in ("id", "listing_id", "status", "url", "attempts", "error")} == {
        "id": ids["telegram"], "listing_id": listing_id, "status": "permanent", "url": None, "attempts": 1,
        "error": "sendPhoto: 401 Unauthorized"}
    assert api.get("/api/v1/admin/promotions?status=removed", as_=admin).json["items"] == []


def test_bad_filters_are_a_422(api, app):
    admin = api.make_user("admin")
    for query in ("channel=myspace", "listing_id=0", "status=lost", "listing_id=abc"):
        answer = api.get(f"/api/v1/admin/promotions?{query}", as_=admin)
        assert answer.status_code == 422, query
        assert answer.json["error"]["code"] == "validation_error"


def test_a_refused_post_is_retried_once_and_others_are_a_409(api, app):
    admin = api.make_user("admin")
    _, ids = seed(app)
    again = api.post(f"/api/v1/admin/promotions/{ids['telegram']}/retry", as_=admin)
    assert again.status_code == 200 and (again.json["status"], again.json["attempts"]) == ("queued", 0)
    for promotion_id in (ids["telegram"], ids["feed"], ids["pinterest"]):
        refused = api.post(f"/api/v1/admin/promotions/{promotion_id}/retry", as_=admin)
        assert refused.status_code == 409 and refused.json["error"]["code"] == "not_retryable"
    assert api.post("/api/v1/admin/promotions/999999/retry", as_=admin).status_code == 404


def test_a_post_of_a_listing_no_longer_public_is_not_retried(api, app):
    admin = api.make_user("admin")
    listing_id, ids = seed(app)
    with app.extensions["db"].transaction() as session:
        from marketplace.listings.models import Listing
        session.get(Listing, listing_id).status = "withdrawn"
    refused = api.post(f"/api/v1/admin/promotions/{ids['telegram']}/retry", as_=admin)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "listing_not_public"


def test_the_admin_page_shows_each_post_its_link_and_error_and_retries_with_its_button(api, app, client, auth):
    admin = api.make_user("admin")
    listing_id, ids = seed(app)
    auth.login(admin.email, admin.password)
    page = client.get("/admin/promotions").get_data(as_text=True)
    assert "Promosi" in page and "sendPhoto: 401 Unauthorized" in page
    assert f'href="https://pasar.test/listings/{listing_id}"' in page
    assert page.count("Coba lagi") == 1  # only the refused one has a retry button
    assert 'href="/admin/promotions/figures"' in page  # the channels' visits and orders, one click away
    token = auth.csrf_token("/admin/promotions")
    answer = client.post(f"/admin/promotions/{ids['telegram']}/retry", data={"csrf_token": token})
    assert answer.status_code == 302
    assert "Unggahan dimasukkan ke antrean lagi." in client.get("/admin/promotions").get_data(as_text=True)
    with app.extensions["db"].write_session_factory() as session:
        assert session.scalar(select(Promotion.status).where(Promotion.id == ids["telegram"])) == "queued"
    filtered = client.get("/admin/promotions?channel=feed").get_data(as_text=True)
    assert "sendPhoto" not in filtered
    assert "tidak valid" in client.get("/admin/promotions?channel=myspace").get_data(as_text=True)
