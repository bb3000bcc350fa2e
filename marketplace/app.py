"""The Flask application factory: config, extensions, API, blueprints, error handlers, guards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, jsonify, request
from flask_smorest import Api

from marketplace.apidoc import make_api

from marketplace.config import Settings
from marketplace.db import Database
from marketplace.errors import BadRequest, UnsupportedMediaType, ValidationFailed
from marketplace.web import MarketplaceFlask, register_error_handlers
from marketplace.extensions import csrf, limiter

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app from ``settings`` (default: the environment). Nothing here runs at import time."""
    settings = settings or Settings.from_env()
    app = MarketplaceFlask(__name__)
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.effective_secret_key(),
        DATABASE_URL=settings.database_url,
        TESTING=settings.testing,
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(days=settings.session_max_days),
        MAX_CONTENT_LENGTH=settings.max_image_bytes + 256 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
        LOGIN_RATE_LIMIT=settings.login_rate_limit,
        REGISTER_RATE_LIMIT=settings.register_rate_limit,
        API_TOKEN_TTL_HOURS=settings.api_token_ttl_hours,
        API_TITLE="Pasar Kreatif API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]

    Database().init_app(app)
    csrf.init_app(app)
    import marketplace.ratelimit  # noqa: F401  (registers the ``database://`` rate-limit storage)

    limiter.init_app(app)

    from marketplace import headers, i18n, pagecache
    from marketplace.accounts import security
    from marketplace.catalog import memo

    i18n.init_app(app)
    security.init_app(app)
    pagecache.init_app(app)
    memo.init_app(app)

    api = make_api(app)  # our error shape, per-operation security (marketplace/apidoc.py)
    app.extensions["api"] = api
    _register_blueprints(app, api)
    register_error_handlers(app)
    _register_api_guards(app)
    headers.init_app(app, settings)
    _register_health(app)
    return app


def _register_blueprints(app: Flask, api: Api) -> None:
    from marketplace import blueprints

    for bp in blueprints.api_blueprints():
        api.register_blueprint(bp)
        csrf.exempt(bp)  # the API authenticates with bearer tokens, not cookies
    for bp in blueprints.page_blueprints():
        app.register_blueprint(bp)


def _nul_fields(value: Any, path: str = "") -> list[str]:
    """Names (dotted paths) of the fields whose text holds a NUL character."""
    if isinstance(value, str):
        return [path or "_schema"] if "\x00" in value else []
    if isinstance(value, dict):
        found = [path or "_schema"] if any(isinstance(k, str) and "\x00" in k for k in value) else []
        for k, v in value.items():
            found += _nul_fields(v, f"{path}.{k}" if path else str(k))
        return found
    if isinstance(value, list):
        return [f for i, v in enumerate(value) for f in _nul_fields(v, f"{path}.{i}" if path else str(i))]
    return []


def _may_hold_nul(body: bytes) -> bool:
    """Whether a JSON body can decode to text with a NUL: in UTF-8 only through the escape ``\\u0000``
    (JSON refuses raw control characters); a UTF-16 or UTF-32 body has NUL bytes. Most bodies have
    neither, and their parsed value need not be walked."""
    return b"\x00" in body or b"\\u0000" in body


def _register_api_guards(app: Flask) -> None:
    @app.before_request
    def _reject_nul_characters() -> None:
        """NUL is never valid text here, and PostgreSQL cannot store it: refuse it up front, naming the field."""
        bad = _nul_fields(request.args.to_dict(flat=False))
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            bad += _nul_fields(request.form.to_dict(flat=False))
        elif request.is_json and _may_hold_nul(request.get_data(cache=True)):
            bad += _nul_fields(request.get_json(silent=True))
        if bad:
            names = sorted({b.split(".")[0] if b.split(".")[-1].isdigit() and b.count(".") == 1 else b for b in bad})
            raise ValidationFailed(
                "NUL characters are not allowed.", fields={n: ["NUL characters are not allowed."] for n in names}
            )

    @app.before_request
    def _require_json_body() -> None:
        """A body sent to the JSON API must be JSON (uploads are multipart)."""
        if not request.path.startswith(API_PREFIX) or request.method not in ("POST", "PUT", "PATCH"):
            return
        if request.mimetype == "multipart/form-data":
            return
        if not request.content_length and not request.get_data(cache=True):
            return
        if not request.is_json:
            raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")
        if request.get_json(silent=True) is None:
            raise BadRequest("The body is not valid JSON.", code="invalid_json")


def _register_health(app: Flask) -> None:
    from marketplace import health

    @app.get("/healthz")
    def healthz() -> Any:
        """The process is alive."""
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> Any:
        """The database and the broker are reachable."""
        checks = health.readiness(app)
        ok = all(c["ok"] for c in checks.values())
        return jsonify({"status": "ok" if ok else "unavailable", "checks": checks}), (200 if ok else 503)

    csrf.exempt(healthz)
    csrf.exempt(readyz)


