"""User-facing text: Bahasa Indonesia first, English on request.

Message ids are English; ``translations/<locale>/*.json`` (one file per feature, merged) hold the
translations. The locale comes from the
``lang`` cookie (set by ``/lang/<code>``), else ``id``. A test checks that every message used in the
templates and code has an Indonesian translation.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from flask import Flask, g, has_request_context, request

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
_DIR = Path(__file__).parent / "translations"


@lru_cache(maxsize=None)
def catalog(locale: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((_DIR / locale).glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def current_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE
    if "locale" not in g:
        lang = request.args.get("lang") or request.cookies.get("lang") or DEFAULT_LOCALE
        g.locale = lang if lang in LOCALES else DEFAULT_LOCALE
    return g.locale


def gettext(message: str, **params: object) -> str:
    text = catalog(current_locale()).get(message, message)
    return text.format(**params) if params else text


_ = gettext


def format_idr(amount: int | None) -> str:
    """``Rp 125.000`` — Indonesian thousands separator, no decimals."""
    if amount is None:
        return ""
    return "Rp " + f"{int(amount):,}".replace(",", ".")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["_"] = gettext
    app.jinja_env.globals["current_locale"] = current_locale
    app.jinja_env.filters["idr"] = format_idr
