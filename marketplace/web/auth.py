"""Who is calling: bearer tokens for the API, the session cookie for pages; role checks for both.

The session cookie (Flask's, signed with ``SECRET_KEY``) carries only the id of a server-side
session (``user_sessions``) under ``sid``; every page request looks it up, so a logout, a password
change or a suspension ends it for every copy of the cookie. Sessions end after
``SESSION_IDLE_HOURS`` without a request and ``SESSION_MAX_DAYS`` after the login.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from typing import Any, Callable, TypeVar

from flask import current_app, g, redirect, request, session, url_for

from marketplace.accounts import services
from marketplace.web.apidoc import add_manual_doc, auth_doc
from marketplace.accounts.models import ApiToken, User
from marketplace.db import utcnow
from marketplace.web import activity
from marketplace.web.transaction import WRITE_METHODS, get_session
from marketplace.errors import Forbidden, Unauthorized
from marketplace.web.deps import deps

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
    token_id: int | None = None
    if request.path.startswith("/api/"):
        token = _bearer_token()
        if token:
            found = services.user_for_token(get_session(), token)
            if found is None:
                raise Unauthorized("The access token is invalid, expired or revoked.")
            user, token_id = found
    else:
        user = _session_user()
    g.current_user = user
    g.current_token_id = token_id
    return user



def _session_user() -> User | None:
    """The user of the cookie's server-side session; a dead session's cookie is cleared."""
    raw_id = session.get("sid")
    if not isinstance(raw_id, str):
        if "user_id" in session:  # a cookie from before server-side sessions: log it out
            session.clear()
        return None
    settings = deps().settings
    found = services.user_for_session(get_session(), raw_id, idle=timedelta(hours=settings.session_idle_hours),
                                      lifetime=timedelta(days=settings.session_max_days))
    if found is None:
        session.clear()
        return None
    user, row = found
    if services.session_needs_touch(row):
        if request.method in WRITE_METHODS:  # the request's own (writer's) session commits it
            row.last_seen_at = utcnow()
        else:  # a read never writes: noted, and written behind within seconds
            activity.current().session_seen(row.id, utcnow())
    return user


def current_token() -> ApiToken | None:
    """The row of the bearer token this API request authenticated with, or None."""
    current_user()
    token_id = g.get("current_token_id")
    return None if token_id is None else services.token_row(get_session(), token_id)


def _check_write(user: User) -> None:
    """Run the app's write guards (``app.extensions["write_guards"]``) on a request that changes
    something: a feature may refuse it for this user (a suspended shop's artisan,
    ``marketplace.shops.views``). Here, at the authentication choke point inside the view, rather
    than in a ``before_request``: on SQLite that would take the request's write lock before the view's
    own steps (the login rate limit has its own transaction)."""
    if request.method not in WRITE_METHODS:
        return
    for guard in current_app.extensions.get("write_guards", ()):
        guard(user)


def require_user(*roles: str) -> User:
    """The current user, raising 401 if anonymous and 403 if not one of ``roles`` (when given) or if a
    write guard refuses the change."""
    user = current_user()
    if user is None:
        raise Unauthorized("Log in first (send 'Authorization: Bearer <token>').")
    if roles and user.role not in roles:
        raise Forbidden(f"This needs the role: {' or '.join(roles)}.")
    _check_write(user)
    return user


def api_auth(*roles: str) -> Callable[[F], F]:
    """API decorator: require a bearer token (and one of ``roles``); the OpenAPI document says so."""

    def decorate(fn: F) -> F:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            require_user(*roles)
            return fn(*args, **kwargs)

        add_manual_doc(wrapper, auth_doc(roles))
        wrapper.required_roles = roles  # type: ignore[attr-defined]  # read by authorise_first
        return wrapper  # type: ignore[return-value]

    return decorate


def authorise_first() -> None:
    """Who may call the endpoint, before anything about the request is judged: a guard that would
    refuse the request's input (:mod:`marketplace.web.guards`) calls this first, so an anonymous or
    wrong-role caller hears 401/403, never what was wrong with a request it may not make."""
    view = current_app.view_functions.get(request.endpoint or "")
    roles = getattr(view, "required_roles", None)
    if roles is not None:
        require_user(*roles)


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
            _check_write(user)
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def log_in(user: User) -> None:
    """A new server-side session (and a new cookie: no fixation of an id the visitor had before); a
    session the cookie still named (logging in again, or after a password change) is ended."""
    previous = session.get("sid")
    if isinstance(previous, str):
        services.end_session(get_session(), previous)
    raw_id = services.start_session(get_session(), user)
    session.clear()
    session["sid"] = raw_id
    session.permanent = True
    g.current_user = user


def log_out() -> None:
    """End the server-side session, so a copy of the cookie made before opens nothing."""
    raw_id = session.get("sid")
    if isinstance(raw_id, str):
        services.end_session(get_session(), raw_id)
    session.clear()
    g.current_user = None


def init_app(app: Any) -> None:
    app.extensions["authorise_first"] = authorise_first  # for marketplace.web.guards (no import circle)

    @app.context_processor
    def _inject_user() -> dict[str, Any]:
        try:
            return {"current_user": current_user()}
        except Unauthorized:
            return {"current_user": None}

