"""The Flask application factory: config, extensions, API, blueprints, error handlers, guards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, jsonify
from flask_smorest import Api

from marketplace.ops import breakers
from marketplace.catalog import changes, memo
from marketplace.config import Settings
from marketplace.db import Database
from marketplace.web import activity, auth, compression, deps, guards, headers, i18n, pagecache, transaction
from marketplace.web.apidoc import make_api
from marketplace.web.deps import Dependencies
from marketplace.web.errors import register_error_handlers
from marketplace.web.extensions import csrf, limiter
from marketplace.web.guards import API_PREFIX
from marketplace.web.transaction import MarketplaceFlask


def create_app(settings: Settings | None = None, dependencies: Dependencies | None = None) -> Flask:
    """Build the app from ``settings`` (default: the environment) and its dependencies (default: built
    from the settings, :class:`~marketplace.web.deps.Dependencies`). Nothing here runs at import time."""
    settings = dependencies.settings if dependencies is not None else settings or Settings.from_env()
    app = MarketplaceFlask("marketplace")  # templates and static files are the package's
    app.config.update(
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
        LOGIN_ACCOUNT_RATE_LIMIT=settings.login_account_rate_limit,
        REGISTER_RATE_LIMIT=settings.register_rate_limit,
        CONVERSATION_RATE_LIMIT=settings.conversation_rate_limit,
        MESSAGE_RATE_LIMIT=settings.message_rate_limit,
        API_TOKEN_TTL_HOURS=settings.api_token_ttl_hours,
        API_TITLE="Pasar Kreatif API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]

    deps.init_app(app, dependencies or Dependencies.from_settings(settings))
    app.extensions["catalog_changes"] = catalog_changes = changes.CatalogChanges()  # the app's catalogue versions
    database = Database(hooks=[catalog_changes])
    transaction.init_app(app, database)
    breakers.record_to(database.transaction)  # this process's circuit openings, for /readyz
    activity.init_app(app, database, settings.activity_flush_seconds)
    csrf.init_app(app)
    compression.init_app(app)
    import marketplace.web.ratelimit  # noqa: F401  (registers the ``database://`` rate-limit storage)

    limiter.init_app(app)

    i18n.init_app(app)
    auth.init_app(app)
    pagecache.init_app(app)
    memo.init_app(app)

    api = make_api(app)  # our error shape, per-operation security (marketplace/web/apidoc.py)
    app.extensions["api"] = api
    _register_blueprints(app, api)
    register_error_handlers(app)
    guards.init_app(app)
    headers.init_app(app, settings)
    _register_health(app)
    return app


def close_app(app: Flask) -> None:
    """Write what page reads noted (:mod:`marketplace.web.activity`), then close the database's
    connections: the end of a server process, or of a test's app."""
    activity.of(app).close()
    app.extensions["db"].dispose()


def _register_blueprints(app: Flask, api: Api) -> None:
    from marketplace.web import blueprints

    for bp in blueprints.api_blueprints():
        api.register_blueprint(bp)
        csrf.exempt(bp)  # the API authenticates with bearer tokens, not cookies
    for bp in blueprints.page_blueprints():
        app.register_blueprint(bp)


def _register_health(app: Flask) -> None:
    from marketplace.web import health

    @app.get("/healthz")
    def healthz() -> Any:
        """The process is alive."""
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> Any:
        """The database and the broker are reachable (503 if not); ``degraded`` while an outside service's
        circuit is open (still 200: orders are taken and its calls retried later)."""
        checks = health.readiness(app)
        ok = all(c["ok"] for c in checks.values())
        status = "unavailable" if not ok else "degraded" if checks["outside_services"]["degraded"] else "ok"
        return jsonify({"status": status, "checks": checks}), (200 if ok else 503)

    csrf.exempt(healthz)
    csrf.exempt(readyz)


