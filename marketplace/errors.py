"""Domain errors and their one mapping to HTTP.

Services raise these; the API turns them into
``{"error": {"code": ..., "message": ..., "fields": {...}}}`` and pages into a flashed message with the
same status. Nothing else in the code base builds an error response.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, flash, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str = "", *, fields: dict[str, list[str]] | None = None, code: str | None = None):
        super().__init__(message or self.__class__.__doc__ or self.code)
        self.message = message or (self.__class__.__doc__ or self.code).strip()
        self.fields = fields or {}
        if code:
            self.code = code


class ValidationFailed(DomainError):
    """The request has invalid fields."""

    status = 422
    code = "validation_error"


class BadRequest(DomainError):
    """The request could not be understood."""

    status = 400
    code = "bad_request"


class Unauthorized(DomainError):
    """Authentication is required."""

    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    """You are not allowed to do this."""

    status = 403
    code = "forbidden"


class NotFound(DomainError):
    """Not found."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request conflicts with the current state."""

    status = 409
    code = "conflict"


class PayloadTooLarge(DomainError):
    """The upload is too large."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    """The content type is not supported."""

    status = 415
    code = "unsupported_media_type"


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


def _respond(status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> Response | tuple[Any, int]:
    if is_api_request():
        resp = jsonify(error_body(code, message, fields))
        resp.status_code = status
        return resp
    flash(message, "error")
    return render_template("error.html", status=status, message=message, fields=fields or {}), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError):  # type: ignore[no-untyped-def]
        return _respond(err.status, err.code, err.message, err.fields)

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
        resp = _respond(status, code, message, fields)
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
