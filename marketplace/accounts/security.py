"""Who is calling: bearer tokens for the API, the session cookie for pages; role checks for both."""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable, TypeVar

from flask import current_app, g, redirect, request, session, url_for

from marketplace.accounts import services
from marketplace.apidoc import add_manual_doc, auth_doc
from marketplace.accounts.models import ApiToken, User
from marketplace.db import get_session
from marketplace.errors import Forbidden, Unauthorized

F = TypeVar("F", bound=Callable[..., Any])


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_user() -> User | None:
    """The authenticated user of this request, or None (cached on ``g``)."""
    if "current_user" in g:
        return g.current_user
    user: User | None = None
    token_row: ApiToken | None = None
    if request.path.startswith("/api/"):
        token = _bearer_token()
        if token:
            found = services.user_for_token(get_session(), token)
            if found is None:
                raise Unauthorized("The access token is invalid, expired or revoked.")
            user, token_row = found
    else:
        user_id = session.get("user_id")
        if user_id is not None:
            candidate = get_session().get(User, user_id)
            if candidate is not None and candidate.is_active and session.get("pw") == candidate.password_hash[-16:]:
                user = candidate
            else:
                session.clear()
    g.current_user = user
    g.current_token = token_row
    return user


def current_token() -> ApiToken | None:
    current_user()
    return g.get("current_token")


def require_user(*roles: str) -> User:
    """The current user, raising 401 if anonymous and 403 if not one of ``roles`` (when given)."""
    user = current_user()
    if user is None:
        raise Unauthorized("Log in first (send 'Authorization: Bearer <token>').")
    if roles and user.role not in roles:
        raise Forbidden(f"This needs the role: {' or '.join(roles)}.")
    return user


def api_auth(*roles: str) -> Callable[[F], F]:
    """API decorator: require a bearer token (and one of ``roles``); the OpenAPI document says so."""

    def decorate(fn: F) -> F:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            require_user(*roles)
            return fn(*args, **kwargs)

        add_manual_doc(wrapper, auth_doc(roles))
        return wrapper  # type: ignore[return-value]

    return decorate


def api_optional_auth() -> Callable[[F], F]:
    """API decorator documenting a public operation that reads a token when one is sent (and answers
    401 when it is invalid): its view calls :func:`current_user`. It changes nothing at run time."""

    def decorate(fn: F) -> F:
        add_manual_doc(fn, auth_doc((), optional=True))
        return fn

    return decorate


def login_required(*roles: str) -> Callable[[F], F]:
    """Page decorator: anonymous visitors go to the login page; a wrong role gets 403."""

    def decorate(fn: F) -> F:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("accounts_pages.login", next=request.full_path))
            if roles and user.role not in roles:
                raise Forbidden("You are not allowed to open this page.")
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def log_in(user: User) -> None:
    session.clear()
    session["user_id"] = user.id
    # A password change logs out every other session.
    session["pw"] = user.password_hash[-16:]
    session.permanent = True


def log_out() -> None:
    session.clear()


def init_app(app: Any) -> None:
    @app.context_processor
    def _inject_user() -> dict[str, Any]:
        try:
            return {"current_user": current_user()}
        except Unauthorized:
            return {"current_user": None}

    current_app  # noqa: B018 (keeps the import for type checkers)
