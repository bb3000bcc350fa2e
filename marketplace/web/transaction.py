"""The request owns the transaction (ARCHITECTURE.md §8).

Services never commit; a view calls one service and returns. :class:`MarketplaceFlask` commits the
request's session once, after the view returned a response below 400, and rolls it back on any exception
or error status: a use case is written whole or not at all. A failing commit (a lost race on a unique
key, a busy database) is an exception like any other and goes to the error handlers
(:mod:`marketplace.web.errors`), with nothing written.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g

from marketplace.web.guards import MarketplaceJSONProvider, MarketplaceMap, MarketplaceRequest

class MarketplaceFlask(Flask):
    """Flask whose every view runs as one unit of work on the request's session (see module doc), with
    bounded ids in URLs and a JSON parser that refuses what we cannot store."""

    url_map_class = MarketplaceMap
    json_provider_class = MarketplaceJSONProvider
    request_class = MarketplaceRequest

    def dispatch_request(self) -> Any:  # type: ignore[override]
        try:
            rv = super().dispatch_request()
            response = self.make_response(rv)
            if response.status_code < 400:
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


def _end_transaction(*, commit: bool) -> None:
    session = g.get("db_session")
    if session is None:
        return
    if commit:
        session.commit()
    else:
        session.rollback()
