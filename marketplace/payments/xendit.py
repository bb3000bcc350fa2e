"""``PAYMENT_GATEWAY=xendit``: Xendit's Payment Requests API (v3, ``api-version: 2024-11-11``) for
virtual accounts, e-wallets and QRIS (ARCHITECTURE.md §7).

Why plain HTTP (``requests``), as the Xendit payout provider (``marketplace.payouts.xendit``): four
calls (create, cancel, read a payment request; create a refund) and one callback; the generated
``xendit-python`` client would be a new dependency with its own models and exceptions for that.

- ``create_intent``: ``POST /v3/payment_requests`` (Basic auth: the secret key as the user name, no
  password), ``Idempotency-key`` from our own ids (``payment-<attempt id>``), ``reference_id`` = our
  attempt id, ``type: PAY``, the amount in whole rupiah, the method's ``channel_code`` and its
  ``channel_properties``. Its ``actions`` become our action: ``VIRTUAL_ACCOUNT_NUMBER`` → ``va``,
  ``QR_STRING`` → ``qr``, ``WEB_URL``/``DEEPLINK_URL`` → ``redirect``; OVO (no action: Xendit pushes
  to the phone) → ``push``.
- **Retries**: a timeout, a refused connection, a 429 or a 5xx is tried again (``RETRIES`` times, then
  ``PaymentGatewayError`` and the worker's own retry) with the *same* idempotency key, so Xendit answers
  with the request it made instead of a second one.
- ``cancel_intent``: ``POST /v3/payment_requests/<id>/cancel``; when Xendit refuses because the request
  is past cancelling, it is read back (``GET``) and its status said (``succeeded``: the money came in).
- ``refund``: ``POST /refunds`` with ``payment_request_id``; a VA transfer cannot be refunded through
  Xendit (:attr:`refundable`): the admin records the bank transfer back by hand.
- ``verify_callback``: ``x-callback-token`` compared in constant time with ``XENDIT_CALLBACK_TOKEN``.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marketplace.payments.intents import Intent, PaymentGatewayError, Refund
from marketplace.payments.methods import EWALLET, METHODS, PUSH, VA
from marketplace.payments.stripe_events import InvalidPayload, InvalidSignature
from marketplace.ops import breakers

if TYPE_CHECKING:
    import requests

    from marketplace.config import Settings
    from marketplace.orders.models import Order

log = logging.getLogger(__name__)

API_VERSION = "2024-11-11"
CALLBACK_TOKEN_HEADER = "x-callback-token"
#: Tries after the first for a timeout, a refused connection, a 429 or a 5xx (same idempotency key).
RETRIES = 2
_STATUS = {"SUCCEEDED": "succeeded", "CANCELED": "canceled", "EXPIRED": "canceled", "FAILED": "canceled"}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _e164(phone: str | None) -> str:
    digits = "".join(ch for ch in (phone or "") if ch.isdigit() or ch == "+")
    if digits.startswith("0"):
        return "+62" + digits[1:]
    if digits.startswith("62"):
        return "+" + digits
    return digits


def header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # a plain dict (tests, the sandbox's poster): header names are case-insensitive
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def check_callback(payload: bytes, headers: Mapping[str, str], token: str) -> dict[str, Any]:
    """The callback body once its ``x-callback-token`` matches ``token`` (constant time); 400 otherwise."""
    given = header(headers, CALLBACK_TOKEN_HEADER)
    if not token or not given or not hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
        raise InvalidSignature("The callback token is missing or wrong.")
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidPayload("The callback body is not JSON.") from exc
    if not isinstance(body, dict) or not isinstance(body.get("event"), str) or not isinstance(body.get("data"), dict):
        raise InvalidPayload("The callback is not a Xendit event (no event or data).")
    return body


class XenditGateway:
    """Payment requests through Xendit (see the module doc)."""

    name = "xendit"
    accepts_test_payments = False
    sends_own_webhooks = False  # Xendit's servers send them
    default_form = False  # the buyer chooses a method first
    methods = frozenset(code for code, m in METHODS.items() if m.xendit_channel)

    def __init__(self, secret_key: str, callback_token: str, *, api_base: str = "https://api.xendit.co",
                 return_base: str = "", timeout: float = 20.0, http: requests.Session | None = None):

        if not secret_key:
            raise ValueError("PAYMENT_GATEWAY=xendit needs XENDIT_SECRET_KEY")
        if not callback_token:
            raise ValueError("PAYMENT_GATEWAY=xendit needs XENDIT_CALLBACK_TOKEN")
        self._key = secret_key
        self.callback_token = callback_token
        self.api_base = (api_base or "https://api.xendit.co").rstrip("/")
        self.return_base = return_base.rstrip("/")
        self.timeout = timeout
        self._http = http or breakers.session("xendit_payments")

    @classmethod
    def from_settings(cls, settings: Settings) -> XenditGateway:
        return cls(settings.xendit_secret_key, settings.xendit_callback_token, api_base=settings.xendit_api_base,
                   return_base=settings.public_base_url)

    @staticmethod
    def refundable(method: str | None) -> bool:
        """Whether Xendit can give this method's money back (a VA transfer: no, the admin does by bank)."""
        return method is None or METHODS[method].action != VA

    # --- calls -------------------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, body: Any = None, key: str | None = None) -> tuple[int, Any]:
        import requests

        headers = {"api-version": API_VERSION}
        if key:
            headers["Idempotency-key"] = key
        last = "Xendit could not be reached."
        for attempt in range(RETRIES + 1):
            try:
                resp = self._http.request(method, self.api_base + path, json=body, headers=headers,
                                          auth=(self._key, ""), timeout=self.timeout)
            except requests.RequestException as exc:
                log.warning("xendit %s %s failed (try %d): %r", method, path, attempt + 1, exc)
                last = "Xendit did not answer in time." if isinstance(exc, requests.Timeout) else last
                continue
            if resp.status_code >= 500 or resp.status_code == 429:
                log.warning("xendit %s %s answered %s (try %d)", method, path, resp.status_code, attempt + 1)
                last = f"Xendit answered HTTP {resp.status_code}."
                continue
            try:
                return resp.status_code, resp.json()
            except ValueError:
                return resp.status_code, None
        raise PaymentGatewayError(last)

    def create_intent(self, order: Order, idempotency_key: str, *, method: str | None = None,
                      reference: str | None = None) -> Intent:
        if method is None or method not in self.methods:
            raise PaymentGatewayError(f"Xendit does not take {method!r} here.")
        spec = METHODS[method]
        properties: dict[str, Any]
        if spec.action == VA:
            properties = {"display_name": "Pasar Kreatif", "expires_at": _iso(order.payment_due_at)}
        elif spec.action == PUSH:
            properties = {"account_mobile_number": _e164(order.phone)}
        elif spec.group == EWALLET:
            back = f"{self.return_base}/orders/{order.id}/pay"
            properties = {"success_return_url": back, "failure_return_url": back}
        else:
            properties = {"expires_at": _iso(order.payment_due_at)}
        body = {
            "reference_id": reference or str(order.id), "type": "PAY", "country": "ID", "currency": "IDR",
            "request_amount": order.total_idr, "capture_method": "AUTOMATIC", "channel_code": spec.xendit_channel,
            "channel_properties": properties, "description": f"Pasar Kreatif order {order.id}",
            "metadata": {"order_id": str(order.id)},
        }
        status, answer = self._request("POST", "/v3/payment_requests", body=body, key=idempotency_key)
        if status not in (200, 201) or not isinstance(answer, dict) or not answer.get("payment_request_id"):
            raise _error("create the payment", status, answer)
        return Intent(intent_id=answer["payment_request_id"], client_secret="", status=str(answer.get("status")),
                      qr_payload=_action_value(answer, "QR_STRING"), action=_action(spec.code, answer, order),
                      expires_at=order.payment_due_at)

    def cancel_intent(self, intent_id: str, idempotency_key: str) -> str:
        status, answer = self._request("POST", f"/v3/payment_requests/{intent_id}/cancel", key=idempotency_key)
        if status in (200, 201) and isinstance(answer, dict):
            return _STATUS.get(str(answer.get("status")), "canceled")
        status, answer = self._request("GET", f"/v3/payment_requests/{intent_id}")
        if status == 200 and isinstance(answer, dict) and str(answer.get("status")) in _STATUS:
            return _STATUS[str(answer["status"])]
        raise _error("cancel the payment", status, answer)

    def refund(self, intent_id: str, amount_idr: int, idempotency_key: str,
               metadata: Mapping[str, str] | None = None) -> Refund:
        body = {"payment_request_id": intent_id, "reference_id": idempotency_key, "amount": amount_idr,
                "currency": "IDR", "reason": "REQUESTED_BY_CUSTOMER", "metadata": dict(metadata or {})}
        status, answer = self._request("POST", "/refunds", body=body, key=idempotency_key)
        if status not in (200, 201) or not isinstance(answer, dict) or not answer.get("id"):
            raise _error("refund the payment", status, answer)
        return Refund(refund_id=str(answer["id"]), status=str(answer.get("status") or "PENDING").lower())

    def verify_webhook(self, payload: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        raise InvalidSignature("Payments go through Xendit here: its callbacks go to /webhooks/xendit/payments.")

    def verify_callback(self, payload: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        return check_callback(payload, headers, self.callback_token)

    def sign(self, payload: bytes, timestamp: int) -> dict[str, str]:
        return {CALLBACK_TOKEN_HEADER: self.callback_token, "Content-Type": "application/json"}


def _action_value(answer: Mapping[str, Any], descriptor: str) -> str | None:
    for action in answer.get("actions") or []:
        if isinstance(action, dict) and action.get("descriptor") == descriptor and action.get("value"):
            return str(action["value"])
    return None


def _action(method: str, answer: Mapping[str, Any], order: Order) -> dict[str, Any]:
    spec = METHODS[method]
    number = _action_value(answer, "VIRTUAL_ACCOUNT_NUMBER")
    if number:
        return {"type": "va", "bank": spec.bank, "account_number": number, "expires_at": _iso(order.payment_due_at)}
    qr = _action_value(answer, "QR_STRING")
    if qr:
        return {"type": "qr", "qr_string": qr}
    url = _action_value(answer, "DEEPLINK_URL") or _action_value(answer, "WEB_URL")
    if url:
        return {"type": "redirect", "url": url}
    phone = order.phone or ""
    return {"type": "push", "phone": phone[:4] + "•" * max(len(phone) - 7, 0) + phone[-3:]}


def _error(what: str, status: int, answer: Any) -> PaymentGatewayError:
    body = answer if isinstance(answer, dict) else {}
    message = str(body.get("message") or body.get("error_message") or f"HTTP {status}")
    log.warning("xendit could not %s: %s %s %s", what, status, body.get("error_code"), message)
    return PaymentGatewayError(f"Xendit could not {what}: {message}")
