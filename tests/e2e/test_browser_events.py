"""A programme event in a real phone browser, on the system started by ``marketplace run`` (issue #27):
the demo buyer finds the demo's batik workshop on the events page, registers, and finds the code and its
QR on "Acara saya"; the admin opens the check-in phone page of that workshop, types the code (in lower
case, as a thumb would) and is told the buyer is checked in; the same code again is refused as used.
Every page fits the 390-px screen, has unique ids and labels that name a field, in Bahasa Indonesia.
Uses the fixtures of ``test_browser`` (the system, the browser, the people); skipped without Chromium."""

from __future__ import annotations

import re
from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.chromium skips the test (or fails it under CI=true)
    expect = None

from marketplace.local.seed_events import WORKSHOP
from tests.e2e.conftest import RunningSystem
from tests.e2e.phone import PATIENCE_MS, open_phone
from tests.e2e.test_browser import People, check_phone_page


def log_in(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def test_a_buyer_registers_for_a_workshop_and_the_admin_checks_them_in_on_the_phone(
        chromium: Any, system: RunningSystem, crowd: People) -> None:
    people = crowd
    expect.set_options(timeout=PATIENCE_MS)
    logins = system.logins()
    try:
        buyer = open_phone(people, "buyer")
        log_in(buyer, *logins["buyer"])
        buyer.get_by_role("link", name="Acara", exact=True).first.click()
        expect(buyer).to_have_url(re.compile(r"/events$"))
        buyer.get_by_role("link", name=WORKSHOP).click()
        expect(buyer.locator("#seats-left")).to_contain_text("Sisa 15 kursi")
        check_phone_page(buyer)
        buyer.get_by_role("button", name="Daftar").click()
        expect(buyer.locator("body")).to_contain_text("Anda terdaftar.")
        expect(buyer.locator("#seats-left")).to_contain_text("Sisa 14 kursi")
        buyer.get_by_role("link", name="Acara saya").first.click()
        card = buyer.locator(".registration").filter(has_text=WORKSHOP)
        code = card.locator(".checkin-code").inner_text().strip()
        assert re.fullmatch(r"[2-9A-Z]{8}", code), code
        qr = card.get_by_role("img", name=f"Kode QR {code}")
        expect(qr).to_be_visible()
        assert qr.evaluate("img => img.naturalWidth") > 0, "the QR code does not load"
        check_phone_page(buyer)
        people.shoot("buyer", "1-my-events-with-qr")

        admin = open_phone(people, "admin")
        log_in(admin, *logins["admin"])
        admin.goto("/admin/programme")
        admin.get_by_role("row").filter(has_text=WORKSHOP).get_by_role("link", name="Check-in").click()
        expect(admin).to_have_url(re.compile(r"/admin/programme/\d+/check-in$"))
        check_phone_page(admin)
        admin.get_by_label("Kode").fill(code.lower())
        admin.get_by_role("button", name="Check-in").click()
        expect(admin.locator("#check-in-result")).to_contain_text("sudah check-in")
        people.shoot("admin", "2-checked-in")
        people.expect_refusal("admin", 409, r"/check-in$")
        admin.get_by_label("Kode").fill(code)
        admin.get_by_role("button", name="Check-in").click()
        expect(admin.locator(".form-error")).to_contain_text("Kode ini sudah dipakai untuk check-in.")
        check_phone_page(admin)

        buyer.reload()
        expect(buyer.locator(".registration").filter(has_text=WORKSHOP)).to_contain_text("Sudah hadir")
        assert not people.problems and not people.blocked and not people.refusals, (
            people.problems, people.blocked, people.refusals)
    except Exception:
        people.shoot_all_on_failure()
        raise
