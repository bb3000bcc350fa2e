"""The review pages as people use them: the order page invites the buyer, who rates with a photo on the
review page; the listing and shop pages show the figures, stars and the review; the artisan replies from
there; another user reports it and an admin hides it from the queue. In Indonesian, well-formed."""

from __future__ import annotations

import io
import re

from tests.unit.listings.helpers import image_bytes
from tests.unit.reviews.helpers import buy, review
from tests.unit.vouchers.test_pages import well_formed


def _token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_the_buyer_is_invited_on_the_order_page_and_reviews_with_a_photo(client, auth, api, app, market):
    bought = buy(api, app, market)
    auth.login(bought.buyer.email, bought.buyer.password)
    order_page = client.get(f"/orders/{bought.order['id']}").get_data(as_text=True)
    path = f"/orders/{bought.order['id']}/items/{bought.item_id}/review"
    assert "Tulis ulasan" in order_page and path in order_page
    form_page = well_formed(client.get(path).get_data(as_text=True))
    assert "Penilaian" in form_page and 'type="file"' in form_page

    token = _token(client, path)
    missing = client.post(path, data={"csrf_token": token, "text": "Tanpa bintang"})
    assert missing.status_code == 422 and "Pilih 1 sampai 5 bintang." in missing.get_data(as_text=True)
    bad_photo = client.post(path, data={"csrf_token": token, "rating": "5", "text": "Bagus",
                                        "photos": (io.BytesIO(b"bukan foto"), "x.jpg", "image/jpeg")},
                            content_type="multipart/form-data")
    assert 400 <= bad_photo.status_code < 500
    assert api.get(f"/api/v1/listings/{bought.listing['id']}/reviews").json["count"] == 0  # nothing kept

    resp = client.post(path, data={"csrf_token": token, "rating": "4", "text": "Jahitannya rapi",
                                   "photos": (io.BytesIO(image_bytes()), "kain.jpg", "image/jpeg")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302 and f"/listings/{bought.listing['id']}#review-" in resp.headers["Location"]
    listing_page = well_formed(client.get(f"/listings/{bought.listing['id']}").get_data(as_text=True))
    assert "4,0 dari 5 bintang" in listing_page and "1 ulasan" in listing_page
    assert "Jahitannya rapi" in listing_page and "/media/reviews/" in listing_page
    again = client.get(f"/orders/{bought.order['id']}").get_data(as_text=True)
    assert "Ulasan Anda: 4 dari 5 bintang" in again and "Tulis ulasan" not in again
    assert "Anda sudah mengulas barang ini." in client.get(path).get_data(as_text=True)


def test_no_invitation_before_delivery_and_someone_elses_order_is_404(client, auth, api, app, market):
    bought = buy(api, app, market, deliver=False)
    auth.login(bought.buyer.email, bought.buyer.password)
    assert "Tulis ulasan" not in client.get(f"/orders/{bought.order['id']}").get_data(as_text=True)
    path = f"/orders/{bought.order['id']}/items/{bought.item_id}/review"
    assert "setelah paketnya diterima" in client.get(path).get_data(as_text=True)
    resp = client.post(path, data={"csrf_token": _token(client, path), "rating": "5"})
    assert resp.status_code == 422
    auth.logout()
    other = api.make_user("buyer")
    auth.login(other.email, other.password)
    assert client.get(path).status_code == 404


def test_the_artisan_replies_on_the_listing_page_and_the_shop_page_shows_it_in_english_too(client, auth, api, app,
                                                                                             market):
    bought = buy(api, app, market)
    review_id = review(api, bought, 5, "Cantik sekali").json["id"]
    auth.login(bought.seller.email, bought.seller.password)
    listing_path = f"/listings/{bought.listing['id']}"
    page = client.get(listing_path).get_data(as_text=True)
    assert f'id="reply-{review_id}"' in page
    resp = client.post(f"/reviews/{review_id}/reply", data={"csrf_token": _token(client, listing_path),
                                                            "text": "Terima kasih, Kak!", "next": listing_path})
    assert resp.status_code == 302
    page = client.get(listing_path).get_data(as_text=True)
    assert "Balasan dari toko" in page and "Terima kasih, Kak!" in page and f'id="reply-{review_id}"' not in page
    shop = api.get(f"/api/v1/shops/{bought.listing['shop_id']}").json
    shop_page = well_formed(client.get(f"/shops/{shop['slug']}").get_data(as_text=True))
    assert "5,0 dari 5 bintang" in shop_page and "Cantik sekali" in shop_page
    client.get("/lang/en")
    assert "5.0 out of 5 stars" in client.get(f"/shops/{shop['slug']}", follow_redirects=True).get_data(as_text=True)


def test_a_report_reaches_the_admin_queue_and_the_admin_hides_it(client, auth, api, app, market):
    bought = buy(api, app, market)
    review_id = review(api, bought, 1, "Penjual menyebalkan").json["id"]
    reporter = api.make_user("buyer")
    auth.login(reporter.email, reporter.password)
    listing_path = f"/listings/{bought.listing['id']}"
    resp = client.post(f"/reviews/{review_id}/report", data={"csrf_token": _token(client, listing_path),
                                                             "reason": "Kata-kata kasar", "next": listing_path})
    assert resp.status_code == 302
    assert "tim kami akan memeriksa ulasan ini" in client.get(listing_path).get_data(as_text=True)
    auth.logout()
    admin = market.admin
    auth.login(admin.email, admin.password)
    queue = well_formed(client.get("/admin/reviews").get_data(as_text=True))
    assert "Penjual menyebalkan" in queue and "Kata-kata kasar" in queue
    token = _token(client, "/admin/reviews")
    assert client.post(f"/admin/reviews/{review_id}/hide", data={"csrf_token": token, "reason": ""}).status_code == 302
    assert api.get(f"/api/v1/listings/{bought.listing['id']}/reviews").json["count"] == 1  # a reason is required
    client.post(f"/admin/reviews/{review_id}/hide", data={"csrf_token": token, "reason": "Bahasa kasar"})
    assert "Tidak ada ulasan yang dilaporkan." in client.get("/admin/reviews").get_data(as_text=True)
    page = client.get(listing_path).get_data(as_text=True)
    assert "Penjual menyebalkan" not in page and "Belum ada ulasan." in page


def test_the_catalogue_sorts_by_rating_and_product_json_ld_carries_the_rating(client, api, app, market):
    seller = market.seller()
    low = market.approved_listing(seller, title="Tas anyaman pandan", stock=10)
    high = market.approved_listing(seller, title="Tas anyaman mendong", stock=10)
    plain = market.approved_listing(seller, title="Tas anyaman rotan", stock=10)
    review(api, buy(api, app, market, seller=seller, listing=low), 2)
    review(api, buy(api, app, market, seller=seller, listing=high), 5)
    review(api, buy(api, app, market, seller=seller, listing=high), 4)
    ids = [i["id"] for i in api.get("/api/v1/listings?sort=rating").json["items"]]
    assert ids.index(high["id"]) < ids.index(low["id"]) < ids.index(plain["id"])
    words = [i["id"] for i in api.get("/api/v1/listings?q=anyaman&sort=rating").json["items"]]
    assert words == [high["id"], low["id"], plain["id"]]  # a word search sorts by rating too
    assert "Penilaian terbaik" in client.get("/search").get_data(as_text=True)
    page = client.get(f"/listings/{high['id']}").get_data(as_text=True)
    assert '"aggregateRating":{"@type":"AggregateRating","ratingValue":4.5,"reviewCount":2' in page
    assert "aggregateRating" not in client.get(f"/listings/{plain['id']}").get_data(as_text=True)
