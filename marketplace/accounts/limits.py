"""The login limits the login page and ``POST /api/v1/auth/token`` share: per client address
(``LOGIN_RATE_LIMIT``, every attempt) and per account (``LOGIN_ACCOUNT_RATE_LIMIT``, failed attempts
only, keyed by the normalised e-mail, whatever address they come from — a guesser who changes address
with every try still meets it). A locked account is told 429 like a busy address; the password reset
stays open to its owner."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from marketplace.accounts.lookalike import normalise
from marketplace.web.extensions import limiter


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
