"""Accounts JSON API: register, tokens, me, password change.

Logging in and registering are rate-limited per client address, each with one counter shared with its
page (``scope``), so the API and the form together allow the configured number, not twice it."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint

from marketplace.accounts import schemas, services
from marketplace.accounts.lookalike import normalise
from marketplace.accounts.welcome import welcome
from marketplace.db import utcnow
from marketplace.web.deps import deps
from marketplace.web.auth import api_auth, current_token, require_user
from marketplace.web.apidoc import error_responses
from marketplace.web.transaction import get_session
from marketplace.web.extensions import limiter

bp = Blueprint("accounts_api", __name__, url_prefix="/api/v1", description="Accounts and tokens")


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


# The login limits the login page (views.py) and ``POST /api/v1/auth/token`` share: per client address
# (``LOGIN_RATE_LIMIT``, every attempt) and per account (``LOGIN_ACCOUNT_RATE_LIMIT``, failed attempts only,
# keyed by the normalised e-mail whatever address they come from: a guesser who changes address with every
# try still meets it). A locked account is told 429 like a busy address; the password reset stays open.
def _address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _account_key() -> str:
    body = request.get_json(silent=True) if request.is_json else request.form
    email = body.get("email") if isinstance(body, dict) or hasattr(body, "get") else None
    return "account:" + normalise(email if isinstance(email, str) else "")[:254]


def _failed(response: Any) -> bool:
    return response.status_code == 401


def login_limits(view: Any) -> Any:
    """Both limits on a login view (POST only; one counter each for the page and the API)."""
    view = limiter.shared_limit(_account_limit, scope="login-account", key_func=_account_key, methods=["POST"],
                                deduct_when=_failed)(view)
    return limiter.shared_limit(_address_limit, scope="login", methods=["POST"])(view)


@bp.route("/auth/register", methods=["POST"])
@bp.doc(**error_responses(409, 429))
@limiter.shared_limit(_register_limit, scope="register")
@bp.arguments(schemas.RegisterIn)
@bp.response(201, schemas.UserOut)
def register(body: dict[str, Any]) -> Any:
    """Create a buyer or artisan account (rate-limited per client address); a welcome e-mail follows."""
    user = services.register(get_session(), **body)
    welcome(get_session(), deps().settings, user, utcnow())
    return user


@bp.route("/auth/token", methods=["POST"])
@bp.doc(**error_responses(401, 403, 429))
@login_limits
@bp.arguments(schemas.TokenIn)
@bp.response(200, schemas.TokenOut)
def token(body: dict[str, Any]) -> Any:
    """Exchange e-mail and password for an expiring bearer token (rate-limited per client)."""
    session = get_session()
    user = services.authenticate(session, body["email"], body["password"])
    raw, row = services.issue_token(session, user, current_app.config["API_TOKEN_TTL_HOURS"])
    return {"access_token": raw, "token_type": "Bearer", "expires_at": row.expires_at}


@bp.route("/auth/token", methods=["DELETE"])
@api_auth()
@bp.response(204)
def revoke_token() -> None:
    """Revoke the token this request was made with."""
    token_row = current_token()
    assert token_row is not None
    services.revoke_token(get_session(), token_row)


@bp.route("/me", methods=["GET"])
@api_auth()
@bp.response(200, schemas.UserOut)
def me() -> Any:
    """The calling user."""
    return require_user()


@bp.route("/me", methods=["PATCH"])
@api_auth()
@bp.arguments(schemas.ProfileIn)
@bp.response(200, schemas.UserOut)
def patch_me(body: dict[str, Any]) -> Any:
    """Change the caller's phone number (``phone``: an Indonesian mobile number, stored as ``+62…``;
    null removes it). WhatsApp messages also need the opt-in of ``/me/notification-preferences``."""
    return services.update_profile(get_session(), require_user(), **body)


@bp.route("/me/password", methods=["POST"])
@api_auth()
@bp.arguments(schemas.PasswordChangeIn)
@bp.response(204)
def change_password(body: dict[str, Any]) -> None:
    """Change the password: every session and token of the account ends, this request's token too."""
    services.change_password(get_session(), require_user(), **body)
