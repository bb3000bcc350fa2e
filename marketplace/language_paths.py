"""Each language has its own URLs: Bahasa Indonesia at the root (``/listings/5``), English under
``/en`` (``/en/listings/5``). Flask-free, so the web layer, the mail and WhatsApp texts and the
sitemaps all place a path in a language by the same rule.

Only pages are in a language. The JSON API, webhooks, feeds, health checks, static files, media,
the sitemaps, robots.txt and the ``/lang/<code>`` switch have one URL each (:data:`UNPREFIXED`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
#: The path prefix of each language; the default language has none.
PREFIXES = {"en": "/en"}
#: Paths that are the same in every language (answers that are not pages in a language).
UNPREFIXED = ("/api/", "/webhooks/", "/feeds/", "/healthz", "/readyz", "/static/", "/media/", "/sitemap.xml",
              "/sitemaps/", "/robots.txt", "/lang/", "/en/")


def localizable(path: str) -> bool:
    """Whether ``path`` (a site path, language prefix removed) is a page that exists in each language."""
    return path.startswith("/") and not path.startswith(UNPREFIXED) and path != "/en"


def split(path: str) -> tuple[str, str]:
    """``/en/listings/5`` → ``("en", "/listings/5")``; ``/listings/5`` → ``("id", "/listings/5")``.
    A path with a prefix whose rest is not a page keeps its prefix (``/en/api/v1`` is no English page)."""
    for language, prefix in PREFIXES.items():
        if path == prefix or path.startswith(prefix + "/"):
            rest = path[len(prefix):] or "/"
            if localizable(rest):
                return language, rest
    return DEFAULT_LANGUAGE, path


def localize(path: str, language: str) -> str:
    """``path`` (any language, or none) in ``language``: ``localize("/en/x", "id") == "/x"``."""
    _, rest = split(path)
    if language not in PREFIXES or not localizable(rest):
        return rest
    return PREFIXES[language] + rest


def localize_url(url: str, language: str, root: str = "") -> str:
    """A URL (``/path?q``, or absolute) whose path sits under ``root`` (a mount point such as a
    ``SCRIPT_NAME``, or an absolute base URL's path), placed in ``language``; others unchanged."""
    parts = urlsplit(url)
    root = root.rstrip("/")
    if not parts.path.startswith(root + "/"):
        return url
    site_path = parts.path[len(root):]
    return urlunsplit(parts._replace(path=root + localize(site_path, language)))


def localize_links(context: dict[str, Any], base_url: str, language: str) -> dict[str, Any]:
    """Every ``*_url`` of a mail or WhatsApp ``context`` that is one of our pages on ``base_url``, in
    the recipient's ``language`` (the links a message carries open in the language it is written in)."""
    base = base_url.rstrip("/")
    root = urlsplit(base).path
    out = dict(context)
    for key, value in context.items():
        if key.endswith("_url") and isinstance(value, str) and (value == base or value.startswith(base + "/")):
            out[key] = localize_url(value if value != base else base + "/", language, root)
    return out
