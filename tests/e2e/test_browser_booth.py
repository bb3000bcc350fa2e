"""A booth sale in a real phone browser, on the system started by ``marketplace run`` (issue #27): an admin
(through the API) holds a festival that is on now with the demo artisan's shop taking part; the artisan,
on a 390-px phone, opens "Penjualan di stan" from the shop dashboard, rings up two of a product (the total
is worked out as they type), is shown the QRIS code (drawn by our server), pays it on the sandbox as the
buyer's banking app would after scanning, and the page turns into the receipt: shop, event, items,
total, time paid and order number. Every page fits the screen, in Bahasa Indonesia, and passes the audit.
Uses the fixtures of ``test_browser`` (the system, the browser, the people); skipped without Chromium."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.chromium skips the test (or fails it under CI=true)
    expect = None

from marketplace.db import utcnow
from tests.e2e.conftest import RunningSystem, http
from tests.e2e.phone import PHONE_390, PATIENCE_MS
from tests.e2e.test_browser import People, check_phone_page

#: Seconds an API call of the set-up may take on a machine shared with other suites (a login hashes).
API_PATIENCE = 60.0
FESTIVAL = "Festival Seni Tangerang Selatan"


def _token(system: RunningSystem, email: str, password: str) -> str:
    resp = http("POST", f"{system.base_url}/api/v1/auth/token", json_body={"email": email, "password": password},
                timeout=API_PATIENCE)
    assert resp.status == 200, resp.text
    return resp.json()["access_token"]


def _festival_on_now(system: RunningSystem) -> int:
    """The admin holds a festival that started an hour ago, with the demo artisan's shop taking part."""
    logins = system.logins()
    admin, artisan = _token(system, *logins["admin"]), _token(system, *logins["artisan"])
    starts = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    event = http("POST", f"{system.base_url}/api/v1/admin/events", token=admin, json_body={
        "kind": "festival", "title": FESTIVAL, "description": "Karya warga dipamerkan dan dijual.",
        "venue": "Taman Kota 2, BSD", "city": "Tangerang Selatan", "capacity": 1000,
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=8)).isoformat(),
        "registration_opens_at": (starts - timedelta(days=7)).isoformat(),
        "registration_closes_at": (starts + timedelta(hours=6)).isoformat()}, timeout=API_PATIENCE)
    assert event.status == 201, event.text
    shop = http("GET", f"{system.base_url}/api/v1/shops/me", token=artisan, timeout=API_PATIENCE)
    assert shop.status == 200, shop.text
    added = http("POST", f"{system.base_url}/api/v1/admin/events/{event.json()['id']}/shops", token=admin,
                 json_body={"shop_id": shop.json()["id"]}, timeout=API_PATIENCE)
    assert added.status == 200, added.text
    return event.json()["id"]


def test_an_artisan_rings_up_a_booth_sale_paid_by_qris_and_shows_the_receipt(
        chromium: Any, system: RunningSystem, crowd: People) -> None:
    people = crowd
    expect.set_options(timeout=PATIENCE_MS)
    event_id = _festival_on_now(system)
    try:
        phone = people.open("artisan", **PHONE_390)
        phone.context.set_default_timeout(PATIENCE_MS)
        phone.context.set_default_navigation_timeout(PATIENCE_MS)
        phone.goto("/login")
        email, password = system.logins()["artisan"]
        phone.get_by_label("E-mail").fill(email)
        phone.get_by_label("Kata sandi").fill(password)
        phone.get_by_role("button", name="Masuk").click()
        phone.goto("/seller")
        phone.get_by_role("link", name="Penjualan di stan").click()
        expect(phone).to_have_url(re.compile(r"/seller/booth$"))
        card = phone.locator(f"[data-booth-event='{event_id}']")
        expect(card).to_contain_text(FESTIVAL)
        check_phone_page(phone)
        card.get_by_role("link", name="Catat penjualan").click()
        expect(phone).to_have_url(re.compile(rf"/seller/booth/{event_id}$"))

        box = phone.locator("input.booth-qty:not([disabled])").first
        price = int(box.get_attribute("data-price"))
        box.fill("2")
        total = f"Rp {2 * price:,}".replace(",", ".")
        expect(phone.locator("[data-booth-total]")).to_have_text(total)
        check_phone_page(phone)
        people.shoot("artisan", "1-ring-up")
        phone.get_by_role("button", name="Tampilkan kode QRIS").click()

        expect(phone).to_have_url(re.compile(r"/seller/booth/sales/\d+$"))
        order_id = phone.url.rsplit("/", 1)[1]
        expect(phone.locator("[data-total]")).to_have_text(total)
        qr = phone.get_by_role("img", name="Kode QRIS untuk dipindai dengan aplikasi bank atau dompet digital Anda")
        expect(qr).to_be_visible()  # once the payments worker has made the attempt (the page refreshes)
        assert qr.evaluate("img => img.naturalWidth") > 0, "the QRIS code does not load"
        check_phone_page(phone)
        people.shoot("artisan", "2-qris")
        phone.get_by_role("button", name="Simulasikan pembeli memindai (uji coba)").click()

        expect(phone).to_have_url(re.compile(rf"/seller/booth/sales/{order_id}/receipt$"))
        receipt = phone.locator("[data-receipt]")
        expect(receipt).to_contain_text("Struk")
        expect(receipt.locator("[data-order-number]")).to_have_text(f"#{order_id}")
        expect(receipt.locator("[data-event]")).to_contain_text(FESTIVAL)
        expect(receipt.locator("[data-total]")).to_have_text(total)
        expect(receipt.locator("[data-payment-state='paid']")).to_contain_text("WIB")
        check_phone_page(phone)
        people.shoot("artisan", "3-receipt")
        assert not people.problems and not people.blocked and not people.refusals, (
            people.problems, people.blocked, people.refusals)
    except Exception:
        people.shoot_all_on_failure()
        raise
