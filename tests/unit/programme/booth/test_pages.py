"""The booth sale pages on the artisan's phone: pick quantities, ring up, show the QRIS code (drawn
here), pay it on the sandbox as the buyer's app would, and the receipt. In Indonesian, well-formed;
bad quantities are a form error on the page, never a 500; another artisan sees none of it."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.orders.models import Order
from tests.unit.vouchers.test_pages import well_formed


def _token(client, path: str) -> str:
    return client.get(path).get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]


def test_the_artisan_rings_up_a_sale_shows_the_qris_code_and_the_receipt(api, client, auth, booth, make, deliver,
                                                                         db_session):
    artisan, event, item = booth(title="Tas anyaman pandan")
    auth.login(artisan.email, artisan.password)
    listed = well_formed(client.get("/seller/booth").get_data(as_text=True))
    assert "Penjualan di stan" in listed and f"/seller/booth/{event['id']}" in listed
    path = f"/seller/booth/{event['id']}"
    page = well_formed(client.get(path).get_data(as_text=True))
    assert "Catat penjualan" in page and "Tas anyaman pandan" in page and "Rp 85.000" in page
    key = f"q-{item['id']}-0"
    # nothing picked, or a quantity that is not a number: the form says so
    for value, message in (("0", "Isi jumlah untuk setidaknya satu produk."), ("dua", "Isi dengan bilangan bulat"),
                           ("9", "Stok tidak cukup.")):
        resp = client.post(path, data={"csrf_token": _token(client, path), key: value})
        assert resp.status_code == 422, value
        assert message in resp.get_data(as_text=True)
    assert db_session.scalar(select(Order.id)) is None

    resp = client.post(path, data={"csrf_token": _token(client, path), key: "2"})
    assert resp.status_code == 302
    sale_path = resp.headers["Location"]
    page = well_formed(client.get(sale_path).get_data(as_text=True))
    assert "Rp 170.000" in page and "data-refresh-after" in page and "Kami sedang menyiapkan" in page
    assert make() == 1
    page = well_formed(client.get(sale_path).get_data(as_text=True))
    assert 'src="data:image/svg+xml' in page and "data-qris" in page and "Bayar dengan QRIS" in page
    receipt_path = sale_path + "/receipt"
    assert client.get(receipt_path).headers["Location"].endswith(sale_path)  # not paid yet
    resp = client.post(sale_path + "/sandbox-pay", data={"csrf_token": _token(client, sale_path)})
    assert resp.status_code == 302
    assert deliver() == 1
    resp = client.get(sale_path)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(receipt_path)
    receipt = well_formed(client.get(receipt_path).get_data(as_text=True))
    order_id = sale_path.rsplit("/", 1)[1]
    for shown in ("Struk", f"#{order_id}", "Tas anyaman pandan", "Rp 170.000", event["title"], "Dibayar", "WIB"):
        assert shown in receipt, shown
    english = client.get("/en" + receipt_path).get_data(as_text=True)
    assert "Receipt" in english and "Order number" in english and "Struk" not in english


def test_another_artisan_sees_none_of_it_and_a_shop_not_taking_part_is_refused(api, client, auth, booth, market):
    artisan, event, item = booth()
    order = api.post("/api/v1/seller/booth-orders", as_=artisan,
                     json={"event_id": event["id"], "items": [{"listing_id": item["id"], "quantity": 1}]}).json
    other = market.seller()
    auth.login(other.email, other.password)
    assert client.get(f"/seller/booth/sales/{order['id']}").status_code == 404
    assert client.get(f"/seller/booth/sales/{order['id']}/receipt").status_code == 404
    assert client.get(f"/seller/booth/{event['id']}").status_code == 403
    listed = well_formed(client.get("/seller/booth").get_data(as_text=True))
    assert "Toko Anda belum ikut festival atau pasar" in listed
