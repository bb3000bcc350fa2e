"""The chat pages as people use them, without script (plain form POSTs) and with the polling endpoint the
script reads: "Tanya penjual", bubbles, unread badge, offers bought from the chat; text shown safely."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from marketplace.messaging.models import Conversation
from tests.unit.listings.helpers import image_bytes
from tests.unit.vouchers.test_pages import well_formed


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _page(client, path: str, status: int = 200) -> str:
    resp = client.get(path)
    assert resp.status_code == status, (path, resp.status_code)
    return resp.get_data(as_text=True)


@pytest.fixture
def shop(market):
    seller = market.seller()
    return seller, market.approved_listing(seller)


def _ask(client, auth, buyer, shop_id, listing_id, text):
    auth.login(buyer.email, buyer.password)
    path = f"/shops/{shop_id}/ask?listing_id={listing_id}"
    resp = client.post(path, data={"csrf_token": _token(_page(client, path)), "text": text})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    return int(re.search(r"/messages/(\d+)", resp.headers["Location"]).group(1))


def test_a_buyer_asks_from_the_listing_page_and_the_artisan_answers_in_the_chat(client, auth, api, shop, db_session):
    seller, listing = shop
    buyer = api.make_user("buyer")
    page = _page(client, f"/listings/{listing['id']}")
    assert "Tanya penjual" in page and f"/shops/{seller.shop_id}/ask?listing_id={listing['id']}" in page
    assert client.get(f"/shops/{seller.shop_id}/ask").status_code == 302  # visitors log in first
    text = 'Ukuran XL ada? <script>alert(1)</script> lihat https://contoh.id/foto dan javascript:alert(2)'
    conversation_id = _ask(client, auth, buyer, seller.shop_id, listing["id"], text)
    chat = well_formed(_page(client, f"/messages/{conversation_id}"))
    assert 'lang="id"' in chat and "Tulis pesan" in chat and 'class="bubble mine"' in chat
    assert "<script>alert(1)" not in chat and "&lt;script&gt;alert(1)&lt;/script&gt;" in chat
    assert '<a href="https://contoh.id/foto" rel="nofollow ugc noopener"' in chat
    assert 'href="javascript:' not in chat
    auth.logout()

    auth.login(seller.email, seller.password)
    header = _page(client, "/")
    assert re.search(r'class="messages-link[^"]*"[^>]*>(<svg[^>]*>.*?</svg>)?<span>Pesan</span> <span class="cart-count">1</span>',
                     header)
    inbox = well_formed(_page(client, "/messages"))
    assert buyer.email.split("@")[0] in inbox or "Buyer" in inbox or f"/messages/{conversation_id}" in inbox
    chat = _page(client, f"/messages/{conversation_id}")
    assert 'class="bubble theirs"' in chat and "Kirim penawaran khusus" in chat
    polled = client.get(f"/messages/{conversation_id}/poll?after=0").get_json()
    assert len(polled["items"]) == 1 and "&lt;script&gt;" in polled["items"][0]["html"]
    assert "1</span>" in _page(client, "/")  # reading (GET) writes nothing: still unread
    token = _token(chat)
    assert client.post(f"/messages/{conversation_id}/read", data={"csrf_token": token}).status_code == 204
    assert 'class="cart-count"' not in _page(client, "/").split("messages-link")[1].split("</a>")[0]

    resp = client.post(f"/messages/{conversation_id}", data={"csrf_token": token, "text": "Ada, kak. Warna apa?"})
    assert resp.status_code == 302
    polled = client.get(f"/messages/{conversation_id}/poll?after={polled['last_id']}").get_json()
    assert len(polled["items"]) == 1 and "Warna apa?" in polled["items"][0]["html"]
    assert client.get(f"/messages/{conversation_id}/poll?after=abc").status_code == 400


def test_photos_in_a_message_at_most_three(client, auth, api, shop):
    seller, listing = shop
    buyer = api.make_user("buyer")
    conversation_id = _ask(client, auth, buyer, seller.shop_id, listing["id"], "Halo")
    token = _token(_page(client, f"/messages/{conversation_id}"))

    def photos(n):
        return [(io.BytesIO(image_bytes()), f"p{i}.jpg") for i in range(n)]

    too_many = client.post(f"/messages/{conversation_id}", content_type="multipart/form-data",
                           data={"csrf_token": token, "text": "", "photos": photos(4)})
    assert too_many.status_code == 422 and "Paling banyak 3 foto" in too_many.get_data(as_text=True)
    ok = client.post(f"/messages/{conversation_id}", content_type="multipart/form-data",
                     data={"csrf_token": token, "text": "", "photos": photos(2)})
    assert ok.status_code == 302
    chat = _page(client, f"/messages/{conversation_id}")
    assert chat.count('<div class="chat-photos">') == 1 and chat.count("-t400.") == 2  # the 400 px thumbnails


def test_the_artisan_offers_in_the_chat_and_the_buyer_buys_it_from_there(client, auth, api, shop):
    seller, listing = shop
    buyer = api.make_user("buyer")
    conversation_id = _ask(client, auth, buyer, seller.shop_id, listing["id"], "Bisa dibuat hijau?")
    auth.logout()
    auth.login(seller.email, seller.password)
    token = _token(_page(client, f"/messages/{conversation_id}"))
    bad = client.post(f"/messages/{conversation_id}/offers", data={
        "csrf_token": token, "title": "Kemeja hijau", "price_idr": "-5000", "quantity": "1", "processing_days": "7"})
    assert bad.status_code in (400, 422) and "has-error" in bad.get_data(as_text=True)
    resp = client.post(f"/messages/{conversation_id}/offers", content_type="multipart/form-data", data={
        "csrf_token": token, "title": "Kemeja hijau", "description": "", "price_idr": "250.000", "quantity": "1",
        "processing_days": "7", "weight_grams": "", "photo": (io.BytesIO(image_bytes()), "kemeja.jpg")})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    auth.logout()
    auth.login(buyer.email, buyer.password)
    chat = well_formed(_page(client, f"/messages/{conversation_id}"))
    assert "Penawaran khusus" in chat and "Kemeja hijau" in chat and "Beli penawaran ini" in chat
    offer_page = re.search(r'<a href="(/listings/\d+)">Kemeja hijau</a>', chat).group(1)
    page = well_formed(_page(client, offer_page))  # the buyer it was made for sees what they are offered
    assert "Penawaran khusus dari" in page
    assert f'href="/messages/{conversation_id}"' in page and "250.000" in page
    auth.logout()
    assert client.get(offer_page).status_code == 404  # nobody else does: visitors, other buyers
    other = api.make_user("buyer")
    auth.login(other.email, other.password)
    assert client.get(offer_page).status_code == 404
    auth.logout()
    auth.login(buyer.email, buyer.password)
    chat = _page(client, f"/messages/{conversation_id}")
    accept = re.search(r'action="(/offers/\d+/accept)"', chat).group(1)
    resp = client.post(accept, data={"csrf_token": _token(chat)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/cart")
    assert "Kemeja hijau" in _page(client, "/cart")


def test_strangers_get_404_and_admins_read_only_reported_conversations(client, auth, api, market, shop, db_session):
    seller, listing = shop
    buyer = api.make_user("buyer")
    conversation_id = _ask(client, auth, buyer, seller.shop_id, listing["id"], "Halo")
    auth.logout()
    stranger = api.make_user("buyer")
    auth.login(stranger.email, stranger.password)
    for path in (f"/messages/{conversation_id}", f"/messages/{conversation_id}/poll?after=0"):
        assert client.get(path).status_code == 404
    auth.logout()
    admin = market.admin
    auth.login(admin.email, admin.password)
    page = well_formed(_page(client, "/admin/conversations"))
    assert "Tidak ada percakapan yang dilaporkan" in page
    assert client.get(f"/messages/{conversation_id}").status_code == 404
    resp = client.post(f"/admin/conversations/{conversation_id}", data={"csrf_token": _token(page)})
    assert resp.status_code == 404
    db_session.rollback()
    assert db_session.scalar(select(Conversation.reported_at)) is None


def test_closing_an_account_erases_the_messages_it_wrote_and_their_photos(client, auth, api, shop):
    seller, listing = shop
    buyer = api.make_user("buyer")
    conversation_id = _ask(client, auth, buyer, seller.shop_id, listing["id"], "Alamat saya Jl. Melati 5, Serpong")
    token = _token(_page(client, f"/messages/{conversation_id}"))
    sent = client.post(f"/messages/{conversation_id}", content_type="multipart/form-data",
                       data={"csrf_token": token, "text": "", "photos": [(io.BytesIO(image_bytes()), "ktp.jpg")]})
    assert sent.status_code == 302
    photo_urls = re.findall(r'<img src="([^"]+-t400\.[a-z]+)"', _page(client, f"/messages/{conversation_id}"))
    assert len(photo_urls) == 1 and _status(client, photo_urls[0]) == 200
    auth.logout()
    auth.login(seller.email, seller.password)
    reply = client.post(f"/messages/{conversation_id}",
                        data={"csrf_token": _token(_page(client, f"/messages/{conversation_id}")),
                              "text": "Siap, kami kirim ke sana."})
    assert reply.status_code == 302

    assert api.delete("/api/v1/me", as_=buyer, json={"password": buyer.password}).status_code == 200
    chat = _page(client, f"/messages/{conversation_id}")
    assert "Melati" not in chat and "-t400." not in chat
    assert chat.count("Pesan ini telah dihapus") == 2 and "Siap, kami kirim ke sana." in chat
    assert _status(client, photo_urls[0]) == 404  # the file itself is gone too


def _status(client, path: str) -> int:
    with client.get(path) as resp:
        return resp.status_code
