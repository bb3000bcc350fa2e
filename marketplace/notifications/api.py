"""Notification preferences over the API (the same rules as the settings page: ``PreferencesIn``)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.web.auth import api_auth, require_user
from marketplace.db import utcnow
from marketplace.web.transaction import get_session
from marketplace.notifications import schemas, services

bp = Blueprint("notifications_api", __name__, url_prefix="/api/v1", description="Notification settings (e-mail, WhatsApp)")


@bp.route("/me/notification-preferences", methods=["GET"])
@api_auth()
@bp.response(200, schemas.PreferencesOut)
def get_preferences() -> Any:
    """The caller's e-mail language and which optional messages they get."""
    return services.preferences_of(get_session(), require_user())


@bp.route("/me/notification-preferences", methods=["PATCH"])
@api_auth()
@bp.arguments(schemas.PreferencesIn(partial=True))
@bp.response(200, schemas.PreferencesOut)
def patch_preferences(body: dict[str, Any]) -> Any:
    """Change the language, the optional messages wanted (``wanted`` lists all the caller wants: the
    other optional messages of their role are switched off) and/or WhatsApp (``whatsapp``: order steps
    by WhatsApp too; opting in needs a phone number, ``PATCH /me``; ``false`` stops them at once)."""
    user = require_user()
    session = get_session()
    current = services.preferences_of(session, user)
    services.update_preferences(session, user, language=body.get("language", current["language"]),
                                wanted=body.get("wanted", current["wanted"]), whatsapp=body.get("whatsapp"),
                                now=utcnow())
    return services.preferences_of(session, user)
