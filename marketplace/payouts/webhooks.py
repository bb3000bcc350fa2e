"""``POST /webhooks/xendit`` and ``POST /webhooks/stripe/connect``: the payout providers' callbacks.

Thin, as ``/webhooks/stripe`` is: the configured provider (``PAYOUT_PROVIDER``) checks the callback
token or the signature and translates the body into a ``ProviderEvent``; a forged or malformed callback
is a 400 before anything else happens. A verified event goes to
:func:`marketplace.payouts.provider_events.apply_provider_event`, which records its id once
(``marketplace.once.record_once``, as the payment webhooks and the inbox do) and settles the
payout or the account; the request's one commit writes all of it. An ``ignored`` event (a kind that
needs nothing from us) is answered 200 without touching the database, so the provider stops resending.

Each endpoint answers 404 unless its provider is the configured one: with ``PAYOUT_PROVIDER=sandbox``
there is no Xendit token to check a callback against, so there is nothing to accept.
CSRF-exempt: providers authenticate by token or signature, they have no session cookie.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from marketplace.db import utcnow
from marketplace.web.transaction import get_session
from marketplace.errors import BadRequest, NotFound
from marketplace.web.extensions import csrf
from marketplace.payouts import provider_events
from marketplace.web.deps import deps
from marketplace.payouts.providers import InvalidWebhook

bp = Blueprint("payouts_webhooks", __name__)


class InvalidProviderWebhook(BadRequest):
    """The callback's token or signature does not verify, or its body is not the provider's format."""

    code = "invalid_webhook"


def _receive(provider_name: str) -> Any:
    provider = deps().payout_provider
    if provider.name != provider_name:
        raise NotFound(f"Payouts do not go through {provider_name} here.")
    try:
        event = provider.verify_webhook(request.get_data(cache=False), request.headers)
    except InvalidWebhook as exc:
        raise InvalidProviderWebhook(str(exc)) from exc
    if event.kind == "ignored":
        return jsonify({"received": True, "kind": event.kind})
    provider_events.apply_provider_event(get_session(), event, utcnow)
    return jsonify({"received": True, "kind": event.kind})


@bp.route("/webhooks/xendit", methods=["POST"])
@csrf.exempt
def xendit_webhook() -> Any:
    """A Xendit payout callback (``x-callback-token`` checked): 200 once applied, 400 if forged."""
    return _receive("xendit")


@bp.route("/webhooks/stripe/connect", methods=["POST"])
@csrf.exempt
def stripe_connect_webhook() -> Any:
    """A Stripe Connect event (signed with the Connect endpoint's secret): 200 once applied, 400 if forged."""
    return _receive("stripe_connect")
