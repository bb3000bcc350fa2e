"""A loopback stand-in for WhatsApp's Cloud API (``POST /<version>/<phone number id>/messages``) for the
real ``CloudWhatsApp`` client: it records every request (through ``tests.unit.payouts.loopback``),
checks what the API checks (the bearer token, a template message with a known name and language), and
answers as the API does: ``messages[0].id`` on success, the Graph error shape otherwise. Scripted
failures: ``"429"`` (throttled, code 130429, ``Retry-After: 120``), ``"500"``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.unit.payouts.loopback import Answer, Loopback, Recorded, serve

TOKEN = "EAAG-test-token"
PHONE_NUMBER_ID = "106540352242922"
VERSION = "v21.0"
TEMPLATES = {"pk_order_paid", "pk_order_shipped", "pk_order_delivered", "pk_seller_order_to_ship",
             "pk_listing_approved", "pk_listing_rejected"}
#: Numbers that have no WhatsApp: the API answers 131026.
UNREACHABLE = {"+6281299990000"}


def _error(status: int, code: int, message: str) -> Answer:
    return status, {"error": {"message": message, "type": "OAuthException", "code": code,
                              "error_data": {"messaging_product": "whatsapp", "details": message},
                              "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam"}}, {}


def route(stub: Loopback, req: Recorded) -> Answer:
    if req.method != "POST" or req.path != f"/{VERSION}/{PHONE_NUMBER_ID}/messages":
        return _error(404, 803, "Unknown path")
    if req.headers.get("authorization") != f"Bearer {TOKEN}":
        return _error(401, 190, "Invalid OAuth access token")
    body = req.json
    if body.get("messaging_product") == "whatsapp" and body.get("type") == "text":
        if not (body.get("text") or {}).get("body"):
            return _error(400, 100, "Invalid parameter")
        if body["to"] not in stub.state.get("window_open", set()):  # the 24-hour rule
            return _error(400, 131047, "Re-engagement message")
        n = stub.state["sent"] = stub.state.get("sent", 0) + 1
        return 200, {"messaging_product": "whatsapp", "messages": [{"id": f"wamid.TEXT{n:04d}"}]}, {}
    if body.get("messaging_product") != "whatsapp" or body.get("type") != "template":
        return _error(400, 100, "Invalid parameter")
    template = body["template"]
    if template["name"] not in TEMPLATES or template["language"]["code"] not in ("id", "en"):
        return _error(400, 132001, "Template name does not exist in the translation")
    if body["to"] in UNREACHABLE:
        return _error(400, 131026, "Message undeliverable")
    n = stub.state["sent"] = stub.state.get("sent", 0) + 1
    return 200, {"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"].lstrip("+")}],
                 "messages": [{"id": f"wamid.HBgN{n:04d}"}]}, {}


def failure(what: str) -> Answer:
    if what == "429":
        status, payload, _ = _error(429, 130429, "Rate limit hit")
        return status, payload, {"Retry-After": "120"}
    return _error(500, 2, "Service temporarily unavailable")


@contextmanager
def cloud_api() -> Iterator[Loopback]:
    with serve(route, failure) as stub:
        yield stub


def settings_for(settings: Any, stub: Loopback, **more: Any) -> Any:
    return settings.with_overrides(whatsapp_provider="cloud", whatsapp_token=TOKEN,
                                   whatsapp_phone_number_id=PHONE_NUMBER_ID, whatsapp_api_base=stub.url,
                                   whatsapp_api_version=VERSION, whatsapp_timeout_seconds=2, **more)
