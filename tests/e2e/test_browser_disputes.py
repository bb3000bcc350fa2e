"""A dispute in a real phone browser, 390 px wide, on the system ``marketplace run`` starts (issue #26): the
demo buyer buys a demo batik, pays by the sandbox's QRIS, the artisan ships it and the buyer confirms it;
the buyer reports it damaged from the order page with a photo; the artisan finds the dispute among their
orders, answers it and refunds part; the buyer sees it resolved and the admins' queue lists it. Every new
page fits the phone, in Bahasa Indonesia, and passes the page audit (``check_phone_page``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips (or fails under CI) with the reason
    expect = None  # type: ignore[assignment]

from marketplace.local.seed import ARTISANS, BUYER_EMAIL, DEMO_DOMAIN, DEMO_PASSWORD
from tests.e2e.conftest import RunningSystem
from tests.e2e.test_browser import (  # noqa: F401
    ADDRESS,
    People,
    add_to_cart,
    check_phone_page,
    find_and_open,
    people,
    product_photo,
)

SARI = ARTISANS[0]
PRODUCT = SARI.products[0].title
PHONE_390 = {"viewport": {"width": 390, "height": 844}}
PATIENCE_MS = 60_000


def _login(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def _open(crowd: People, who: str) -> Any:
    page = crowd.open(who, **PHONE_390)
    page.set_default_timeout(PATIENCE_MS)
    page.set_default_navigation_timeout(PATIENCE_MS)
    return page


def test_buyer_disputes_a_damaged_parcel_and_the_artisan_refunds_part(
        chromium: Any, system: RunningSystem, people: People, tmp_path: Path) -> None:  # noqa: F811
    expect.set_options(timeout=PATIENCE_MS)
    buyer, artisan = _open(people, "buyer"), _open(people, "artisan")
    try:
        _login(buyer, BUYER_EMAIL, DEMO_PASSWORD)
        find_and_open(buyer, "Kawung", PRODUCT)
        add_to_cart(buyer, 1)
        buyer.get_by_role("link", name="Checkout", exact=True).click()
        for label, value in ADDRESS.items():
            buyer.get_by_label(label).fill(value)
        buyer.get_by_label("Provinsi").select_option(label="Sulawesi Selatan")
        buyer.get_by_role("button", name="Hitung ongkos kirim").click()
        buyer.get_by_role("button", name="Buat pesanan").click()
        expect(buyer).to_have_url(re.compile(r"/orders/\d+/pay$"))
        order_id = int(re.search(r"/orders/(\d+)/pay", buyer.url).group(1))
        expect(buyer.locator('[data-payment-state="sandbox"]')).to_be_visible()
        buyer.get_by_role("button", name="Simulasikan pemindaian (uji)").click()
        expect(buyer.locator('[data-payment-state="paid"]')).to_contain_text("Pembayaran diterima")

        _login(artisan, f"{SARI.key}@{DEMO_DOMAIN}", DEMO_PASSWORD)
        artisan.goto("/seller/orders")
        part = artisan.locator(".seller-order").filter(has_text=f"#{order_id}")
        part.get_by_label("Kurir").fill("JNE")
        part.get_by_label("Nomor resi").fill("JNE-0426-MKS")
        part.get_by_role("button", name="Tandai sudah dikirim").click()
        expect(artisan.locator(".flash-info")).to_contain_text("Ditandai sudah dikirim")

        buyer.goto(f"/orders/{order_id}")
        parcel = buyer.locator(".seller-order").filter(has_text="JNE-0426-MKS")
        parcel.get_by_role("button", name="Paket ini sudah saya terima").click()
        expect(buyer.locator(".timeline")).to_contain_text("Paket diterima")
        buyer.get_by_role("link", name="Laporkan masalah dengan paket ini").click()
        expect(buyer.get_by_role("heading", level=1)).to_have_text("Laporkan masalah")
        check_phone_page(buyer)
        buyer.get_by_label("Barang tiba dalam keadaan rusak").check()
        buyer.get_by_label("Ceritakan kepada perajin apa yang terjadi").fill("Kainnya sobek di bagian lengan kiri.")
        buyer.get_by_label("Foto (paling banyak 5)").set_input_files(str(product_photo(tmp_path / "sobek.jpg")))
        buyer.get_by_role("button", name="Ajukan komplain").click()
        expect(buyer).to_have_url(re.compile(r"/disputes/\d+$"))
        dispute_url = buyer.url
        expect(buyer.locator("main")).to_contain_text("Komplain terbuka")
        expect(buyer.locator(".review-photos img")).to_have_count(1)
        check_phone_page(buyer)
        people.shoot("buyer", "d1-dispute-open")
        buyer.goto(f"/orders/{order_id}")
        expect(buyer.locator(".timeline")).to_contain_text("Komplain diajukan")
        check_phone_page(buyer)

        artisan.goto("/seller/orders")
        artisan.get_by_role("link", name="Pembeli mengajukan komplain: tanggapi").first.click()
        expect(artisan).to_have_url(dispute_url)
        check_phone_page(artisan)
        artisan.get_by_label("Jawaban Anda").fill("Mohon maaf, kami kembalikan sebagian dananya.")
        artisan.get_by_role("button", name="Kirim jawaban").click()
        expect(artisan.locator("main")).to_contain_text("Perajin menjawab")
        artisan.get_by_label("Jumlah yang dikembalikan (Rp)").fill("50000")
        artisan.get_by_role("button", name="Kembalikan dana pembeli").click()
        expect(artisan.locator("main")).to_contain_text("Komplain selesai: dana dikembalikan")
        expect(artisan.locator("main")).to_contain_text("Rp 50.000")
        check_phone_page(artisan)
        people.shoot("artisan", "d2-refunded")
        artisan.goto("/seller/disputes")
        check_phone_page(artisan)

        buyer.goto(dispute_url)
        expect(buyer.locator("main")).to_contain_text("Komplain selesai: dana dikembalikan")

        admin = _open(people, "admin")
        _login(admin, *system.logins()["admin"])
        admin.goto("/admin/disputes?status=resolved")
        expect(admin.locator("main")).to_contain_text("Barang tiba dalam keadaan rusak")
        check_phone_page(admin)
        assert people.problems == [] and people.blocked == [], (people.problems, people.blocked)
    except Exception:
        people.shoot_all_on_failure()
        raise
