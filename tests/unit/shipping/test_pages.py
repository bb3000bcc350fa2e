"""The listing page's "Estimate shipping" form: a plain GET form, its estimate, its messages."""

from __future__ import annotations

import re

import pytest


def html(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.fixture
def listing(catalog):
    shop = catalog.shop(city="Tangerang Selatan", kelurahan="Cipayung", name="Batik Bu Sri")
    return catalog.listing(shop, title="Kain Batik Tulis", weight_grams=1_200, fulfilment="made_to_order",
                           processing_days=7)


def test_the_form_is_a_get_form_to_the_same_page_with_the_38_provinces(client, listing):
    resp = client.get(f"/listings/{listing.id}")
    page = html(resp)
    assert resp.status_code == 200
    form = re.search(r'<form method="get" action="([^"]+)">(.*?)</form>', page, re.S)
    assert form and form.group(1) == f"/listings/{listing.id}#shipping"
    assert 'name="ship_city"' in form.group(2) and 'name="ship_province"' in form.group(2)
    assert len(re.findall(r'<option value="[^"]+"', form.group(2))) == 38
    assert "Cek ongkos kirim" in page and "Dikirim dari Tangerang Selatan." in page
    assert "Perkiraan ongkos kirim" not in page  # nothing asked yet, no estimate
    # made-to-order items show their processing time
    assert "Dibuat sesuai pesanan" in page and "Siap dikirim dalam 7 hari" in page


def test_the_page_shows_zone_billed_weight_and_estimate(client, listing):
    resp = client.get(f"/listings/{listing.id}?ship_city=Bandung&ship_province=Jawa+Barat")
    page = html(resp)
    assert resp.status_code == 200
    # 1.2 kg → 2 kg on the rest-of-Java rate: 18.000 + 12.000
    assert "Pulau Jawa lainnya" in page and "2 kg" in page and "Rp 30.000" in page
    assert 'value="Bandung"' in page and '<option value="Jawa Barat" selected>' in page


def test_the_estimate_in_english(client, listing):
    page = html(client.get(f"/en/listings/{listing.id}?ship_city=Tangerang+Selatan&ship_province=Banten"))
    assert "Estimate shipping" in page and "Same city" in page and "Rp 13.000" in page


def test_a_province_typed_loosely_is_selected_by_its_canonical_name(client, listing):
    page = html(client.get(f"/listings/{listing.id}?ship_city=Yogyakarta&ship_province=yogyakarta"))
    assert '<option value="DI Yogyakarta" selected>' in page and "Pulau Jawa lainnya" in page


@pytest.mark.parametrize("query, message", [
    ("ship_city=Bandung&ship_province=Atlantis", "Pilih salah satu dari 38 provinsi di Indonesia."),
    ("ship_city=&ship_province=Jawa+Barat", "Isi kota tujuan (paling banyak 80 karakter)."),
    ("ship_city=" + "x" * 81 + "&ship_province=Banten", "Isi kota tujuan (paling banyak 80 karakter)."),
    ("ship_city=Bandung", "Pilih salah satu dari 38 provinsi di Indonesia."),
])
def test_bad_input_is_a_message_on_the_form_never_a_500(client, listing, query, message):
    resp = client.get(f"/listings/{listing.id}?{query}")
    page = html(resp)
    assert resp.status_code == 400
    assert f'<p class="field-error" role="alert">{message}</p>' in page
    assert "Kain Batik Tulis" in page  # still the listing page
    assert "Rp 30.000" not in page


def test_hidden_listings_stay_hidden_with_the_form_too(client, catalog):
    shop = catalog.shop()
    pending = catalog.listing(shop, status="pending_review")
    assert client.get(f"/listings/{pending.id}?ship_city=Bandung&ship_province=Jawa+Barat").status_code == 404
