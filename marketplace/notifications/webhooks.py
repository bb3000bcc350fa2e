"""``GET`` and ``POST /webhooks/whatsapp``: WhatsApp's Cloud API webhook (subscription handshake, then
delivery statuses), thin like the payment and payout webhooks.

- ``GET`` with ``hub.mode=subscribe``, ``hub.verify_token`` and ``hub.challenge``: Meta checks that the
  endpoint is ours; the challenge is echoed when the token is ``WHATSAPP_VERIFY_TOKEN`` (compared in
  constant time), else 403.
- ``POST``: the raw body's ``X-Hub-Signature-256`` is checked with ``WHATSAPP_APP_SECRET`` before
  anything else (a bad or missing one is 400 and nothing is recorded); the statuses are applied by
  :func:`marketplace.notifications.statuses.apply_statuses`, and the time a user wrote to us (the
  24-hour window, :mod:`marketplace.notifications.inbound`) noted, in the request's one commit.

Both answer 404 unless ``WHATSAPP_PROVIDER=cloud`` with its secret set: nothing else sends WhatsApp
messages whose statuses could come back. CSRF-exempt: Meta authenticates by signature.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from flask import Blueprint, Response, jsonify, request

from marketplace.db import utcnow
from marketplace.errors import BadRequest, Forbidden, NotFound
from marketplace.notifications import inbound, statuses
from marketplace.web.deps import deps
from marketplace.web.extensions import csrf
from marketplace.web.transaction import get_session

bp = Blueprint("whatsapp_webhooks", __name__)


class InvalidWhatsAppWebhook(BadRequest):
    """The webhook's signature does not verify, or its body is not WhatsApp's format."""

    code = "invalid_webhook"


def _settings() -> Any:
    settings = deps().settings
    if settings.whatsapp_provider != "cloud" or not settings.whatsapp_app_secret:
        raise NotFound("WhatsApp messages do not go through the Cloud API here.")
    return settings


@bp.route("/webhooks/whatsapp", methods=["GET"])
def whatsapp_handshake() -> Any:
    """Meta's subscription check: echo ``hub.challenge`` when ``hub.verify_token`` is ours."""
    settings = _settings()
    token = request.args.get("hub.verify_token", "")
    if request.args.get("hub.mode") != "subscribe" or not settings.whatsapp_verify_token or \
            not hmac.compare_digest(token.encode(), settings.whatsapp_verify_token.encode()):
        raise Forbidden("The verify token does not match.")
    return Response(request.args.get("hub.challenge", "")[:200], mimetype="text/plain")


@bp.route("/webhooks/whatsapp", methods=["POST"])
@csrf.exempt
def whatsapp_webhook() -> Any:
    """Delivery statuses (signed with the app secret): 200 once applied, 400 if forged or malformed."""
    settings = _settings()
    body = request.get_data(cache=False)
    if not statuses.signature_valid(settings.whatsapp_app_secret, body, request.headers.get("X-Hub-Signature-256")):
        raise InvalidWhatsAppWebhook("The X-Hub-Signature-256 signature does not verify.")
    try:
        payload = json.loads(body)
        updates = statuses.parse_statuses(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidWhatsAppWebhook(str(exc)) from exc
    now = utcnow()
    applied = statuses.apply_statuses(get_session(), updates, now)
    windows = inbound.record_inbound(get_session(), inbound.parse_inbound(payload), now)
    return jsonify({"received": True, "statuses": len(updates), "applied": applied, "windows_opened": windows})
