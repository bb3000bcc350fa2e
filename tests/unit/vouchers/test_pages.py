"""The voucher pages as people use them: an artisan creates and pauses a shop voucher, an admin a
programme voucher, a buyer applies a code on the cart page and is told why one does not apply; in
Indonesian by default and in English, well-formed, every id once."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

from marketplace.db import utcnow
from tests.unit.orders.test_api import _add

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Checked(HTMLParser):
    """Tags closed in order, and the ids on the page."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.ids: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if dict(attrs).get("id"):
            self.ids.append(dict(attrs)["id"])
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.open[-1] if self.open else None}>")
        else:
            self.open.pop()


def well_formed(html: str) -> str:
    parser = _Checked()
    parser.feed(html)
    assert parser.errors == [] and parser.open == [], (parser.errors, parser.open)
    assert len(parser.ids) == len(set(parser.ids)), sorted(i for i in parser.ids if parser.ids.count(i) > 1)
    return html


def _form(client, path: str, **data):
    html = client.get(path).get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    return client.post(path, data={"csrf_token": token, **data})


def _wib(delta: timedelta) -> str:
    return (utcnow() + timedelta(hours=7) + delta).strftime("%Y-%m-%dT%H:%M")


def test_an_artisan_creates_pauses_and_sees_the_figures_of_a_shop_voucher(api, client, auth, market):
    sari = market.seller()
    auth.login(sari.email, sari.password)
    page = well_formed(client.get("/seller/vouchers").get_data(as_text=True))
    assert "Voucher toko Anda" in page and "Belum ada voucher." in page

    bad = _form(client, "/seller/vouchers", code="SARI", kind="percent", value="150",
                starts_at=_wib(timedelta(days=1)), ends_at=_wib(timedelta(0)))
    assert bad.status_code == 422
    html = well_formed(bad.get_data(as_text=True))
    assert "Persentase paling besar 100." in html and "Akhir harus setelah awal." in html

    made = _form(client, "/seller/vouchers", code="sari10", kind="percent", value="10", min_subtotal_idr="100.000",
                 max_uses="50", starts_at=_wib(-timedelta(hours=1)), ends_at=_wib(timedelta(days=7)))
    assert made.status_code == 302
    html = client.get("/seller/vouchers").get_data(as_text=True)
    assert "SARI10" in html and "Rp 100.000" in html and "0 / 50" in html and "Aktif" in html
    [voucher] = api.get("/api/v1/seller/vouchers", as_=sari).json["items"]
    assert voucher["starts_at"] < utcnow().isoformat() < voucher["ends_at"]  # the form's times are WIB

    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    client.post(f"/seller/vouchers/{voucher['id']}/pause", data={"csrf_token": token})
    assert api.get("/api/v1/seller/vouchers", as_=sari).json["items"][0]["paused"] is True
    assert "Your shop&#39;s vouchers" in client.get("/en/seller/vouchers").get_data(as_text=True)


def test_an_admin_creates_a_programme_voucher_and_the_reconciliation_shows_the_subsidy(client, auth, market):
    auth.login(market.admin.email, market.admin.password)
    assert "Voucher program" in well_formed(client.get("/admin/vouchers").get_data(as_text=True))
    made = _form(client, "/admin/vouchers", code="PEKANBEKASI", kind="amount", value="15000", city="Bekasi",
                 category="batik", starts_at=_wib(-timedelta(hours=1)), ends_at=_wib(timedelta(days=7)))
    assert made.status_code == 302
    html = well_formed(client.get("/admin/vouchers").get_data(as_text=True))
    assert "PEKANBEKASI" in html and "Bekasi" in html and "Rp 15.000" in html
    bad = _form(client, "/admin/vouchers", code="pekanbekasi", kind="amount", value="1",
                starts_at=_wib(timedelta(0)), ends_at=_wib(timedelta(days=1)))
    assert bad.status_code == 422 and "Kode ini sudah dipakai." in bad.get_data(as_text=True)
    assert "Subsidi program terutang" in well_formed(client.get("/admin/reconciliation").get_data(as_text=True))


def test_a_buyer_applies_a_code_on_the_cart_page_and_is_told_why_another_does_not_apply(api, client, auth, market):
    sari = market.seller()
    listing = market.approved_listing(sari, price_idr=200_000, stock=3)
    starts, ends = (utcnow() - timedelta(days=1)).isoformat(), (utcnow() + timedelta(days=1)).isoformat()
    for code, extra in (("SARI5", {}), ("MAHAL", {"min_subtotal_idr": 500_000})):
        assert api.post("/api/v1/seller/vouchers", as_=sari, json={
            "code": code, "kind": "percent", "value": 5, "starts_at": starts, "ends_at": ends, **extra}).status_code == 201
    buyer = api.make_user("buyer")
    _add(api, buyer, listing)
    auth.login(buyer.email, buyer.password)

    html = client.get("/cart").get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    below = client.post("/cart/voucher", data={"csrf_token": token, "code": "mahal"})
    assert below.status_code == 422
    assert "Belanja Anda belum mencapai minimum voucher ini." in well_formed(below.get_data(as_text=True))
    applied = client.post("/cart/voucher", data={"csrf_token": token, "code": "sari5"}, follow_redirects=True)
    html = well_formed(applied.get_data(as_text=True))
    assert "Voucher SARI5: −<span class=\"price\">Rp 10.000</span>" in html
    assert "Rp 190.000" in html  # the total after the discount
    checkout = well_formed(client.get("/checkout").get_data(as_text=True))
    assert "−Rp 10.000" in checkout
    client.post("/cart/voucher/remove", data={"csrf_token": token})
    assert "SARI5" not in client.get("/cart").get_data(as_text=True)
