"""The web layer's two jobs that no view repeats: the request's transaction, and errors → HTTP.

**The request owns the transaction** (ARCHITECTURE.md §8). Services never commit; a view calls one
service and returns. :class:`MarketplaceFlask` commits the request's session once, after the view
returned a response below 400, and rolls it back on any exception or error status: a use case is
written whole or not at all. A failing commit (a lost race on a unique key, SQLite busy) is an
exception like any other and goes to the error handlers below, with nothing written. A view that
catches a domain error and still answers 2xx/3xx must roll back itself.

**Errors in one place** (STYLE habit 8). Domain errors (:mod:`marketplace.errors`) carry no status;
:data:`STATUS` maps each kind to one. The API answers
``{"error": {"code": ..., "message": ..., "fields": {...}}}``; pages render ``error.html`` with the
same status.

**Input the routing and the JSON parser refuse** before any view runs: an id in a URL is an
``<int:...>`` that only matches 1..:data:`~marketplace.db.MAX_ID` (what our keys hold; beyond is a
404, never a database overflow), and a JSON body nested too deep or holding a lone surrogate (``"\\ud800"``, which
no database can store) is not JSON to us (400 ``invalid_json``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Request, Response, current_app, g, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from marketplace import errors
from marketplace.db import MAX_ID

#: The HTTP status of each kind of domain error (a subclass takes its nearest listed ancestor's).
STATUS: dict[type[errors.DomainError], int] = {
    errors.BadRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PayloadTooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.ValidationFailed: 422,
    errors.Unavailable: 503,
    errors.DomainError: 400,
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def status_for(err: errors.DomainError) -> int:
    for kind in type(err).__mro__:
        if kind in STATUS:
            return STATUS[kind]  # type: ignore[index]
    return 400


#: How deep a JSON body may nest; our deepest input is an object holding an object (an address).
MAX_JSON_DEPTH = 32
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _at_most(limit: int) -> str:
    """A regex of the decimal numbers 1..``limit`` without leading zeros (so that the routing itself
    refuses the others: a converter's ``ValidationError`` can make werkzeug answer 405 instead of 404)."""
    digits = str(limit)
    shorter = rf"[1-9]\d{{0,{len(digits) - 2}}}"
    same_length = [digits]
    for i, d in enumerate(digits):
        low = "1" if i == 0 else "0"
        if int(d) > int(low):
            same_length.append(f"{digits[:i]}[{low}-{int(d) - 1}]" + (rf"\d{{{len(digits) - i - 1}}}" if i < len(digits) - 1 else ""))
    return "(?:" + "|".join([shorter, *same_length]) + ")"


class IdConverter(IntegerConverter):
    """``<int:name>`` of every route: a row id, 1..:data:`~marketplace.db.MAX_ID` written without leading
    zeros; anything else (0, 007, 2**31, 10**30) matches no route, so it is a 404, never a database
    overflow (PostgreSQL refuses an ``integer`` parameter past 2^31-1: a 500 before this).

    It replaces werkzeug's ``int`` app-wide (:class:`MarketplaceMap`), so every route, present and
    future, is bounded without naming a special converter. It takes no arguments.
    """

    regex = _at_most(MAX_ID)

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=MAX_ID)


class MarketplaceMap(Map):
    default_converters = {**Map.default_converters, "int": IdConverter}


