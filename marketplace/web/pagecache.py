"""Anonymous catalogue reads: HTTP validators for shared caches, and a per-process copy of the answer.

Why (issue #15): the home page, the search page, a listing page and ``GET /api/v1/listings`` are the
same bytes for every first-time visitor, yet each one cost a few queries and a template render (70-150 ms
of one core). A view decorated with :func:`anonymous` is answered from this process's copy while the
catalogue has not changed, and its answer carries ``ETag``/``Last-Modified`` so a browser or a proxy
can revalidate it (``304 Not Modified``).

**What is shared, and what never is.** Only a request that carries no credentials at all is eligible:
GET or HEAD, no session cookie, no ``Authorization`` header. Everything such a page can show is then a
function of the URL (path and query), the host and scheme, the language and the catalogue — the
header's cart count is 0 and there are no flashed messages, because there is no session to hold them.
A logged-in visitor, a visitor with a session cart, a buyer with a token: always rendered afresh, and
answered ``Cache-Control: private, no-store`` (:func:`cache_headers`, for every HTML/JSON answer that
is not marked shareable). The one per-visitor part an anonymous page may hold is its CSRF token (the
listing page's "add to cart" form): such a page is kept with the token cut out, a fresh token is put in
for every visitor (a new session cookie, as before), and it is never shared (``private, no-store``, no
validators). An answer that sets any other cookie (a UTM landing's ``pk_visit``) or whose view touched
the session otherwise is neither kept nor shared.

**When a copy is dropped.** Every copy is tagged with the catalogue version
(:mod:`marketplace.catalog.changes`) read before the view ran, and is dropped once it moved: at once for
a change committed by this process, within milliseconds for one committed by any other process on
PostgreSQL (``LISTEN``/``NOTIFY``). A copy is served at most ``PAGE_CACHE_SECONDS`` (default 30; 0
turns the copy off, the HTTP validators stay). Where other processes' changes cannot be announced —
SQLite, or while the listening connection is down — a copy lives at most
:data:`changes.UNNOTIFIED_SECONDS <marketplace.catalog.changes.UNNOTIFIED_SECONDS>` (the rule is
:func:`changes.lifetime`, shared with :mod:`marketplace.catalog.memo`), which bounds how late an
anonymous visitor sees another process's change. Nobody who changes the catalogue reads through the
copy: they are logged in. (What logged-in visitors are rendered from is memoised one level down:
:mod:`marketplace.catalog.memo`.)
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import wraps
from typing import Any, Callable, TypeVar

from flask import Flask, Response, current_app, g, request, session
from werkzeug.http import generate_etag

from marketplace.catalog import changes
from marketplace.web import deps, i18n

F = TypeVar("F", bound=Callable[..., Any])

SHARED = "public, max-age=0, must-revalidate"
PRIVATE = "private, no-store"
_CSRF_SLOT = b"\x00pk-csrf\x00"


@dataclass(frozen=True)
class Entry:
    body: bytes
    headers: tuple[tuple[str, str], ...]
    version: int
    stored: float  # time.monotonic()
    last_modified: datetime
    etag: str | None  # None: holds a CSRF slot, never shared
    csrf: bool


class PageCache:
    """A bounded LRU of anonymous answers (``app.extensions['page_cache']``), safe across threads."""

    def __init__(self, seconds: int, entries: int, catalog: changes.CatalogChanges,
                 listener: changes.Listener | None = None):
        self.catalog = catalog
        self.seconds = seconds
        self.max_entries = max(1, entries)
        self.listener = listener
        self._entries: OrderedDict[tuple[str, ...], Entry] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    def get(self, key: tuple[str, ...]) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.version != self.catalog.version() or (time.monotonic() - entry.stored
                                                     >= changes.lifetime(self.seconds, self.listener, entry.stored)):
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple[str, ...], entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def init_app(app: Flask) -> None:
    settings = deps.of(app).settings
    listener = None
    if settings.page_cache_seconds > 0:
        listener = app.extensions["catalog_changes"].listen(app.extensions["db"].engine)
    app.extensions["page_cache"] = PageCache(settings.page_cache_seconds, settings.page_cache_entries,
                                             app.extensions["catalog_changes"], listener)


def _eligible() -> bool:
    """A request without credentials: its answer is the same for every such visitor."""
    return (request.method in ("GET", "HEAD")
            and current_app.config["SESSION_COOKIE_NAME"] not in request.cookies
            and "Authorization" not in request.headers)


def _key() -> tuple[str, ...]:
    return (request.endpoint or "", request.scheme, request.host, request.full_path,
            i18n.current_locale())


_SKIPPED_HEADERS = frozenset({"set-cookie", "vary", "content-length", "etag", "last-modified", "cache-control"})


def _store(response: Response, version: int) -> Entry | None:
    """The entry for ``response`` when it may be kept: a 200 that touched the session only for a CSRF token."""
    if response.status_code != 200 or response.direct_passthrough or response.headers.getlist("Set-Cookie"):
        return None
    body = response.get_data()
    csrf = False
    if session.modified or (session.accessed and dict(session)):
        token = g.get("csrf_token")
        if not (isinstance(token, str) and set(session.keys()) == {"csrf_token"} and token.encode() in body):
            return None
        body = body.replace(token.encode(), _CSRF_SLOT)
        csrf = True
    headers = tuple((k, v) for k, v in response.headers.items() if k.lower() not in _SKIPPED_HEADERS)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    return Entry(body=body, headers=headers, version=version, stored=time.monotonic(), last_modified=now,
                 etag=None if csrf else generate_etag(body), csrf=csrf)


def _respond(entry: Entry) -> Response:
    body = entry.body
    if entry.csrf:
        from flask_wtf.csrf import generate_csrf

        body = body.replace(_CSRF_SLOT, generate_csrf().encode())
    response = current_app.response_class(body, status=200, headers=list(entry.headers))
    if entry.etag is not None:
        _mark_shared(response, entry.etag, entry.last_modified)
    return response


def _mark_shared(response: Response, etag: str, last_modified: datetime | None) -> None:
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    g.pk_shareable = True


def anonymous(view: F) -> F:
    """Answer an anonymous GET of ``view`` from this process's copy while the catalogue is unchanged
    (see module doc); its answer carries validators and may be shared. Others run ``view`` as usual."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _eligible():
            return view(*args, **kwargs)
        cache: PageCache = current_app.extensions["page_cache"]
        key = _key()
        if cache.enabled:
            entry = cache.get(key)
            if entry is not None:
                g.pk_page_cache = "hit"
                return _respond(entry)
        version = cache.catalog.version()
        response = current_app.make_response(view(*args, **kwargs))
        g.pk_page_cache = "miss"
        entry = _store(response, version)
        if entry is None:
            return response
        if cache.enabled:
            cache.put(key, entry)
        if entry.etag is not None:
            _mark_shared(response, entry.etag, entry.last_modified if cache.enabled else None)
        return response

    return wrapper  # type: ignore[return-value]


def cache_headers(response: Response) -> Response:
    """Last word on ``Cache-Control`` (after the session cookie was written): a shareable anonymous
    answer that sets no cookie is ``public`` with validators (and a 304 when they match); every other
    HTML or JSON answer is ``private, no-store``. Answers that chose their own (media, feeds) keep it."""
    if "Cache-Control" in response.headers:
        return response
    if g.get("pk_shareable") and response.status_code == 200 and not response.headers.getlist("Set-Cookie"):
        response.headers["Cache-Control"] = SHARED
        response.vary.add("Cookie")
        if request.path.startswith("/api/"):
            response.vary.add("Authorization")
        return response.make_conditional(request)
    if response.mimetype in ("text/html", "application/json"):
        response.headers["Cache-Control"] = PRIVATE
        if g.get("pk_shareable"):  # validators of a page that turned out per-visitor (a cookie was set)
            response.headers.pop("ETag", None)
            response.headers.pop("Last-Modified", None)
    return response
