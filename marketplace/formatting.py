"""How money, numbers, dates and times read on a page, a receipt or an e-mail: one place, on Babel.

Every function here is pure: it takes the locale code (``"id"`` or ``"en"``) as an argument and
knows nothing of Flask. ``marketplace.web.i18n`` binds them to the visitor's locale and registers them
as the Jinja filters ``idr``, ``number``, ``date`` and ``datetime``; receipts, statements and
e-mails built outside a request call them with the recipient's locale.

The rules, decided once:

* **Rupiah** read the Indonesian way in both languages, ``Rp 125.000``: ``Rp``, a space, ``.`` as
  the thousands separator, no decimals (the rupiah has no minor unit in use). A negative amount, for
  ledger statements, is ``-Rp 125.000``. It is what is printed on Indonesian price tags and
  receipts, and what the price form and its messages ("From Rp 1.000 to Rp 1.000.000.000.") use,
  so an English-reading visitor sees the same figures as the seller typed.
* **Counts** follow the visitor's locale: ``1.234`` in Bahasa Indonesia, ``1,234`` in English.
* **Times** are shown in WIB (``Asia/Jakarta``, UTC+7; the marketplace's home time zone) in the
  visitor's locale, with the label ``WIB`` in both languages (the name Indonesians use; CLDR has it
  for ``id`` only and would write ``+0700`` in English): ``1 Des 2026 16.30 WIB`` and
  ``Dec 1, 2026, 4:30 PM WIB`` (CLDR puts a narrow no-break space before ``PM``). Dates are the
  WIB calendar day: ``1 Des 2026`` / ``Dec 1, 2026``. Datetimes must be timezone-aware (the
  database's ``UTCDateTime`` always returns them so); a naive one is refused rather than guessed.
"""

from __future__ import annotations

import numbers
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.dates import get_datetime_format
from babel.numbers import format_currency, format_decimal, get_group_symbol

TIMEZONE = ZoneInfo("Asia/Jakarta")
TIMEZONE_LABEL = "WIB"  # change together with TIMEZONE

# CLDR's own currency pattern for ``id`` is ``¤#,##0.00`` (``Rp125.000,00``); ours keeps the space
# and drops the decimals. The locale is fixed to ``id`` so that the grouping is Indonesian in English too.
_IDR_PATTERN = "¤ #,##0"


def format_idr(amount: int | None) -> str:
    """``Rp 125.000`` in every language; ``-Rp 125.000`` when negative; ``""`` for no amount.

    Whole rupiah only: a fractional amount is a bug upstream, not something to round quietly.
    """
    if amount is None:
        return ""
    if not isinstance(amount, numbers.Integral) or isinstance(amount, bool):
        raise TypeError(f"rupiah amounts are whole integers, got {amount!r}")
    amount = int(amount)
    if _FAST_IDR:
        return ("-Rp " if amount < 0 else "Rp ") + _grouped(abs(amount), ".")
    return _babel_idr(amount)


def _babel_idr(amount: int) -> str:
    return format_currency(amount, "IDR", format=_IDR_PATTERN, currency_digits=False, locale="id")


def format_number(value: int, locale: str) -> str:
    """A count with the locale's grouping: ``1.234`` (id), ``1,234`` (en)."""
    separator = _GROUP_SEPARATOR.get(locale)
    if separator is not None and type(value) is int:
        return ("-" if value < 0 else "") + _grouped(abs(value), separator)
    return format_decimal(value, locale=locale)


# Whole numbers are grouped here rather than by Babel, which parses its pattern and looks the locale up
# on every call (~20 µs: the home page's hundred counts were a tenth of its render). Only where the
# result is Babel's own: checked below, once, for each locale on sample values (and against Babel for
# many values by tests/unit/test_formatting.py); a locale or a Babel whose output differs keeps Babel.
_SAMPLES = (0, 7, -7, 999, 1000, -1000, 12345, -1234567, 10**15 + 1)


def _grouped(value: int, separator: str) -> str:
    return f"{value:,}".replace(",", separator)


def _fast_separator(locale: str) -> str | None:
    """The locale's grouping symbol, if grouping with it gives Babel's own text for the samples."""
    separator = get_group_symbol(locale=locale)
    if all(("-" if v < 0 else "") + _grouped(abs(v), separator) == format_decimal(v, locale=locale) for v in _SAMPLES):
        return separator
    return None


_GROUP_SEPARATOR = {locale: sep for locale in ("id", "en") if (sep := _fast_separator(locale)) is not None}
_FAST_IDR = all(("-Rp " if v < 0 else "Rp ") + _grouped(abs(v), ".") == _babel_idr(v) for v in _SAMPLES)


def _in_wib(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: pass a timezone-aware one (UTC from the database)")
    return value.astimezone(TIMEZONE)


def format_date(value: date | datetime | None, locale: str) -> str:
    """The WIB calendar day in the locale's medium form: ``1 Des 2026`` / ``Dec 1, 2026``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _in_wib(value).date()
    return _babel_date(value, "medium", locale=locale)


def format_datetime(value: datetime | None, locale: str) -> str:
    """Date and hour:minute in WIB: ``1 Des 2026 16.30 WIB`` / ``Dec 1, 2026, 4:30 PM WIB``.

    The locale's medium date and short time, joined by the locale's own pattern (CLDR
    ``dateTimeFormats``), then the zone label.
    """
    if value is None:
        return ""
    local = _in_wib(value)
    day = _babel_date(local, "medium", locale=locale)
    clock = _babel_time(local, "short", locale=locale)
    joined = get_datetime_format("medium", locale=locale).replace("'", "").replace("{0}", clock).replace("{1}", day)
    return f"{joined} {TIMEZONE_LABEL}"
