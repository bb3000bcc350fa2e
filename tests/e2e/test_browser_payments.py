"""Paying by bank transfer to a virtual account, in a real browser on a 390-px phone, on the system
started by ``marketplace run`` (sandbox gateway, the payments worker and its webhook delivery running):
the demo buyer orders the demo's wooden puzzle, chooses BCA under "Transfer bank" on the payment page,
waits while the payments worker makes the VA (the page refreshes itself), sees the number with a copy
button, the amount and the deadline in WIB, finds the number on the order page too, simulates the
transfer (the sandbox sends a Xendit-format callback to the web app) and the page shows the order paid
by itself. The page fits the phone, has unique ids and no English."""

from __future__ import annotations

import re
from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.chromium skips the test (or fails it under CI=true)
    expect = None

from tests.e2e.conftest import RunningSystem
from tests.e2e.test_browser import ADDRESS, OTHER_SHOP_PRODUCT, add_to_cart, check_phone_page, find_and_open, people

__all__ = ["people"]  # the fixture, reused


def test_a_buyer_pays_by_bca_virtual_account_on_the_sandbox(chromium: Any, system: RunningSystem, people: Any) -> None:
    buyer_email, buyer_password = system.logins()["buyer"]
    shopper = people.open("buyer", viewport={"width": 390, "height": 844})
    shopper.context.set_default_timeout(45_000)  # a loaded CI machine: the quote and the worker take a while
    shopper.context.set_default_navigation_timeout(45_000)
    try:
        shopper.goto("/")
        shopper.get_by_role("link", name="Masuk", exact=True).click()
        shopper.get_by_label("E-mail").fill(buyer_email)
        shopper.get_by_label("Kata sandi").fill(buyer_password)
        shopper.get_by_role("button", name="Masuk").click()
        find_and_open(shopper, "puzzle", OTHER_SHOP_PRODUCT)
        add_to_cart(shopper, 1)
        shopper.goto("/checkout")
        for label, value in ADDRESS.items():
            shopper.get_by_label(label).fill(value)
        shopper.get_by_label("Provinsi").select_option(label="Sulawesi Selatan")
        shopper.get_by_role("button", name="Hitung ongkos kirim").click()
        total = shopper.locator("#checkout-total").inner_text()
        shopper.get_by_role("button", name="Buat pesanan").click()
        expect(shopper).to_have_url(re.compile(r"/orders/\d+/pay$"))
        order_id = int(shopper.url.rsplit("/", 2)[-2])

        methods = shopper.locator("[data-methods]")
        expect(methods).to_be_visible(timeout=60_000)
        for group in ("Transfer bank", "Dompet digital", "QRIS", "Kartu"):
            expect(methods.locator("legend", has_text=group)).to_be_visible()
        methods.locator('button[data-method="va_bca"]').click()
        number = shopper.locator("[data-va-number]")
        expect(number).to_have_text(re.compile(r"^\d{16}$"), timeout=60_000)  # made by the payments worker
        va = number.inner_text()
        expect(shopper.locator("[data-amount]")).to_have_text(total)
        expect(shopper.get_by_role("button", name="Salin")).to_be_visible()
        expect(shopper.locator('[data-action="va"]')).to_contain_text("WIB")
        check_phone_page(shopper)
        people.shoot("buyer", "pay-1-va")

        shopper.goto(f"/orders/{order_id}")
        expect(shopper.locator("[data-how-to-pay]")).to_contain_text(va)
        shopper.goto(f"/orders/{order_id}/pay")
        shopper.get_by_role("button", name="Simulasikan pembayaran (uji)").click()
        expect(shopper.locator('[data-payment-state="paid"]')).to_contain_text("Pembayaran diterima", timeout=60_000)
        people.shoot("buyer", "pay-2-paid")
        shopper.goto(f"/orders/{order_id}")
        expect(shopper.get_by_text("Dibayar").first).to_be_visible()
        expect(shopper.locator("[data-how-to-pay]")).to_have_count(0)
    except Exception:
        people.shoot_all_on_failure()
        raise
    assert not people.blocked, f"the pages asked for something other than the system: {people.blocked}"
    assert not people.problems, "errors while browsing:\n" + "\n".join(people.problems)
