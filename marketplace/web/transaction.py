"""The request owns the transaction (ARCHITECTURE.md §8).

Services never commit; a view calls one service and returns. :class:`MarketplaceFlask` commits the
request's session once, after the view returned a response below 400, and rolls it back on any exception
or error status: a use case is written whole or not at all. A failing commit (a lost race on a unique
key, a busy database) is an exception like any other and goes to the error handlers
(:mod:`marketplace.web.errors`), with nothing written.

**A refused use case leaves nothing behind, whatever the answer.** A page often answers a domain error
with 200 (the form again, its messages on it) or a redirect with a flash: statuses that would commit.
:func:`discard` (called by :func:`marketplace.web.forms.show_errors` and
:func:`~marketplace.web.forms.flash_refusal`, never by a view) rolls back what the request wrote so far,
so the page shows things as they are, and marks the request so that it ends in a rollback too: views
never roll back by hand.

The request's session (:func:`get_session`) is opened lazily: a reader's for GET and HEAD, the
writer's for the methods that change state (on SQLite the writer takes the write lock up front).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from marketplace.db import Database
from marketplace.web.guards import MarketplaceJSONProvider, MarketplaceMap, MarketplaceRequest
from marketplace.web.language_urls import LanguageUrls

class MarketplaceFlask(LanguageUrls, Flask):
    """Flask whose every view runs as one unit of work on the request's session (see module doc), with
    bounded ids in URLs and a JSON parser that refuses what we cannot store."""

    url_map_class = MarketplaceMap
    json_provider_class = MarketplaceJSONProvider
    request_class = MarketplaceRequest

    def dispatch_request(self) -> Any:  # type: ignore[override]
        """The view as one unit of work. A read whose database connection the server closed under it (a
        restart, a failover, ``pg_terminate_backend``) runs once more on a fresh connection: it wrote
        nothing, so the reader never sees the outage. A write so interrupted is not repeated (the
        error handlers answer 503 ``database_busy``: nothing of it was committed)."""
        return self._read_again_if_lost(self._dispatch_once)

    def preprocess_request(self) -> Any:  # type: ignore[override]
        """The ``before_request`` hooks (who is logged in, …), with the same retry as the view."""
        return self._read_again_if_lost(super().preprocess_request)

    def _read_again_if_lost(self, step: Callable[[], Any]) -> Any:
        try:
            return step()
        except DBAPIError as err:
            if not err.connection_invalidated or request.method not in READ_METHODS or g.get(_RETRIED):
                raise
            setattr(g, _RETRIED, True)
            self.logger.warning("database connection lost during %s %s; reading again on a fresh one",
                                request.method, request.path)
            _forget_session()
            return step()

    def _dispatch_once(self) -> Any:
        try:
            rv = super().dispatch_request()
            response = self.make_response(rv)
            if response.status_code < 400 and not g.get(_REFUSED, False):
                _end_transaction(commit=True)
            else:
                _end_transaction(commit=False)
            return response
        except BaseException:
            _end_transaction(commit=False)
            raise

    def process_response(self, response: Response) -> Response:  # type: ignore[override]
        """After the ``after_request`` hooks and the session cookie: who may keep a copy of the answer
        (:func:`marketplace.web.pagecache.cache_headers`), decided once every cookie it sets is known."""
        from marketplace.web import pagecache

        return pagecache.cache_headers(super().process_response(response))


#: The request's flag: a use case was refused (:func:`discard`), so the request ends in a rollback.
_REFUSED = "refused"
#: The methods whose requests may change state: they get the writer's session.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The methods that only read (a lost connection is retried once, see ``dispatch_request``).
READ_METHODS = frozenset({"GET", "HEAD"})
#: The request's flag: its read was already retried once after a lost connection.
_RETRIED = "db_retried"


def init_app(app: Flask, database: Database) -> None:
    """Open ``database`` for ``app`` (``app.extensions["db"]``): each request's session, opened on first
    use by :func:`get_session`, is rolled back (if still open) and closed at the end of the request."""
    database.connect(app.config["DATABASE_URL"])
    app.extensions["db"] = database

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()


def get_session() -> Session:
    """The request's session (the unit of work), opened on first use, rolled back and closed at
    teardown (:func:`init_app`)."""
    session = g.get("db_session")
    if session is None:
        database = get_db()
        if request.method in WRITE_METHODS:
            assert database.write_session_factory is not None
            session = database.write_session_factory()
        else:
            session = database.new_session()
        g.db_session = session
    return session


def get_db() -> Database:
    """The app's :class:`marketplace.db.Database` (its engines and session factories)."""
    return current_app.extensions["db"]


def discard() -> None:
    """Throw away what this request wrote, now and at its end (see the module doc)."""
    setattr(g, _REFUSED, True)
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def _forget_session() -> None:
    """Drop the request's session and what was loaded through it (the user), so the next use opens a
    fresh one on a new connection."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
    g.pop("current_user", None)
    g.pop("current_token_id", None)


def _end_transaction(*, commit: bool) -> None:
    session = g.get("db_session")
    if session is None:
        return
    if commit:
        session.commit()
    else:
        session.rollback()
