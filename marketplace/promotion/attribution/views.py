"""The storefront side of attribution: read a landing's source, keep it in a signed cookie, hand it to
checkout (see :mod:`marketplace.promotion.attribution.services` for the semantics and what is not stored).

The cookie (``pk_visit``) is its own, not the login session's: logging in starts a fresh session
(no fixation), and the source of the visit that led to the login must survive it. It holds a random
visit id and the touch, signed with ``SECRET_KEY`` (a visitor cannot credit an order to a channel by
editing it), and lives as long as the attribution window.

Page views only (GET, not the API, static files, media, feeds or webhooks): links in posts point at
pages. The API's checkout reads the cookie when the client sends it (a browser app on our domain).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from flask.blueprints import BlueprintSetupState
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse

from marketplace.db import utcnow
from marketplace.web import activity
from marketplace.web.extensions import limiter
from marketplace.promotion.attribution import services as attribution
from marketplace.promotion.attribution.services import Touch
from marketplace.web.deps import deps

bp = Blueprint("attribution", __name__)
log = logging.getLogger(__name__)

COOKIE = "pk_visit"
_SKIPPED_PREFIXES = ("/api/", "/static/", "/media/", "/feeds/", "/webhooks/", "/healthz", "/readyz")


def window() -> timedelta:
    return timedelta(days=max(0, deps().settings.attribution_window_days))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="pk-visit")


def _cookie_state() -> tuple[str | None, Touch | None]:
    """The visit id and touch the request's cookie holds (nothing for a missing, forged or stale one)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None, None
    try:
        data = _serializer().loads(raw, max_age=int(window().total_seconds()) or 1)
    except (BadSignature, ValueError, TypeError):
        return None, None
    if not isinstance(data, dict) or not isinstance(data.get("v"), str):
        return None, None
    return data["v"][:32], Touch.from_dict(data.get("touch"))


def current_touch(now: datetime | None = None) -> Touch | None:
    """The touch to credit an order placed now with: the last one, if still within the window."""
    touch = g.get("attribution_touch", None) if "attribution_touch" in g else _cookie_state()[1]
    if touch is None or not touch.within(window(), now or utcnow()):
        return None
    return touch


@bp.before_app_request
def _note_landing() -> None:
    """A page view with UTM parameters or an outside referrer becomes the visit's touch (counted once
    per visit: a reload or a second page from the same post within 30 minutes is the same visit)."""
    if request.method != "GET" or request.path.startswith(_SKIPPED_PREFIXES):
        return
    now = utcnow()
    own_host = (request.host or "").split(":")[0]
    touch = attribution.touch_from_landing(request.args, request.referrer, own_host, now)
    if touch is None:
        return
    visit_id, previous = _cookie_state()
    if touch.same_campaign(previous) and previous is not None and now - previous.landed_at < attribution.SAME_VISIT:
        return
    g.attribution_touch = touch
    g.attribution_cookie = {"v": visit_id or secrets.token_hex(16), "touch": touch.as_dict()}
    # A GET never writes: noted, gated by the count limit and written behind within seconds.
    activity.current().visit(touch, get_remote_address())


@bp.record_once
def _gate_visits(state: BlueprintSetupState) -> None:
    app = state.app

    def may_count(client: str) -> bool:
        """Whether this client address may add one more visit to the counts (``VISIT_COUNT_LIMIT``, on
        the rate limiter's shared counters), asked when the visits are written (not in the page read).
        A client that sends no cookie makes every landing a new visit: a script replaying a post's link
        would otherwise inflate a channel's visits at will. Over the limit the page is served and its
        touch kept (an order is still credited); only the count stops. Counted anyway when the
        limiter's storage fails."""
        if not limiter.enabled:
            return True
        try:
            with app.app_context():
                item = parse(deps().settings.visit_count_limit)
                return bool(limiter.limiter.hit(item, "visit-count", client))
        except Exception as exc:  # noqa: BLE001 - a broken counter store must not stop the count
            log.warning("visit limit not checked: %s", exc)
            return True

    activity.of(app).visit_gate = may_count


@bp.after_app_request
def _set_cookie(response: Response) -> Response:
    cookie: dict[str, Any] | None = g.get("attribution_cookie")
    if cookie is not None and response.status_code < 400:
        settings = deps().settings
        response.set_cookie(COOKIE, _serializer().dumps(cookie), max_age=int(window().total_seconds()),
                            httponly=True, samesite="Lax", secure=settings.session_cookie_secure)
    return response
