"""Mail templates: one plain-text and one HTML file per message and language, rendered with Jinja2.

``marketplace/templates/notifications/mail/<kind>.<lang>.txt`` sets ``subject`` (``{% set subject
%}…{% endset %}``) and is the plain-text body; ``<kind>.<lang>.html`` extends the language's
``_layout.<lang>.html``. The files are per language, so they need no message ids: a translator edits
the Indonesian file as it reads. Rendering needs no Flask (the worker renders, not the web app): its
own environment has the filters the pages have, bound to the recipient's language (``lang`` in the
context): ``idr`` (``Rp 150.000``), ``datetime`` / ``date`` (in WIB). Undefined names are errors, so
a template that names something its context lacks fails its test instead of mailing a blank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from marketplace import formatting
from marketplace.notifications.kinds import DEFAULT_LANGUAGE, LANGUAGES

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "notifications" / "mail"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@pass_context
def _datetime(ctx: Context, value: datetime | None) -> str:
    return formatting.format_datetime(value, ctx["lang"])


@pass_context
def _date(ctx: Context, value: date | datetime | None) -> str:
    return formatting.format_date(value, ctx["lang"])


@pass_context
def _number(ctx: Context, value: int) -> str:
    return formatting.format_number(value, ctx["lang"])


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"], default=False),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update(idr=formatting.format_idr, datetime=_datetime, date=_date, number=_number)
    return env


def language_or_default(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def render(kind: str, language: str, context: dict[str, Any]) -> Rendered:
    """Subject, text and HTML of message ``kind`` in ``language`` (Bahasa Indonesia if unknown)."""
    lang = language_or_default(language)
    env = environment()
    values = {**context, "lang": lang}
    text_module = env.get_template(f"{kind}.{lang}.txt").make_module(values)
    subject = re.sub(r"[ \t\r\n]+", " ", str(getattr(text_module, "subject", ""))).strip()  # one line
    if not subject:
        raise ValueError(f"{kind}.{lang}.txt sets no subject")
    html = env.get_template(f"{kind}.{lang}.html").render({**values, "subject": subject})
    return Rendered(subject=subject[:300], text=str(text_module).strip() + "\n", html=html)
