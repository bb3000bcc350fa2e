"""The dispute pages as people use them, in Indonesian and well-formed: the buyer opens one from the order
page with a photo and sees its state there and on the order's timeline; the artisan finds it among their
orders, answers and refunds part; an admin decides another from the queue."""

from __future__ import annotations

import io
import re

from tests.unit.listings.helpers import image_bytes
from tests.unit.reviews.helpers import buy
from tests.unit.vouchers.test_pages import well_formed


def _token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_the_buyer_opens_a_dispute_with_a_photo_and_the_artisan_answers_and_refunds(client, auth, api, app, market):
    bought = buy(api, app, market)
    order_path = f"/orders/{bought.order['id']}"
    auth.login(bought.buyer.email, bought.buyer.password)
    path = f"/orders/{bought.order['id']}/parts/{bought.part_id}/dispute"
    order_page = client.get(order_path).get_data(as_text=True)
    assert "Laporkan masalah dengan paket ini" in order_page and path in order_page
    form_page = well_formed(client.get(path).get_data(as_text=True))
    assert "Apa masalahnya?" in form_page and 'type="file"' in form_page
    token = _token(client, path)
    missing = client.post(path, data={"csrf_token": token, "text": "Pecah"})
    assert missing.status_code == 422 and "Pilih apa masalahnya." in missing.get_data(as_text=True)
    resp = client.post(path, data={"csrf_token": token, "reason": "damaged", "text": "Piringnya retak di sisi kiri.",
                                   "photos": (io.BytesIO(image_bytes()), "retak.jpg", "image/jpeg")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302 and "/disputes/" in resp.headers["Location"]
    dispute_path = resp.headers["Location"]
    shown = well_formed(client.get(dispute_path).get_data(as_text=True))
    assert "Komplain terbuka" in shown and "Barang tiba dalam keadaan rusak" in shown and "/media/disputes/" in shown
    again = client.get(order_path).get_data(as_text=True)
    assert "Komplain terbuka" in again and "Komplain diajukan" in again  # the part and the timeline
    assert client.get(path).status_code == 302  # the form leads to the open dispute
    escalate = dispute_path + "/escalate"
    assert client.post(escalate, data={"csrf_token": _token(client, dispute_path)}).status_code == 302
    assert "Admin diminta memutuskan" in client.get(dispute_path).get_data(as_text=True)
    auth.logout()

    auth.login(bought.seller.email, bought.seller.password)
    assert dispute_path in client.get("/seller/orders").get_data(as_text=True)
    assert dispute_path in client.get("/seller/disputes").get_data(as_text=True)
    page = well_formed(client.get(dispute_path).get_data(as_text=True))
    assert "Kirim jawaban" in page and "Kembalikan dana pembeli" in page
    respond = dispute_path.replace("/disputes/", "/seller/disputes/") + "/respond"
    assert client.post(respond, data={"csrf_token": _token(client, dispute_path), "text": ""}).status_code == 422
    resp = client.post(respond, data={"csrf_token": _token(client, dispute_path), "text": "Maaf, kami ganti."})
    assert resp.status_code == 302
    refund = dispute_path.replace("/disputes/", "/seller/disputes/") + "/refund"
    too_much = client.post(refund, data={"csrf_token": _token(client, dispute_path), "amount_idr": "999999999"})
    assert too_much.status_code == 409 and "melebihi" in too_much.get_data(as_text=True)
    resp = client.post(refund, data={"csrf_token": _token(client, dispute_path), "amount_idr": "20000"})
    assert resp.status_code == 302
    done = well_formed(client.get(dispute_path).get_data(as_text=True))
    assert "Komplain selesai: dana dikembalikan" in done and "Maaf, kami ganti." in done
    auth.logout()

    stranger = api.make_user("buyer")
    auth.login(stranger.email, stranger.password)
    assert client.get(dispute_path).status_code == 404


def test_an_admin_rejects_from_the_queue(client, auth, api, app, market):
    bought = buy(api, app, market)
    dispute_id = api.post(f"/api/v1/seller-orders/{bought.part_id}/disputes", as_=bought.buyer,
                          json={"reason": "not_as_described", "text": "Warnanya berbeda dari foto."}).json["id"]
    admin = market.admin
    auth.login(admin.email, admin.password)
    queue = well_formed(client.get("/admin/disputes").get_data(as_text=True))
    assert f"/disputes/{dispute_id}" in queue and "Barang tidak sesuai deskripsi" in queue
    path = f"/disputes/{dispute_id}"
    decide = f"/admin/disputes/{dispute_id}/resolve"
    assert client.post(decide, data={"csrf_token": _token(client, path), "outcome": "reject"}).status_code == 422
    resp = client.post(decide, data={"csrf_token": _token(client, path), "outcome": "reject",
                                     "note": "Warna sesuai foto toko."})
    assert resp.status_code == 302
    assert "Komplain selesai: ditolak" in client.get(path).get_data(as_text=True)
    assert f"/disputes/{dispute_id}" not in client.get("/admin/disputes").get_data(as_text=True)
    assert f"/disputes/{dispute_id}" in client.get("/admin/disputes?status=resolved").get_data(as_text=True)
