"""The storefront design in a real browser (issue #29), on the system started by ``marketplace run`` with its
demo catalogue: on a 390-px phone the bottom navigation bar shows its five shortcuts, typing in the header's
search box offers products, shops and categories, the search page shows its filters as chips that remove
themselves, and a product page has a buy bar that adds to the cart; on a desktop the bar and the bottom
navigation are gone and the gallery is as tall as its photos (no empty band beside a long description).
Every page passes ``check_phone_page`` (no sideways scroll, the page audit, Indonesian only). Uses the
fixtures of ``test_browser``; skipped without Chromium."""

from __future__ import annotations

import re
from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.chromium skips the test (or fails it under CI=true)
    expect = None

from tests.e2e.conftest import RunningSystem
from tests.e2e.phone import PHONE_390, PATIENCE_MS
from tests.e2e.test_browser import People, check_phone_page

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}


def patient(page: Any) -> Any:
    page.context.set_default_timeout(PATIENCE_MS)
    page.context.set_default_navigation_timeout(PATIENCE_MS)
    expect.set_options(timeout=PATIENCE_MS)
    return page


def test_storefront_on_a_phone_and_a_desktop(chromium: Any, system: RunningSystem, crowd: People) -> None:
    phone = patient(crowd.open("visitor", **PHONE_390))
    phone.goto("/")
    shortcuts = phone.get_by_role("navigation", name="Pintasan")
    expect(shortcuts).to_be_visible()
    expect(shortcuts.get_by_role("link")).to_have_text(["Beranda", "Kategori", "Keranjang", "Pesanan", "Akun"])
    check_phone_page(phone)

    phone.get_by_role("search").get_by_role("searchbox").fill("batik")
    suggestions = phone.locator("#search-suggestions")
    expect(suggestions).to_be_visible()
    expect(suggestions).to_contain_text("Produk")
    expect(suggestions.get_by_role("link", name="Batik", exact=True)).to_have_attribute("href", "/search?category=batik")
    suggestions.get_by_role("link").first.click()
    expect(phone).to_have_url(re.compile(r"/listings/\d+$"))
    check_phone_page(phone)

    bar = phone.locator(".buy-bar")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("Rp")
    box = bar.bounding_box()
    nav = phone.get_by_role("navigation", name="Pintasan").bounding_box()
    assert box is not None and nav is not None and box["y"] + box["height"] <= nav["y"] + 1, (box, nav)  # above it
    if bar.get_by_role("button", name="Beli").count():
        bar.get_by_role("button", name="Beli").click()
        expect(phone.locator(".cart-link .cart-count")).to_have_text("1")

    phone.goto("/search?q=batik&city=Tangerang+Selatan")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Hasil untuk “batik”")
    chips = phone.get_by_role("list", name="Filter aktif")
    expect(chips).to_be_visible()
    check_phone_page(phone)
    chips.get_by_role("link", name="Hapus filter: Tangerang Selatan").click()
    expect(phone).to_have_url(re.compile(r"/search\?q=batik$"))
    expect(phone.get_by_role("link", name="Hapus filter: Tangerang Selatan")).to_have_count(0)

    desk = patient(crowd.open("desk", **DESKTOP))
    desk.goto("/search?q=batik")
    desk.locator(".product-card a.product").first.click()
    expect(desk.locator(".main-photo")).to_be_visible()
    expect(desk.get_by_role("navigation", name="Pintasan")).to_be_hidden()
    expect(desk.locator(".buy-bar")).to_be_hidden()
    band = desk.evaluate("""() => {
        const gallery = document.querySelector('.gallery').getBoundingClientRect();
        const last = [...document.querySelectorAll('.gallery > *')].pop().getBoundingClientRect();
        return gallery.bottom - last.bottom;
    }""")
    assert band <= 1, f"an empty band of {band}px under the gallery's photos"
