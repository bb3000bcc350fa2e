"""Errors → HTTP, in one place (STYLE habit 8).

Domain errors (:mod:`marketplace.errors`) carry no status; :data:`STATUS` maps each kind to one. The API
answers ``{"error": {"code": ..., "message": ..., "fields": {...}}}``; pages render ``error.html`` with the
same status. "Database busy" (SQLite's lock, PostgreSQL's lock or statement timeout, a serialization or
deadlock abort: nothing was written) is 503 ``database_busy`` with ``Retry-After`` on both backends.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from marketplace import errors
from marketplace.db import is_database_busy

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
    from marketplace.web import i18n

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
        # A lock we waited for too long, a write refused because another one won, or a connection the
        # server closed mid-request (a read was already retried once): nothing was written, so the
        # honest answer is "busy, try again" (marketplace.db.is_database_busy).
        if is_database_busy(err) or err.connection_invalidated:
            resp = _respond(503, "database_busy", "The database is busy; please try again.")
            if isinstance(resp, Response):
                resp.headers["Retry-After"] = "1"
            return resp
        return _unexpected(err)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(500, "internal_error", "Something went wrong on our side; it has been logged.")
