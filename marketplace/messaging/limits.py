"""Per-user rate limits on new conversations and on messages, with the app's Flask-Limiter (its shared
storage: every web process counts on one counter). The API and the chat pages share each counter
(``scope``), so the two together allow the configured number, not twice it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from datetime import timedelta

from flask import current_app, request
from flask import session as web_session
from flask_limiter.util import get_remote_address

from marketplace.accounts import services as accounts
from marketplace.web.deps import deps
from marketplace.web.extensions import limiter
from marketplace.web.transaction import get_db


def _per_user() -> str:
    """The caller's account (one counter per user, from any token or device); the address for a request
    without a valid login (it is refused with 401 after the check anyway).

    Looked up on a short reader session of its own, never the request's: on SQLite the request's writer
    session holds the write lock from its start, and the counter is written first, on its own connection."""
    bearer = request.headers.get("Authorization", "").partition(" ")
    sid = web_session.get("sid")
    with get_db().new_session() as reader:
        if request.path.startswith("/api/"):
            found: Any = accounts.user_for_token(reader, bearer[2].strip()) if bearer[0].lower() == "bearer" else None
        elif isinstance(sid, str):
            settings = deps().settings
            found = accounts.user_for_session(reader, sid, idle=timedelta(hours=settings.session_idle_hours),
                                              lifetime=timedelta(days=settings.session_max_days))
        else:
            found = None
        user_id = found[0].id if found else None
    return f"user:{user_id}" if user_id is not None else get_remote_address()


def _conversation_limit() -> str:
    return current_app.config["CONVERSATION_RATE_LIMIT"]


def _message_limit() -> str:
    return current_app.config["MESSAGE_RATE_LIMIT"]


def new_conversations(**kwargs: Any) -> Callable[[Any], Any]:
    return limiter.shared_limit(_conversation_limit, scope="conversation_new", key_func=_per_user, **kwargs)


def new_messages(**kwargs: Any) -> Callable[[Any], Any]:
    return limiter.shared_limit(_message_limit, scope="message_new", key_func=_per_user, **kwargs)
