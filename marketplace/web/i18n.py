"""User-facing text: Bahasa Indonesia first, English on request.

Message ids are English; ``translations/<locale>/*.json`` (one file per feature, merged) hold the
translations. A page's locale is its URL's language (``/en/…`` English, the root Bahasa Indonesia:
:mod:`marketplace.web.language_urls`); else ``?lang=``, else the ``lang`` cookie (set by ``/lang/<code>``:
the API, and a form posted to a root URL), else ``id``. A GET of a page asked in another language by
``?lang=`` or the cookie is redirected to that language's URL first.
English has no catalogue: its text is the message id. A test checks that every message used in the
templates and code has an Indonesian translation.

A message with a count goes through ``ngettext(singular, plural, n)``. Its catalogue entry is keyed
by the singular id and maps CLDR plural categories to text, e.g.
``"{count} product": {"other": "{count} produk"}`` (Indonesian has the one category ``other``;
a locale with more adds ``one``, ``few``... as Babel's plural rules name them). ``{count}`` is ``n``
with the locale's grouping (``1.234``) unless the caller passes ``count=`` itself.

Why JSON and not Flask-Babel with ``.po`` files: ``.po`` needs a compile step (``.mo``) that the
install would have to run or the repo would have to carry, and extraction tooling we do not need for
two locales; JSON is read as it is, per feature, and the completeness test reads it directly. Babel
is used for what is hard to hand-write: plural rules here, money, numbers and WIB dates in
``marketplace.formatting``. Moving to ``.po`` later only changes ``catalog()``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from babel import Locale
from flask import Flask, g, has_request_context, request

from marketplace import formatting
from marketplace.web import language_urls
from marketplace.web.language_urls import ENVIRON_KEY

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
SOURCE_LOCALE = "en"  # the language of the message ids, and so of their plural forms
_DIR = Path(__file__).resolve().parent.parent / "translations"  # marketplace/translations

Entry = str | dict[str, str]


@lru_cache(maxsize=None)
def catalog(locale: str) -> dict[str, Entry]:
    merged: dict[str, Entry] = {}
    for path in sorted((_DIR / locale).glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


@lru_cache(maxsize=None)
def _babel_locale(locale: str) -> Locale:
    return Locale.parse(locale)


def plural_category(n: int, locale: str) -> str:
    """The CLDR plural category of ``n`` in ``locale``: ``other`` always in id; ``one``/``other`` in en."""
    return _babel_locale(locale).plural_form(n)


def current_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE
    if "locale" not in g:
        g.locale = _request_locale()
    return g.locale


def _request_locale() -> str:
    if ENVIRON_KEY in request.environ:
        return request.environ[ENVIRON_KEY]
    asked = request.args.get("lang")
    if asked in LOCALES:
        return asked
    asked = request.cookies.get("lang")  # a page's GET in another language was redirected before
    return asked if asked in LOCALES else DEFAULT_LOCALE


def gettext(message: str, **params: object) -> str:
    text = catalog(current_locale()).get(message, message)
    if not isinstance(text, str):  # a plural entry used through _(): the completeness test forbids it
        text = message
    return text.format(**params) if params else text


_ = gettext


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    """The form of the message for ``n`` by the locale's plural rules, formatted with ``params``."""
    locale = current_locale()
    params.setdefault("count", formatting.format_number(n, locale))
    entry = catalog(locale).get(singular)
    if isinstance(entry, dict):
        text = entry.get(plural_category(n, locale), entry.get("other", plural))
    else:
        text = singular if plural_category(n, SOURCE_LOCALE) == "one" else plural
    return text.format(**params)


def init_app(app: Flask) -> None:
    language_urls.init_app(app)
    app.jinja_env.globals["_"] = gettext
    app.jinja_env.globals["ngettext"] = ngettext
    app.jinja_env.globals["current_locale"] = current_locale
    app.jinja_env.filters["idr"] = formatting.format_idr
    app.jinja_env.filters["number"] = lambda value: formatting.format_number(value, current_locale())
    app.jinja_env.filters["date"] = lambda value: formatting.format_date(value, current_locale())
    app.jinja_env.filters["datetime"] = lambda value: formatting.format_datetime(value, current_locale())
