"""Xendit's Payment Requests API (v3) on loopback, as its API reference documents it (docs.xendit.co
"Create a payment request", "Cancel a payment request", "Create refund"): Basic auth with the secret
key and no password, ``api-version: 2024-11-11``, a required ``Idempotency-key`` on every POST (the same
key answers the request it made, never a second one), the body's required fields, and the
``actions`` of each channel (``VIRTUAL_ACCOUNT_NUMBER``, ``QR_STRING``, ``WEB_URL``; none for OVO)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.unit.payouts.loopback import Answer, Loopback, Recorded, serve

SECRET_KEY = "xnd_development_payments_loopback"
CHANNELS = {"BCA_VIRTUAL_ACCOUNT", "BNI_VIRTUAL_ACCOUNT", "BRI_VIRTUAL_ACCOUNT", "MANDIRI_VIRTUAL_ACCOUNT",
            "PERMATA_VIRTUAL_ACCOUNT", "QRIS", "OVO", "DANA", "SHOPEEPAY", "GOPAY"}


def _error(status: int, code: str, message: str) -> Answer:
    return status, {"error_code": code, "message": message}, {}


def failure(what: str) -> Answer:
    if what == "500":
        return _error(500, "SERVER_ERROR", "Retry safely with the same Idempotency-key")
    if what == "503":
        return _error(503, "SERVICE_UNAVAILABLE", "Try again")
    raise AssertionError(f"unknown failure {what!r}")


def _actions(channel: str) -> list[dict[str, str]]:
    if channel.endswith("_VIRTUAL_ACCOUNT"):
        return [{"type": "PRESENT_TO_CUSTOMER", "descriptor": "VIRTUAL_ACCOUNT_NUMBER", "value": "8808999912345678"}]
    if channel == "QRIS":
        return [{"type": "PRESENT_TO_CUSTOMER", "descriptor": "QR_STRING", "value": "00020101021226660014ID.XENDIT"}]
    if channel == "OVO":
        return []  # Xendit pushes the payment to the OVO app
    return [{"type": "REDIRECT_CUSTOMER", "descriptor": "WEB_URL", "value": f"https://ewallet.example/{channel}"}]


def route(stub: Loopback, req: Recorded) -> Answer:
    requests: dict[str, dict[str, Any]] = stub.state.setdefault("requests", {})  # by payment_request_id
    keys: dict[str, Any] = stub.state.setdefault("keys", {})  # idempotency key → answer
    expected = "Basic " + base64.b64encode(f"{SECRET_KEY}:".encode()).decode()
    if req.headers.get("authorization") != expected:
        return _error(401, "INVALID_API_KEY", "API key format is invalid")
    if req.headers.get("api-version") != "2024-11-11":
        return _error(400, "API_VALIDATION_ERROR", "api-version must be 2024-11-11")
    key = req.headers.get("idempotency-key")
    if req.method == "POST" and not key:
        return _error(400, "API_VALIDATION_ERROR", "Idempotency-key is required")
    if req.method == "POST" and key in keys:
        return keys[key]
    answer = _answer(stub, req, requests)
    if req.method == "POST" and answer[0] < 500:
        keys[key] = answer
    return answer


def _answer(stub: Loopback, req: Recorded, requests: dict[str, dict[str, Any]]) -> Answer:
    if req.method == "POST" and req.path == "/v3/payment_requests":
        body = req.json
        for name in ("reference_id", "type", "country", "currency", "request_amount", "channel_code",
                     "channel_properties"):
            if name not in body:
                return _error(400, "API_VALIDATION_ERROR", f"{name} is required")
        if body["channel_code"] not in CHANNELS or body["currency"] != "IDR" or body["type"] != "PAY":
            return _error(400, "CHANNEL_NOT_ACTIVATED", "unknown channel")
        if body["channel_code"] == "OVO" and not str(body["channel_properties"].get("account_mobile_number", "")
                                                   ).startswith("+62"):
            return _error(400, "API_VALIDATION_ERROR", "account_mobile_number must be E.164")
        pr = {"payment_request_id": "pr-" + str(uuid.uuid4()), "reference_id": body["reference_id"],
              "status": "REQUIRES_ACTION", "request_amount": body["request_amount"],
              "channel_code": body["channel_code"], "actions": _actions(body["channel_code"])}
        requests[pr["payment_request_id"]] = pr
        return 201, pr, {}
    parts = req.path.strip("/").split("/")
    if len(parts) >= 3 and parts[:2] == ["v3", "payment_requests"] and parts[2] in requests:
        pr = requests[parts[2]]
        if req.method == "GET" and len(parts) == 3:
            return 200, pr, {}
        if req.method == "POST" and parts[3:] == ["cancel"]:
            if pr["status"] == "SUCCEEDED":
                return _error(409, "INVALID_STATUS", "the payment request is already paid")
            pr["status"] = "CANCELED"
            return 200, pr, {}
    if req.method == "POST" and req.path == "/refunds":
        body = req.json
        if body.get("payment_request_id") not in requests or not body.get("amount"):
            return _error(404, "DATA_NOT_FOUND", "payment request not found")
        return 200, {"id": "rfd-" + str(uuid.uuid4()), "status": "SUCCEEDED", "amount": body["amount"],
                     "payment_request_id": body["payment_request_id"], "reference_id": body["reference_id"]}, {}
    return _error(404, "DATA_NOT_FOUND", f"no route {req.method} {req.path}")


@contextmanager
def xendit() -> Iterator[Loopback]:
    with serve(route, failure) as stub:
        yield stub
