"""A product link shared from a phone, opened in English (issue #28), on the system started by
``marketplace run``: the share buttons and "copy link" of a product page carry that page's own URL;
the page names its English twin (``hreflang``), which is the same product in English under ``/en``;
the English page names the Indonesian one back; each language is its own URL with the phone checks
(390 px, unique ids, labelled fields, the audit in that language). Uses the fixtures of
``test_browser``; skipped without Chromium."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit


try:
    from playwright.sync_api import expect
except ImportError:  # conftest.chromium skips the test (or fails it under CI=true)
    expect = None

from tests.e2e.audit import audit
from tests.e2e.conftest import RunningSystem
from tests.e2e.phone import PHONE_390, PATIENCE_MS
from tests.e2e.test_browser import People, check_phone_page


def alternates(page: Any) -> dict[str, str]:
    """``hreflang`` → path of the page's language alternates, and ``canonical``."""
    links = page.evaluate("""() => Object.fromEntries([
        ...[...document.querySelectorAll('link[rel=alternate][hreflang]')].map(l => [l.hreflang, l.href]),
        ['canonical', document.querySelector('link[rel=canonical]').href]])""")
    return {name: urlsplit(url).path for name, url in links.items()}


def check_english_phone_page(page: Any) -> None:
    """``check_phone_page``'s checks for a page in English: fits 390 px, unique ids, every label names a
    field, and the audit with ``lang="en"``."""
    facts = page.evaluate("""() => {
        const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
        return {width: document.documentElement.scrollWidth, screen: window.innerWidth,
                repeated: ids.filter((id, i) => ids.indexOf(id) !== i),
                orphans: [...document.querySelectorAll('label[for]')].map(l => l.htmlFor)
                    .filter(id => !document.getElementById(id))};
    }""")
    assert facts["width"] <= facts["screen"], (page.url, facts["width"])
    assert not facts["repeated"] and not facts["orphans"], (page.url, facts)
    audit(page, lang="en")


def test_a_shared_product_link_opens_in_english_and_each_language_names_the_other(
        chromium: Any, system: RunningSystem, crowd: People) -> None:
    expect.set_options(timeout=PATIENCE_MS)
    try:
        visitor = crowd.open("visitor", **PHONE_390)
        visitor.context.set_default_timeout(PATIENCE_MS)
        visitor.context.set_default_navigation_timeout(PATIENCE_MS)
        visitor.goto("/")
        visitor.locator("a.product").first.click()
        expect(visitor).to_have_url(re.compile(r"/listings/\d+$"))
        product_path = urlsplit(visitor.url).path
        title = visitor.locator("h1").first.inner_text().strip()
        check_phone_page(visitor)

        # What the visitor shares is this page: "copy link" and each channel carry its own address.
        copied = urlsplit(visitor.locator("[data-copy-link]").get_attribute("data-copy-link"))
        assert copied.path == product_path and copied.port == system.port
        assert parse_qs(copied.query)["utm_source"] == ["link"]
        whatsapp = visitor.locator("a.share-whatsapp").get_attribute("href")
        assert product_path in parse_qs(urlsplit(whatsapp).query)["text"][0]

        # The page names its English twin; the friend who reads English opens that.
        indonesian = alternates(visitor)
        assert indonesian["canonical"] == indonesian["id"] == indonesian["x-default"] == product_path
        assert indonesian["en"] == "/en" + product_path
        reader = crowd.open("reader", **PHONE_390)
        reader.context.set_default_timeout(PATIENCE_MS)
        reader.context.set_default_navigation_timeout(PATIENCE_MS)
        reader.goto(indonesian["en"])
        expect(reader.locator("html")).to_have_attribute("lang", "en")
        expect(reader.locator("h1").first).to_have_text(title)
        expect(reader.locator(".share-label")).to_have_text("Share:")
        english = alternates(reader)
        assert english == {**indonesian, "canonical": indonesian["en"]}  # the pair resolves both ways
        english_copy = urlsplit(reader.locator("[data-copy-link]").get_attribute("data-copy-link"))
        assert english_copy.path == indonesian["en"]  # shared from the English page: the English link
        assert reader.locator("a.brand").get_attribute("href") == "/en/"  # its links stay English
        check_english_phone_page(reader)

        # Back from the English page to the Indonesian one, by its hreflang link.
        reader.goto(english["id"])
        expect(reader.locator("html")).to_have_attribute("lang", "id")
        expect(reader.locator("h1").first).to_have_text(title)
        check_phone_page(reader)
        crowd.shoot("visitor", "product-in-indonesian")
        crowd.shoot("reader", "product-back-in-indonesian")
    except BaseException:
        crowd.shoot_all_on_failure()
        raise