class MarketplaceJSONProvider(DefaultJSONProvider):
    """JSON whose parsing fails with ``ValueError`` (so ``get_json`` answers 400) instead of a
    ``RecursionError`` or a string PostgreSQL cannot store breaking the request later as a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        check_json_value(value)
        return value


def check_json_value(value: Any) -> None:
    """Raise ``ValueError`` when ``value`` nests deeper than :data:`MAX_JSON_DEPTH` or holds a lone
    surrogate in a string or key (walked without recursion: the point is to survive hostile input)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise ValueError("JSON string holds a lone surrogate")
        elif isinstance(item, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise ValueError("JSON nested too deeply")
            if isinstance(item, dict):
                stack.extend((k, depth) for k in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)


def body_limit(limit: Any) -> Any:
    """Give one view a larger request-body cap than ``MAX_CONTENT_LENGTH`` (one photo's worth):
    ``limit(settings)`` → bytes. The new-listing form carries several photos at once. The cap is read
    when the body is parsed (CSRF protection parses it before the view runs), hence on the view."""

    def decorate(view: Any) -> Any:
        view.body_limit = limit
        return view

    return decorate


class MarketplaceRequest(Request):
    """A request whose body cap is its view's :func:`body_limit` when it has one."""

    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        view = current_app.view_functions.get(self.endpoint or "") if self.endpoint else None
        limit = getattr(view, "body_limit", None)
        if limit is not None:
            return int(limit(current_app.config["SETTINGS"]))
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        Request.max_content_length.fset(self, value)  # type: ignore[attr-defined]


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
        (:func:`marketplace.pagecache.cache_headers`), decided once every cookie it sets is known."""
        from marketplace import pagecache

        return pagecache.cache_headers(super().process_response(response))


def _end_transaction(*, commit: bool) -> None:
    session = g.get("db_session")
    if session is None:
        return
    if commit:
        session.commit()
    else:
        session.rollback()


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def is_api_request() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/webhooks/")


def _flatten_webargs_messages(messages: Any) -> dict[str, Any]:
    """webargs nests messages by location (``{"json": {...}}``); the contract names fields only."""
    if isinstance(messages, dict):
        out: dict[str, Any] = {}
        for location, inner in messages.items():
            if location in {"json", "query", "form", "files", "headers", "view_args", "json_or_form", "querystring"} and isinstance(inner, dict):
                out.update(inner)
            else:
                out[location] = inner
        return out
    return {"_schema": messages}


#: What an error page says for each status (msgids; the page shows them in the visitor's language).
PAGE_TEXT: dict[int, tuple[str, str]] = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Please log in", "Authentication is required."),
    403: ("Access denied", "You are not allowed to do this."),
    404: ("Page not found", "The page you are looking for does not exist or has been moved."),
    405: ("Not allowed", "This page cannot be used that way."),
    409: ("Conflict", "The request conflicts with the current state."),
    413: ("Too large", "The upload is too large."),
    415: ("Unsupported file", "This kind of file is not supported."),
    422: ("Invalid input", "The request has invalid fields."),
    429: ("Too many requests", "Too many requests; slow down and try again shortly."),
    500: ("Something went wrong", "Something went wrong on our side; it has been logged."),
    503: ("Temporarily unavailable", "The service is busy; please try again."),
}


def page_message(status: int, message: str | None) -> tuple[str, str]:
    """The title and text of an error page, both in the visitor's language, said once.

    ``message`` (a domain error's own words) is shown when it has an Indonesian translation, so a
    specific reason is never shown in English on the Indonesian site; otherwise (werkzeug's English
    descriptions, untranslated details) the page says what its status means.
    """
    from marketplace import i18n

    title, generic = PAGE_TEXT.get(status, PAGE_TEXT[500] if status >= 500 else PAGE_TEXT[400])
    text = generic
    if message and message in i18n.catalog("id"):
        text = message
    return i18n.gettext(title), i18n.gettext(text)


def _respond(
    status: int, code: str, message: str, fields: dict[str, Any] | None = None, *, page_text: str | None = None
) -> Response | tuple[Any, int]:
    if is_api_request():
        resp = jsonify(error_body(code, message, fields))
        resp.status_code = status
        return resp
    # The page says it once, in its body (no flash as well), in the visitor's language.
    title, text = page_message(status, page_text if page_text is not None else message)
    return render_template("error.html", status=status, title=title, message=text, fields=fields or {}), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(errors.DomainError)
    def _domain(err: errors.DomainError):  # type: ignore[no-untyped-def]
        resp = _respond(status_for(err), err.code, err.message, err.fields)
        if err.retry_after is not None and isinstance(resp, Response):
            resp.headers["Retry-After"] = str(err.retry_after)
        return resp

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):  # type: ignore[no-untyped-def]
        status = err.code or 500
        data = getattr(err, "data", None) or {}
        fields = None
        message = err.description or err.name
        if status in (400, 422) and "messages" in data:
            fields = _flatten_webargs_messages(data["messages"])
            message = "The request has invalid fields." if status == 422 else message
        code = _HTTP_CODES.get(status, "error")
        if status == 400 and fields is None and "JSON" in (message or ""):
            code = "invalid_json"
        if status == 429:
            message = "Too many requests; slow down and try again shortly."
        # werkzeug's descriptions are English prose: a page shows its status's own text instead.
        resp = _respond(status, code, message, fields, page_text="" if status not in (422, 429) else message)
        if isinstance(resp, Response):
            for header in ("Retry-After", "Allow", "WWW-Authenticate"):
                if hasattr(err, "get_headers"):
                    for name, value in err.get_headers():
                        if name == header:
                            resp.headers[name] = value
        return resp

    @app.errorhandler(OperationalError)
    def _database_busy(err: OperationalError):  # type: ignore[no-untyped-def]
        # SQLite (the embedded default) refuses a write whose read snapshot went stale while another
        # process wrote; nothing was written, so the honest answer is "busy, try again".
        if "database is locked" in str(err.orig):
            resp = _respond(503, "database_busy", "The database is busy; please try again.")
            if isinstance(resp, Response):
                resp.headers["Retry-After"] = "1"
            return resp
        return _unexpected(err)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(500, "internal_error", "Something went wrong on our side; it has been logged.")
