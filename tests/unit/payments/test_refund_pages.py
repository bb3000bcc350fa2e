"""The admins' order search with its refund button, as an admin uses it."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.payments.models import Refund
from tests.unit.orders.test_fulfilment_api import _order


def test_admin_refunds_one_part_from_the_order_search(client, auth, api, app, db_session, market):
    paid, _, buyer, _ = _order(api, app, market)
    unpaid, _, _, _ = _order(api, app, market, paid=False)
    part_id = paid["seller_orders"][0]["id"]
    admin = market.admin
    auth.login(admin.email, admin.password)
    page = client.get("/admin/orders").get_data(as_text=True)
    assert f'action="/admin/orders/{paid["id"]}/refund"' in page  # a paid order can be refunded...
    assert f'action="/admin/orders/{unpaid["id"]}/refund"' not in page  # ...an unpaid one cannot
    assert "Kembalikan dana" in page and "Seluruh pesanan" in page

    token = auth.csrf_token("/admin/orders")
    bad = client.post(f"/admin/orders/{paid['id']}/refund", data={"csrf_token": token, "reason": "x"})
    assert bad.status_code == 422 and "Tulis alasan 3 sampai 500 karakter." in bad.get_data(as_text=True)
    assert client.post(f"/admin/orders/{paid['id']}/refund", data={"reason": "Rusak"}).status_code == 400  # no CSRF

    resp = client.post(f"/admin/orders/{paid['id']}/refund",
                       data={"csrf_token": token, "seller_order_id": str(part_id), "reason": "Barang rusak"})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Pengembalian dana diajukan" in page and "Pengembalian dana diproses" in page
    [refund] = db_session.scalars(select(Refund)).all()
    assert (refund.order_id, refund.seller_order_id, refund.requested_by) == (paid["id"], part_id, admin.id)

    again = client.post(f"/admin/orders/{paid['id']}/refund",
                        data={"csrf_token": token, "seller_order_id": str(part_id), "reason": "Lagi"})
    assert again.status_code == 409 and "Bagian pesanan ini sudah dikembalikan dananya." in again.get_data(as_text=True)


def test_only_admins_may_refund_by_page(client, auth, api, app, market):
    paid, _, buyer, _ = _order(api, app, market)
    assert client.post(f"/admin/orders/{paid['id']}/refund", data={"reason": "Rusak"}).status_code in (302, 400)
    auth.login(buyer.email, buyer.password)
    token = auth.csrf_token("/")
    resp = client.post(f"/admin/orders/{paid['id']}/refund", data={"csrf_token": token, "reason": "Rusak"})
    assert resp.status_code == 403
