"""The seller's product table: thumbnail beside its title, stock, an edit button, units sold once sold."""

from __future__ import annotations

import re

from sqlalchemy import update

from marketplace.orders.models import SellerOrder
from tests.unit.orders.test_api import ADDRESS


def rows(html: str) -> list[str]:
    table = html.split('class="seller-listings"', 1)[1]
    return re.findall(r"<tr>.*?</tr>", table, re.S)


def test_table_has_stock_and_edit_and_no_sold_column_before_orders(client, auth, market):
    seller = market.seller()
    market.listing(seller, title="Tas Pandan", stock=7)
    market.listing(seller, title="Kebaya Pesanan", fulfilment="made_to_order", processing_days=10, stock=0)
    auth.login(seller.email, seller.password)
    for path in ("/seller", "/seller/listings"):
        page = client.get(path).get_data(as_text=True)
        assert "<th>Stok</th>" in page and "Terjual" not in page
        tas, = [r for r in rows(page) if "Tas Pandan" in r]
        assert '<td class="stock">7</td>' in tas and ">Ubah</a>" in tas and 'class="product-cell"' in tas
        kebaya, = [r for r in rows(page) if "Kebaya Pesanan" in r]
        assert "pre-order" in kebaya


def test_units_sold_appear_once_paid_orders_exist(client, auth, api, market, buyer, db_session):
    seller = market.seller()
    tas = market.approved_listing(seller, title="Tas Pandan", stock=7)
    market.approved_listing(seller, title="Belum Laku", stock=2)
    api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": tas["id"], "quantity": 3})
    order = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS}).json
    auth.login(seller.email, seller.password)
    assert "<th>Sold</th>" not in client.get("/en/seller").get_data(as_text=True)  # unpaid: not sold yet
    db_session.execute(update(SellerOrder).where(SellerOrder.order_id == order["id"]).values(status="awaiting_shipment"))
    db_session.commit()
    page = client.get("/en/seller").get_data(as_text=True)
    assert "<th>Sold</th>" in page
    tas_row, = [r for r in rows(page) if "Tas Pandan" in r]
    other, = [r for r in rows(page) if "Belum Laku" in r]
    assert '<td class="sold">3</td>' in tas_row and '<td class="sold">0</td>' in other
