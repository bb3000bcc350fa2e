"""Xendit's Payouts API v2 on loopback, as its API reference documents it (docs.xendit.co/apidocs:
"Create a Payout", "Get all payouts by reference id"): Basic auth with the secret key and no password,
a required ``Idempotency-key`` header, the JSON body's required fields, the payout object it answers
with (``disb-…`` id, ``ACCEPTED``), ``{error_code, error_message}`` errors, and the channel's minimum.

A second request with a used key: ``DUPLICATE_ERROR`` (400) as v2's reference says, or, with
``stub.state["duplicates"] = "replay"``, the first payout again (the behaviour Xendit documents for a
same-body retry in its newer API): the provider must pay once either way.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.unit.payouts.loopback import Answer, Loopback, Recorded, serve

SECRET_KEY = "xnd_development_loopback"
MINIMUM_IDR = 10_000  # the Indonesian bank channels' minimum ("Get Payment Channels" example)
KNOWN_CHANNELS = {"ID_BCA", "ID_BNI", "ID_BRI", "ID_MANDIRI", "ID_GOPAY", "ID_OVO", "ID_DANA"}


def _error(status: int, code: str, message: str) -> Answer:
    return status, {"error_code": code, "error_message": message}, {}


def failure(what: str) -> Answer:
    if what == "500":
        return _error(500, "SERVER_ERROR", "Error connecting to our server. Retry safely using Idempotency-key "
                                           "header when available")
    if what == "429":
        return _error(429, "RATE_LIMIT_EXCEEDED", "Too many requests")
    raise AssertionError(f"unknown failure {what!r}")


def _missing(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "body"
    for name in ("reference_id", "channel_code", "channel_properties", "amount", "currency"):
        if name not in body:
            return name
    for name in ("account_number", "account_holder_name"):
        if not body["channel_properties"].get(name):
            return f"channel_properties.{name}"
    return None


def route(stub: Loopback, req: Recorded) -> Answer:
    payouts: dict[str, dict[str, Any]] = stub.state.setdefault("payouts", {})  # by idempotency key
    expected = "Basic " + base64.b64encode(f"{SECRET_KEY}:".encode()).decode()
    if req.headers.get("authorization") != expected:
        return _error(401, "INVALID_API_KEY", "API key format is invalid")
    if req.method == "GET" and req.path == "/v2/payouts":
        reference = req.query.get("reference_id")
        return 200, [p for p in payouts.values() if p["reference_id"] == reference], {}
    if req.method != "POST" or req.path != "/v2/payouts":
        return _error(404, "DATA_NOT_FOUND", f"no route {req.method} {req.path}")
    key = req.headers.get("idempotency-key")
    if not key:
        return _error(400, "API_VALIDATION_ERROR", "Should have required property \u201cIdempotency-key\u201d")
    if not req.headers.get("content-type", "").startswith("application/json"):
        return _error(400, "INVALID_JSON_FORMAT", "the body must be JSON")
    body = req.json
    if (missing := _missing(body)) is not None:
        return _error(400, "API_VALIDATION_ERROR", f"Should have required property \u201c{missing}\u201d")
    if key in payouts:
        if stub.state.get("duplicates") == "replay":
            return 200, payouts[key], {}
        return _error(400, "DUPLICATE_ERROR", "A payout with this idempotency key already exists. If you meant to "
                                              "execute a different request, please use another idempotency key")
    if body["channel_code"] not in KNOWN_CHANNELS:
        return _error(400, "CHANNEL_CODE_NOT_SUPPORTED", "\u201cchannel_code\u201d is not supported.")
    if not isinstance(body["amount"], int) or body["currency"] != "IDR":
        return _error(400, "API_VALIDATION_ERROR", "\u201camount\u201d should be an integer for IDR")
    if body["amount"] < MINIMUM_IDR:
        return _error(400, "MINIMUM_TRANSFER_LIMIT_ERROR",
                      "\u201camount\u201d is under the minimum amount supported for the channel.")
    payout = {
        "id": "disb-" + hashlib.sha256(key.encode()).hexdigest()[:24],
        "amount": body["amount"],
        "channel_code": body["channel_code"],
        "currency": body["currency"],
        "status": stub.state.get("status", "ACCEPTED"),
        "description": body.get("description"),
        "reference_id": body["reference_id"],
        "created": "2026-08-20T03:00:00Z",
        "updated": "2026-08-20T03:00:00Z",
        "estimated_arrival_time": "2026-08-20T03:15:00Z",
        "business_id": "6018306aa16ad90cb3c43ba7",
        "channel_properties": body["channel_properties"],
        "metadata": body.get("metadata"),
    }
    payouts[key] = payout
    return 200, payout, {}


@contextmanager
def xendit() -> Iterator[Loopback]:
    with serve(route, failure) as stub:
        yield stub
