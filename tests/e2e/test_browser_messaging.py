"""Browser journey (#26) on a phone: a buyer asks a demo artisan about a product with "Tanya penjual", the
artisan answers in the chat (the buyer's page shows it without a reload), sends a custom offer, and the
buyer buys the offer through the normal cart, checkout and sandbox payment."""

from __future__ import annotations

import re
from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips (or fails under CI) with the reason
    expect = None  # type: ignore[assignment]

from marketplace.local.seed import ARTISANS, BUYER_EMAIL, DEMO_DOMAIN, DEMO_PASSWORD
from tests.e2e.conftest import RunningSystem
from tests.e2e.test_browser import ADDRESS, People, check_phone_page, find_and_open, people  # noqa: F401,F811

SARI = ARTISANS[0]
PRODUCT = SARI.products[0].title
OFFER = {"Judul": "Kemeja Batik Kawung Ukuran XL Hijau", "Harga (Rp)": "475.000", "Jumlah": "1",
         "Lama proses (hari)": "10"}


def _login(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def test_buyer_asks_artisan_offers_buyer_buys(chromium: Any, system: RunningSystem, people: People) -> None:  # noqa: F811
    buyer, artisan = people.open("buyer"), people.open("artisan")
    for page in (buyer, artisan):  # two CPUs shared by many: give the pages time
        page.set_default_timeout(45_000)
        page.set_default_navigation_timeout(45_000)
    try:
        _login(buyer, BUYER_EMAIL, DEMO_PASSWORD)
        find_and_open(buyer, "Kawung", PRODUCT)
        buyer.get_by_role("link", name="Tanya penjual").click()
        buyer.get_by_label("Pesan", exact=True).fill("Bisa dibuat kemeja ukuran XL warna hijau?")
        buyer.get_by_role("button", name="Kirim", exact=True).click()
        expect(buyer).to_have_url(re.compile(r"/messages/\d+"))
        expect(buyer.locator(".bubble.mine")).to_contain_text("ukuran XL warna hijau")
        check_phone_page(buyer)
        people.shoot("buyer", "m1-asked")

        _login(artisan, f"{SARI.key}@{DEMO_DOMAIN}", DEMO_PASSWORD)
        expect(artisan.locator(".messages-link .cart-count")).to_have_text("1")
        artisan.locator(".messages-link").click()
        artisan.locator(".inbox a").first.click()
        expect(artisan.locator(".bubble.theirs")).to_contain_text("ukuran XL warna hijau")
        artisan.get_by_label("Pesan", exact=True).fill("Bisa, kak. Saya kirim penawarannya ya.")
        artisan.get_by_role("button", name="Kirim", exact=True).click()
        # the buyer's open chat shows the answer without a reload (polling)
        expect(buyer.locator(".bubble.theirs")).to_contain_text("Saya kirim penawarannya", timeout=20_000)

        artisan.get_by_text("Kirim penawaran khusus").click()
        for label, value in OFFER.items():
            artisan.get_by_label(label, exact=True).fill(value)
        artisan.get_by_role("button", name="Kirim penawaran", exact=True).click()
        expect(artisan.get_by_role("status").first).to_contain_text("Penawaran Anda sudah terkirim")
        check_phone_page(artisan)
        people.shoot("artisan", "m2-offer-sent")

        offer = buyer.locator(".offer-card")
        expect(offer).to_contain_text(OFFER["Judul"], timeout=20_000)
        expect(offer).to_contain_text("Rp 475.000")
        people.shoot("buyer", "m3-offer-received")
        offer.get_by_role("button", name="Beli penawaran ini").click()
        expect(buyer).to_have_url(re.compile(r"/cart$"))
        expect(buyer.locator("main")).to_contain_text(OFFER["Judul"])
        buyer.get_by_role("link", name="Checkout", exact=True).click()
        for label, value in ADDRESS.items():
            buyer.get_by_label(label).fill(value)
        buyer.get_by_label("Provinsi").select_option(label="Sulawesi Selatan")
        buyer.get_by_role("button", name="Hitung ongkos kirim").click()
        buyer.get_by_role("button", name="Buat pesanan").click()
        expect(buyer).to_have_url(re.compile(r"/orders/\d+/pay$"))
        expect(buyer.locator('[data-payment-state="sandbox"]')).to_be_visible(timeout=30_000)
        buyer.get_by_role("button", name="Simulasikan pemindaian (uji)").click()
        expect(buyer.locator('[data-payment-state="paid"]')).to_contain_text("Pembayaran diterima", timeout=30_000)
        people.shoot("buyer", "m4-offer-paid")
        assert people.problems == [] and people.blocked == [], (people.problems, people.blocked)
    except Exception:
        people.shoot_all_on_failure()
        raise
