"""What a visitor reads for money, counts, dates and plurals, in both languages (no app, no database)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from flask import Flask

from marketplace.web import i18n
from marketplace.formatting import format_date, format_datetime, format_idr, format_number

NNBSP = "\u202f"  # CLDR's narrow no-break space before AM/PM in English
# 09:30 UTC on 1 December 2026 is 16:30 in Jakarta.
UTC_AFTERNOON_WIB = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(("amount", "shown"), [
    (125_000, "Rp 125.000"),
    (1_000, "Rp 1.000"),
    (999, "Rp 999"),
    (0, "Rp 0"),
    (1_000_000_000, "Rp 1.000.000.000"),
    (-125_000, "-Rp 125.000"),
    (None, ""),
])
def test_rupiah_reads_the_indonesian_way(amount, shown):
    assert format_idr(amount) == shown


def test_rupiah_is_the_same_in_english_pages():
    with Flask(__name__).test_request_context("/?lang=en"):
        assert i18n.current_locale() == "en" and format_idr(275_000) == "Rp 275.000"


@pytest.mark.parametrize("amount", [125_000.5, Decimal("1.5"), "125000", True])
def test_rupiah_refuses_what_is_not_whole_rupiah(amount):
    with pytest.raises(TypeError):
        format_idr(amount)


def test_counts_follow_the_locale():
    assert format_number(1_234_567, "id") == "1.234.567"
    assert format_number(1_234_567, "en") == "1,234,567"
    assert format_number(42, "id") == "42"


def test_datetimes_are_shown_in_wib():
    assert format_datetime(UTC_AFTERNOON_WIB, "id") == "1 Des 2026 16.30 WIB"
    assert format_datetime(UTC_AFTERNOON_WIB, "en") == f"Dec 1, 2026, 4:30{NNBSP}PM WIB"


def test_an_aware_datetime_in_another_zone_is_converted():
    bali = timezone(timedelta(hours=8))  # WITA
    assert format_datetime(datetime(2026, 12, 1, 17, 30, tzinfo=bali), "id") == "1 Des 2026 16.30 WIB"


def test_the_date_is_the_wib_calendar_day():
    late_utc = datetime(2026, 11, 30, 20, 0, tzinfo=timezone.utc)  # already 1 December, 03:00 WIB
    assert format_date(late_utc, "id") == "1 Des 2026"
    assert format_date(late_utc, "en") == "Dec 1, 2026"
    assert format_datetime(late_utc, "id") == "1 Des 2026 03.00 WIB"
    assert format_date(date(2026, 8, 17), "id") == "17 Agu 2026"


def test_naive_datetimes_are_refused_and_missing_ones_are_blank():
    with pytest.raises(ValueError):
        format_datetime(datetime(2026, 12, 1, 9, 30), "id")
    assert format_datetime(None, "id") == "" and format_date(None, "en") == ""


@pytest.fixture
def catalogue(monkeypatch):
    """An Indonesian catalogue with one plural entry, in the JSON files' format."""
    entries = {"{count} product": {"other": "{count} produk"}, "Products": "Produk"}
    monkeypatch.setattr(i18n, "catalog", lambda locale: entries if locale == "id" else {})
    return entries


@pytest.mark.parametrize(("lang", "n", "shown"), [
    ("id", 1, "1 produk"),
    ("id", 3, "3 produk"),
    ("id", 1234, "1.234 produk"),
    ("en", 1, "1 product"),
    ("en", 0, "0 products"),
    ("en", 3, "3 products"),
    ("en", 1234, "1,234 products"),
])
def test_plurals_follow_the_locale_rules(catalogue, lang, n, shown):
    with Flask(__name__).test_request_context(f"/?lang={lang}"):
        assert i18n.ngettext("{count} product", "{count} products", n) == shown


def test_an_untranslated_plural_falls_back_to_the_english_forms(catalogue):
    assert i18n.current_locale() == "id"  # outside a request
    assert i18n.ngettext("{count} shop", "{count} shops", 1) == "1 shop"
    assert i18n.ngettext("{count} shop", "{count} shops", 2) == "2 shops"


def test_plural_messages_take_other_params_and_an_explicit_count(catalogue):
    assert i18n.ngettext("{count} item in {city}", "{count} items in {city}", 2, city="Solo") == "2 items in Solo"
    assert i18n.ngettext("{count} product", "{count} products", 5, count="lima") == "lima produk"


def test_indonesian_has_one_plural_form_english_two():
    assert {i18n.plural_category(n, "id") for n in (0, 1, 2, 21)} == {"other"}
    assert [i18n.plural_category(n, "en") for n in (0, 1, 2)] == ["other", "one", "other"]


def test_gettext_never_returns_a_plural_entry(catalogue):
    assert i18n.gettext("{count} product") == "{count} product"
    assert i18n.gettext("Products") == "Produk"


def test_counts_and_rupiah_grouped_without_babel_read_exactly_as_babel_writes_them():
    """Whole numbers are grouped by a fast path; what a visitor reads must stay Babel's (CLDR's) text."""
    import random

    from babel.numbers import format_currency, format_decimal

    from marketplace import formatting

    assert set(formatting._GROUP_SEPARATOR) == {"id", "en"} and formatting._FAST_IDR  # the fast path is in use
    rng = random.Random(7)
    values = [0, 1, -1, 999, 1000, -1000, 99_999, 100_000, 10**18] + [rng.randint(-10**13, 10**13) for _ in range(500)]
    for value in values:
        for locale in ("id", "en"):
            assert format_number(value, locale) == format_decimal(value, locale=locale)
        assert format_idr(value) == format_currency(value, "IDR", format="¤ #,##0", currency_digits=False, locale="id")
    assert format_number(1234, "en") == "1,234" and format_number(1234, "id") == "1.234"
