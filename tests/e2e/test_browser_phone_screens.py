"""The artisan's and the admin's screens on a 390-px phone (issue #29), on the system started by
``marketplace run`` with its demo data.

The demo artisan and the admin each open every page of their own menu on a phone; every page passes the
page audit (``tests.e2e.audit.audit``: no sideways scroll, no serious or critical axe violation, valid
HTML, Indonesian only). Tables are cards there: the artisan's product rows are as narrow as the screen, each
value labelled with its column's name and the "Ubah" action on the screen; the admin's moderation buttons
and the event-flow tables are reachable without scrolling sideways. On a desktop the same tables stay
tables (a row's cells side by side). Chromium as in ``test_browser.py`` (skipped loudly without it, failed
under ``CI=true``).
"""

from __future__ import annotations

import re
from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.chromium skips the test (or fails it under CI=true)
    expect = None

from tests.e2e.audit import audit, watch
from tests.e2e.conftest import RunningSystem, loopback_only

TIMEOUT_MS = 30_000  # a busy CI machine: the first login hashes a password while the workers start
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "id-ID"}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "id-ID"}
SELLER_PAGES = ("/seller", "/seller/listings", "/seller/listings/new", "/seller/orders", "/seller/payouts",
                "/seller/shop/edit", "/seller/vouchers")
ADMIN_PAGES = ("/admin/moderation", "/admin/orders", "/admin/events", "/admin/payouts", "/admin/reconciliation",
               "/admin/shops", "/admin/sentra", "/admin/vouchers", "/admin/promotions", "/admin/mail",
               "/admin/whatsapp", "/admin/impact")


def log_in(browser: Any, system: RunningSystem, role: str, blocked: list[str], **options: Any) -> Any:
    context = browser.new_context(base_url=system.base_url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    loopback_only(context, system.base_url, blocked)
    page = context.new_page()
    watch(page)
    email, password = system.logins()[role]
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    return page


def on_screen(page: Any, locator: Any) -> None:
    """``locator`` is visible and lies within the screen's width (reachable without sideways scroll)."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (page.url, box, width)


def test_seller_and_admin_screens_on_a_phone(chromium: Any, system: RunningSystem, tmp_path: Any) -> None:
    expect.set_options(timeout=TIMEOUT_MS)
    blocked: list[str] = []
    pages: list[Any] = []
    try:
        artisan = log_in(chromium, system, "artisan", blocked, **PHONE)
        pages.append(artisan)
        for url in SELLER_PAGES:
            response = artisan.goto(url)
            assert response is not None and response.status == 200, (url, response and response.status)
            audit(artisan)
            artisan.screenshot(path=tmp_path / f"seller{url.replace('/', '_')}.png", full_page=True)

        # The products table as cards: a row is as wide as the screen at most, its values labelled with their
        # column's name (the header row itself is hidden), its "Ubah" action on the screen.
        artisan.goto("/seller")
        row = artisan.locator(".seller-listings tbody tr").first
        on_screen(artisan, row)
        expect(row.locator("td.stock")).to_have_attribute("data-label", "Stok")
        on_screen(artisan, row.get_by_role("link", name="Ubah"))
        expect(artisan.locator(".seller-listings thead")).not_to_be_in_viewport()
        cells = [c.bounding_box() for c in row.locator("td").all()[:2]]
        assert cells[1]["y"] >= cells[0]["y"] + cells[0]["height"] - 1, f"cells side by side on a phone: {cells}"
        row.get_by_role("link", name="Ubah").click()
        expect(artisan).to_have_url(re.compile(r"/seller/listings/\d+/edit$"))
        audit(artisan)
        on_screen(artisan, artisan.get_by_role("button", name="Simpan perubahan"))

        admin = log_in(chromium, system, "admin", blocked, **PHONE)
        pages.append(admin)
        for url in ADMIN_PAGES:
            response = admin.goto(url)
            assert response is not None and response.status == 200, (url, response and response.status)
            audit(admin)
            admin.screenshot(path=tmp_path / f"admin{url.replace('/', '_')}.png", full_page=True)
        admin.goto("/admin/moderation")
        item = admin.locator("article").first
        on_screen(admin, item.get_by_role("button", name="Setujui"))
        on_screen(admin, item.get_by_role("button", name="Tolak"))
        admin.goto("/admin/events")
        on_screen(admin, admin.locator("main table tbody tr").first)
        admin.goto("/lang/en?next=/admin/events")
        expect(admin.locator("html")).to_have_attribute("lang", "en")
        audit(admin, lang="en")

        # On a desktop the same table stays a table: a row's cells side by side.
        desktop = log_in(chromium, system, "artisan", blocked, **DESKTOP)
        pages.append(desktop)
        desktop.goto("/seller")
        audit(desktop)
        cells = [c.bounding_box() for c in desktop.locator(".seller-listings tbody tr").first.locator("td").all()[:2]]
        assert abs(cells[0]["y"] - cells[1]["y"]) < 1 and cells[1]["x"] > cells[0]["x"], cells
    except BaseException:
        for i, page in enumerate(pages):
            try:
                page.screenshot(path=tmp_path / f"failure-{i}.png", full_page=True, timeout=5_000)
            except Exception as err:  # noqa: BLE001 - the original failure matters more
                print(f"no failure screenshot: {err}")
        print(f"screenshots in {tmp_path}")
        raise
    finally:
        for page in pages:
            page.context.close()
    assert not blocked, f"the pages asked for something other than the system: {blocked}"

