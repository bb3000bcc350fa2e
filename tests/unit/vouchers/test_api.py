"""The vouchers API as a shop, an admin and a buyer use it (ARCHITECTURE.md §5)."""

from __future__ import annotations

from datetime import timedelta

from marketplace.db import utcnow
from tests.unit.orders.test_api import ADDRESS, _add

NOW = utcnow()
WINDOW = {"starts_at": (NOW - timedelta(days=1)).isoformat(), "ends_at": (NOW + timedelta(days=7)).isoformat()}


def _create(api, who, path="/api/v1/seller/vouchers", **body):
    return api.post(path, as_=who, json={"code": "DISKON10", "kind": "percent", "value": 10, **WINDOW, **body})


def test_a_shop_creates_lists_and_pauses_its_voucher_and_bad_input_names_the_field(api, market):
    sari = market.seller()
    resp = _create(api, sari, max_uses=3)
    assert resp.status_code == 201, resp.json
    voucher = resp.json
    assert (voucher["code"], voucher["funded_by"], voucher["shop_id"], voucher["uses_count"], voucher["given_idr"]) == (
        "DISKON10", "shop", sari.shop_id, 0, 0)
    for body, field in (({"code": "diskon10"}, "code"), ({"code": "LAIN", "value": 101}, "value"),
                        ({"code": "LAIN", "ends_at": WINDOW["starts_at"]}, "ends_at"),
                        ({"code": "x"}, "code"), ({"code": "LAIN", "kind": "gratis"}, "kind"),
                        ({"code": "LAIN", "value": "10"}, "value"), ({"code": "LAIN", "starts_at": "besok"}, "starts_at")):
        bad = _create(api, sari, **body)
        assert bad.status_code == 422 and field in bad.json["error"]["fields"], (body, bad.json)
    assert [v["code"] for v in api.get("/api/v1/seller/vouchers", as_=sari).json["items"]] == ["DISKON10"]

    budi = market.seller(kelurahan="Pamulang Barat")
    assert api.patch(f"/api/v1/seller/vouchers/{voucher['id']}", as_=budi, json={"paused": True}).status_code == 404
    assert api.get("/api/v1/seller/vouchers", as_=budi).json["items"] == []
    paused = api.patch(f"/api/v1/seller/vouchers/{voucher['id']}", as_=sari, json={"paused": True})
    assert paused.status_code == 200 and paused.json["paused"] is True
    assert api.patch(f"/api/v1/seller/vouchers/{voucher['id']}", as_=sari, json={}).status_code == 422


def test_an_admin_creates_a_programme_voucher_for_a_city(api, market):
    resp = _create(api, market.admin, "/api/v1/admin/vouchers", code="BEKASIKREATIF", kind="amount", value=15_000,
                   city="bekasi", category="batik")
    assert resp.status_code == 201, resp.json
    assert (resp.json["funded_by"], resp.json["city"], resp.json["shop_id"]) == ("programme", "Bekasi", None)
    bad = _create(api, market.admin, "/api/v1/admin/vouchers", code="X2X", city="Jakarta", sentra_id=999_999)
    assert bad.status_code == 422 and "city" in bad.json["error"]["fields"]
    bad = _create(api, market.admin, "/api/v1/admin/vouchers", code="X2X", sentra_id=999_999)
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {"sentra_id"}
    assert [v["code"] for v in api.get("/api/v1/admin/vouchers", as_=market.admin).json["items"]] == ["BEKASIKREATIF"]


def test_the_buyer_applies_a_code_sees_the_discount_per_shop_and_pays_less(api, market, buyer):
    sari, budi = market.seller(), market.seller(kelurahan="Pamulang Barat")
    batik = market.approved_listing(sari, price_idr=350_000, stock=3)
    tas = market.approved_listing(budi, title="Tas anyaman pandan", price_idr=150_000, stock=4)
    _add(api, buyer, batik)
    _add(api, buyer, tas)
    assert _create(api, market.admin, "/api/v1/admin/vouchers", code="PEKAN", kind="amount", value=10_001).status_code == 201

    bad = api.post("/api/v1/cart/voucher", as_=buyer, json={"code": "NGGAK-ADA"})
    assert bad.status_code == 422 and bad.json["error"]["code"] == "voucher_invalid"
    assert bad.json["error"]["fields"] == {"code": ["unknown"]}
    assert api.post("/api/v1/cart/voucher", as_=buyer, json={}).status_code == 422

    cart = api.post("/api/v1/cart/voucher", as_=buyer, json={"code": "pekan"})
    assert cart.status_code == 200, cart.json
    assert cart.json["voucher"] == {"code": "PEKAN", "reason": None} and cart.json["discount_idr"] == 10_001
    assert [(d["shop_id"], d["amount_idr"]) for d in cart.json["discounts"]] == [(sari.shop_id, 7_001), (budi.shop_id, 3_000)]
    assert api.get("/api/v1/cart", as_=buyer).json["discounts"] == cart.json["discounts"]

    order = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS})
    assert order.status_code == 201, order.json
    first, second = order.json["seller_orders"]
    assert (order.json["discount_idr"], order.json["subtotal_idr"]) == (10_001, 489_999)
    assert order.json["total_idr"] == 489_999 + order.json["shipping_idr"]
    assert (first["discount_idr"], second["discount_idr"]) == (7_001, 3_000)
    assert first["subtotal_idr"] == 350_000  # the programme pays: the artisan's sale is whole
    assert api.get("/api/v1/cart", as_=buyer).json["voucher"] is None
    assert api.get("/api/v1/admin/vouchers", as_=market.admin).json["items"][0]["given_idr"] == 10_001


def test_checkout_names_a_code_itself_and_delete_takes_the_carts_off(api, market, buyer):
    sari = market.seller()
    batik = market.approved_listing(sari, price_idr=200_000, stock=3)
    _add(api, buyer, batik)
    assert _create(api, sari, code="SARI5", value=5).status_code == 201
    assert api.post("/api/v1/cart/voucher", as_=buyer, json={"code": "SARI5"}).status_code == 200
    assert api.delete("/api/v1/cart/voucher", as_=buyer).json["voucher"] is None
    refused = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS, "voucher_code": "SALAH"})
    assert refused.status_code == 422 and refused.json["error"]["code"] == "voucher_invalid"
    assert api.get("/api/v1/cart", as_=buyer).json["item_count"] == 1  # nothing taken
    order = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS, "voucher_code": "sari5"}).json
    assert (order["discount_idr"], order["seller_orders"][0]["subtotal_idr"]) == (10_000, 190_000)
    placed = market.events("order.placed", key=order["id"])[0]["data"]
    assert placed["discounts"] == [{"code": "SARI5", "funded_by": "shop", "shop_id": sari.shop_id,
                                    "seller_order_id": order["seller_orders"][0]["id"], "amount_idr": 10_000}]


def test_the_reconciliation_and_the_impact_report_carry_the_programme_subsidy(api):
    admin = api.make_user("admin")
    assert api.get("/api/v1/admin/reconciliation", as_=admin).json["programme_subsidy"] == []
    impact = api.get("/api/v1/admin/impact?group_by=city", as_=admin)
    assert impact.status_code == 200 and impact.json["programme_subsidy"] == []
    csv = api.get("/api/v1/admin/impact?group_by=city&format=csv&table=subsidy", as_=admin)
    assert csv.status_code == 200 and csv.get_data(as_text=True) == "month,owed_idr\r\n"
