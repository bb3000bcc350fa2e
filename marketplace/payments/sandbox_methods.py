"""The sandbox's Indonesian methods, shaped as Xendit shapes them, so one code path serves both.

- **Making a payment request** (:func:`sandbox_request`, called by ``SandboxGateway.create_intent``):
  a deterministic ``pr-sbx-…`` id from the idempotency key (the same key, the same request, as at
  Xendit) and the action the buyer follows: a VA number of the chosen bank, a QRIS text (drawn locally
  by the page), an e-wallet approval (OVO: a push to the order's phone; DANA, ShopeePay, GoPay: a
  redirect to our own sandbox approval page).
- **Completing it** (:func:`capture_callback`, used by ``services.sandbox_pay``): the callback Xendit
  sends when the payment is captured (``payment.capture``, ``data.status`` ``SUCCEEDED``) or fails
  (``payment.failure``), with ``reference_id`` = our attempt id; it is queued for delivery to our own
  ``/webhooks/xendit/payments`` with the sandbox's ``x-callback-token``, exactly as Xendit's would arrive.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marketplace.payments.intents import Intent, qris_payload
from marketplace.payments.methods import METHODS, PUSH, QR, REDIRECT, VA

if TYPE_CHECKING:
    from marketplace.orders.models import Order
    from marketplace.payments.models import Payment

#: The first digits of a sandbox VA number per bank (the banks' own company-code style prefixes).
VA_PREFIX = {"va_bca": "39108", "va_bni": "8808", "va_bri": "26215", "va_mandiri": "88608", "va_permata": "8215"}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def sandbox_request(order: Order, digest: str, method: str, mac: Callable[[str], str]) -> Intent:
    """A Xendit-style payment request for ``method`` with its action (see the module doc)."""
    spec = METHODS[method]
    request_id = "pr-sbx-" + digest[:32]
    action: dict[str, Any]
    qr = None
    if spec.action == VA:
        number = VA_PREFIX[method] + str(int(digest[:16], 16))[:16 - len(VA_PREFIX[method])].rjust(
            16 - len(VA_PREFIX[method]), "0")
        action = {"type": "va", "bank": spec.bank, "account_number": number, "expires_at": _iso(order.payment_due_at)}
    elif spec.action == QR:
        qr = qris_payload(amount_idr=order.total_idr, reference=f"PAY{digest[:12].upper()}")
        action = {"type": "qr", "qr_string": qr}
    elif spec.action == PUSH:
        phone = order.phone or ""
        action = {"type": "push", "phone": phone[:4] + "•" * max(len(phone) - 7, 0) + phone[-3:]}
    else:
        assert spec.action == REDIRECT
        action = {"type": "redirect", "url": f"/orders/{order.id}/pay/sandbox-wallet"}
    return Intent(intent_id=request_id, client_secret=f"{request_id}_secret_{mac(request_id)[:16]}",
                  status="REQUIRES_ACTION", qr_payload=qr, action=action, expires_at=order.payment_due_at)


def capture_callback(payment: Payment, *, succeeds: bool, now: datetime) -> dict[str, Any]:
    """Xendit's payment callback (``payment.capture`` / ``payment.failure``) about ``payment``."""
    spec = METHODS[payment.method or "qris"]
    created = _iso(now)
    data = {
        "payment_id": "py-sbx-" + uuid.uuid4().hex,
        "business_id": "sandbox",
        "status": "SUCCEEDED" if succeeds else "FAILED",
        "payment_request_id": payment.provider_intent_id,
        "request_amount": payment.amount_idr,
        "channel_code": spec.xendit_channel,
        "country": "ID",
        "currency": "IDR",
        "reference_id": str(payment.id),
        "type": "PAY",
        "created": created,
        "updated": created,
    }
    if not succeeds:
        data["failure_code"] = "USER_DECLINED_PAYMENT"
    return {"event": "payment.capture" if succeeds else "payment.failure", "business_id": "sandbox",
            "created": created, "data": data}
