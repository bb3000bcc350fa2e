"""The language is in the URL (:mod:`marketplace.language_paths`): ``/en/…`` is English, the root is
Bahasa Indonesia, so each language of a page has an address of its own that a search engine can index
and a chat can share.

Done in one place rather than in every view and template:

* :class:`LanguagePrefix`, a WSGI middleware, takes ``/en`` off the path before routing and notes the
  language in the environ (:data:`ENVIRON_KEY`): the views and their routes know nothing of it.
* :class:`LanguageUrls` (mixed into the app class) puts every ``url_for`` of a page back under ``/en``
  while the request is English, so links and form targets on an English page stay English; the API,
  static files and media keep their one URL.
* :func:`_keep_language_on_redirect` does the same for a redirect to a bare path (a ``next`` that a
  page took from ``request.full_path``, which has no prefix).
* An old preference still works: ``?lang=en`` on a page, or the ``lang`` cookie set by the switch
  (``/lang/<code>``), redirects a GET to that language's URL.
* The ``hreflang`` links (id, en, x-default) and the canonical link of each public page in its
  language are written by :mod:`marketplace.seo.views` (``language_alternates``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, g, has_request_context, redirect, request

from marketplace import language_paths
from marketplace.language_paths import DEFAULT_LANGUAGE, LANGUAGES

ENVIRON_KEY = "marketplace.language"
#: Query parameters that do not make another page (tracking tags, the old language switch).
_NOT_PAGE_PARAMS = ("lang", "fbclid", "gclid")


class LanguagePrefix:
    """WSGI middleware: ``/en/listings/5`` is routed as ``/listings/5`` with the language English."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        language, rest = language_paths.split(environ.get("PATH_INFO") or "/")
        if language != DEFAULT_LANGUAGE:
            environ["PATH_INFO"] = rest
            environ[ENVIRON_KEY] = language
        return self.app(environ, start_response)


def url_language() -> str:
    """The language of the request's URL (``id`` outside a request)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    return request.environ.get(ENVIRON_KEY, DEFAULT_LANGUAGE)


def localizable_request() -> bool:
    return language_paths.localizable(request.path)


class LanguageUrls:
    """Mixed into the Flask class: ``url_for`` of a page, built during an English request, is the
    English URL (relative or ``_external``). Everything else is built as Flask builds it."""

    def url_for(self, /, endpoint: str, **values: Any) -> str:  # type: ignore[override]
        built: str = super().url_for(endpoint, **values)  # type: ignore[misc]
        language = url_language()
        if language == DEFAULT_LANGUAGE:
            return built
        return language_paths.localize_url(built, language, request.script_root)


def page_path(path: str | None = None) -> str:
    """The language-free site path of ``path`` (a URL as ``url_for`` built it), else of this request."""
    if path is None:
        return request.path
    site = urlsplit(path).path
    root = request.script_root
    if root and site.startswith(root + "/"):
        site = site[len(root):]
    query = urlsplit(path).query
    return language_paths.split(site)[1] + (f"?{query}" if query else "")


def request_page() -> str:
    """This page's language-free path and query, without tracking tags."""
    args = [(k, v) for k, v in request.args.items(multi=True)
            if k not in _NOT_PAGE_PARAMS and not k.startswith("utm_")]
    return request.path + (f"?{urlencode(args)}" if args else "")


def _legacy_preference() -> Any:
    """A GET of a page asked in a language by ``?lang=`` or the ``lang`` cookie, at another language's
    URL: a redirect to its URL in that language (the query kept, ``lang`` dropped)."""
    if request.method not in ("GET", "HEAD") or not localizable_request():
        return None
    asked = request.args.get("lang")
    if asked not in LANGUAGES:
        asked = request.cookies.get("lang") if url_language() == DEFAULT_LANGUAGE else None
    if asked not in LANGUAGES or asked == url_language():
        return None
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    target = request.script_root + language_paths.localize(request.path, asked)
    g.pk_language_chosen = True  # a redirect to another language on purpose (see below)
    return redirect(target + (f"?{urlencode(args)}" if args else ""), code=302)


def _keep_language_on_redirect(response: Any) -> Any:
    """A redirect of an English request to one of our pages by a bare path stays English."""
    language = url_language()
    location = response.headers.get("Location")
    if (language == DEFAULT_LANGUAGE or not location or not 300 <= response.status_code < 400
            or g.get("pk_language_chosen")):
        return response
    parts = urlsplit(location)
    if parts.netloc and parts.netloc != request.host:
        return response
    response.headers["Location"] = language_paths.localize_url(location, language, request.script_root)
    return response


def switch_target(code: str, target: str) -> str:
    """Where the language switch leads: the same page (``target``, a safe local path with its query)
    in language ``code``."""
    parts = urlsplit(target)
    path = language_paths.localize(parts.path or "/", code)
    return path + (f"?{parts.query}" if parts.query else "")


def init_app(app: Flask) -> None:
    app.wsgi_app = LanguagePrefix(app.wsgi_app)  # type: ignore[method-assign]
    app.before_request(_legacy_preference)
    app.after_request(_keep_language_on_redirect)
    app.jinja_env.globals["url_language"] = url_language
