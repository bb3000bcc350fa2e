"""The public programme figures (``/program``, issue #27) in a real phone browser on the system started by
``marketplace run``: the page fits the 390-px screen in Bahasa Indonesia (``check_phone_page``: width,
unique ids, labels, no English, the page audit) and in English (the same audit in English), shows the
training funnel, and draws one kelurahan grid per city. Uses the fixtures of ``test_browser`` (the system,
the browser); skipped without Chromium."""

from __future__ import annotations

from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.chromium skips the test (or fails it under CI=true)
    expect = None

from tests.e2e.audit import audit
from tests.e2e.conftest import RunningSystem
from tests.e2e.phone import PHONE_390, PATIENCE_MS
from tests.e2e.test_browser import People, check_phone_page


def test_the_programme_figures_on_a_phone_in_both_languages(chromium: Any, system: RunningSystem,
                                                            crowd: People) -> None:
    expect.set_options(timeout=PATIENCE_MS)
    page = crowd.open("visitor", **PHONE_390)
    page.context.set_default_timeout(PATIENCE_MS)
    page.context.set_default_navigation_timeout(PATIENCE_MS)
    page.goto("/program")
    expect(page.get_by_role("heading", name="Angka program")).to_be_visible()
    expect(page.get_by_role("heading", name="Corong pelatihan")).to_be_visible()
    assert page.locator("svg.kelurahan-grid").count() == 2
    check_phone_page(page)
    crowd.shoot("visitor", "program-id")
    page.goto("/program?lang=en")
    expect(page.get_by_role("heading", name="Programme figures")).to_be_visible()
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"/program in English is wider than the phone: {width}"
    audit(page, "en")
    crowd.shoot("visitor", "program-en")
    assert not crowd.problems, crowd.problems
