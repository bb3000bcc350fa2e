"""The payment gateway interface (ARCHITECTURE.md §7) and its two implementations.

``PAYMENT_GATEWAY`` picks one through :func:`gateway_from_settings`, called once per process (the
payments worker's ``build_dependencies``, the web app on first use); nothing is built at import time.

- ``stripe``: the real ``stripe`` library through one ``StripeClient`` per process. Stripe counts IDR in
  hundredths, so amounts are rupiah × 100 here and nowhere else. Every call that creates something
  carries the caller's idempotency key, so the worker's retry after a timeout or a 500 (or the
  library's own retry) gets the same intent back instead of a second one.
- ``sandbox`` (the offline default): no outside system. An intent is a deterministic id derived from
  the idempotency key (the same key always gives the same intent, as at Stripe), stored in the
  ``payments`` row by the caller: that row is the sandbox's only store. Its QRIS payload is an
  EMVCo/QRIS-formatted text, so the page can draw a real QR code of it.

Both verify webhooks with Stripe's own algorithm (``marketplace.payments.stripe_events``: HMAC-SHA256
over ``"<t>.<payload>"``, 300 s tolerance), the sandbox with ``STRIPE_WEBHOOK_SECRET`` or, when unset, a
secret derived from ``SECRET_KEY``; so the one ``/webhooks/stripe`` handler serves both.

**What differs is part of the interface**: ``accepts_test_payments`` (the sandbox's pay page and test
cards) and ``sends_own_webhooks`` (the sandbox's outcomes are queued here and delivered by the payments
worker; Stripe's servers send Stripe's). The use cases and the worker read these capabilities; none of
them asks which class it holds.

``refund`` takes the intent id as well as the amount and key (§7 names only the latter two: a refund
has to say what it refunds), and metadata (our order and refund ids, so a webhook about the refund can
be matched to our row by our own id). The refund flow is in ``marketplace.payments.refunds``; Stripe
confirms a refund by webhook, and the sandbox's confirmation is built there too.

The sandbox's webhooks are sent as Stripe sends them: queued in the transaction that caused them and
POSTed later, signed with :meth:`SandboxGateway.sign` at send time, to our own ``/webhooks/stripe`` by
the payments worker (``marketplace.payments.delivery``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from marketplace.payments.intents import Intent, PaymentGatewayError, Refund, qris_payload
from marketplace.payments.methods import METHODS
from marketplace.payments.sandbox_methods import sandbox_request
from marketplace.payments.stripe_events import SIGNATURE_HEADER, sign_payload, verify_stripe_signature
from marketplace.ops import breakers

if TYPE_CHECKING:
    from marketplace.config import Settings
    from marketplace.orders.models import Order

log = logging.getLogger(__name__)

#: Stripe's minor units per rupiah (IDR is not zero-decimal at Stripe).
STRIPE_IDR_FACTOR = 100
#: What callers import from here (defined in ``marketplace.payments.intents``, shared with the
#: sandbox's methods and the Xendit gateway without an import circle).
__all__ = ["Intent", "PaymentGatewayError", "Refund", "qris_payload", "PaymentGateway", "StripeGateway",
           "SandboxGateway", "gateway_from_settings", "STRIPE_IDR_FACTOR"]


class PaymentGateway(Protocol):
    """What the payment use cases and the payments worker know of a gateway. Where the sandbox and a
    real provider differ, they differ here, as a capability each answers its own way; no use case asks
    which class it holds."""

    name: str
    #: Whether buyers pay on our own test page with the test cards (``services.sandbox_pay``): the
    #: sandbox, which has no payment page of its own; never a real provider.
    accepts_test_payments: bool
    #: Whether the webhooks that report this gateway's outcomes are ours to send: queued in the
    #: transaction that caused them and POSTed, signed with :meth:`sign`, to ``/webhooks/stripe`` by the
    #: payments worker (``marketplace.payments.delivery``). True for the sandbox, which has no servers;
    #: False for Stripe, whose servers send them.
    sends_own_webhooks: bool
    #: The payment methods (``marketplace.payments.methods``) buyers may choose here.
    methods: frozenset[str]
    #: Whether every order gets the gateway's own form (method None) when it is placed (Stripe's
    #: Payment Element, the sandbox's test card); False: nothing until the buyer chooses a method.
    default_form: bool

    def create_intent(self, order: Order, idempotency_key: str, *, method: str | None = None,
                      reference: str | None = None) -> Intent:
        """The intent for ``method`` (None: the gateway's own form); ``reference`` is our attempt id."""
        ...

    def cancel_intent(self, intent_id: str, idempotency_key: str) -> str:
        """Cancel the intent; returns its status afterwards (``canceled``, or a final status it had)."""
        ...

    def refund(self, intent_id: str, amount_idr: int, idempotency_key: str,
               metadata: Mapping[str, str] | None = None) -> Refund: ...

    def verify_webhook(self, payload: bytes, headers: Mapping[str, str]) -> dict[str, Any]: ...

    def sign(self, payload: bytes, timestamp: int) -> dict[str, str]:
        """The headers Stripe would send with ``payload``, signed with this gateway's webhook secret."""
        ...


# --- stripe --------------------------------------------------------------------------------------------


class StripeGateway:
    """PaymentIntents through the real ``stripe`` library (one client per process)."""

    name = "stripe"
    accepts_test_payments = False
    sends_own_webhooks = False  # Stripe's servers send them
    default_form = True

    def __init__(
        self,
        api_key: str,
        webhook_secret: str,
        payment_methods: list[str],
        *,
        api_base: str = "",
        timeout: float = 20.0,
        max_network_retries: int = 2,
    ):
        import stripe

        if not api_key:
            raise ValueError("PAYMENT_GATEWAY=stripe needs STRIPE_API_KEY")
        if not webhook_secret:
            raise ValueError("PAYMENT_GATEWAY=stripe needs STRIPE_WEBHOOK_SECRET")
        self.webhook_secret = webhook_secret
        self.payment_methods = payment_methods
        self.methods = frozenset(m for m in payment_methods if m in ("card", "qris", "gopay"))
        base_addresses: dict[str, str] = {"api": api_base.rstrip("/")} if api_base else {}
        self._client = stripe.StripeClient(
            api_key,
            base_addresses=base_addresses,  # type: ignore[arg-type]
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout, session=breakers.session("stripe")),
        )

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        import stripe

        try:
            return fn(*args, **kwargs)
        except stripe.StripeError as exc:
            log.warning("stripe %s failed: %r", what, exc)
            raise PaymentGatewayError(f"Stripe could not {what}: {exc.user_message or exc}") from exc

    def create_intent(self, order: Order, idempotency_key: str, *, method: str | None = None,
                      reference: str | None = None) -> Intent:
        metadata = {"order_id": str(order.id)}
        if reference:
            metadata["payment_id"] = reference
        params = {
            "amount": order.total_idr * STRIPE_IDR_FACTOR,
            "currency": "idr",
            "payment_method_types": [method] if method else list(self.payment_methods),
            "transfer_group": f"order-{order.id}",
            "metadata": metadata,
            "description": f"Pasar Kreatif order {order.id}",
        }
        pi = self._call(
            "create the payment", self._client.v1.payment_intents.create,
            params=params, options={"idempotency_key": idempotency_key},
        ).to_dict()
        qr_payload, qr_image = _qr_from_next_action(pi.get("next_action"))
        # Stripe's Payment Element confirms every method on our page (QRIS shows its code there).
        action = ({"type": "qr", "qr_string": qr_payload} if qr_payload
                  else {"type": "card_form", "client_secret": pi["client_secret"]})
        return Intent(intent_id=pi["id"], client_secret=pi["client_secret"], status=pi["status"],
                      qr_payload=qr_payload, qr_image_url=qr_image, action=action,
                      expires_at=order.payment_due_at)

    def cancel_intent(self, intent_id: str, idempotency_key: str) -> str:
        import stripe

        try:
            pi = self._client.v1.payment_intents.cancel(intent_id, options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as exc:
            if exc.code != "payment_intent_unexpected_state":
                raise PaymentGatewayError(f"Stripe could not cancel the payment: {exc}") from exc
            # Already succeeded or cancelled: say what it is (the webhook for it moves the order).
            pi = self._call("read the payment", self._client.v1.payment_intents.retrieve, intent_id)
        except stripe.StripeError as exc:
            raise PaymentGatewayError(f"Stripe could not cancel the payment: {exc}") from exc
        return str(pi["status"])

    def refund(self, intent_id: str, amount_idr: int, idempotency_key: str,
               metadata: Mapping[str, str] | None = None) -> Refund:
        params: dict[str, Any] = {"payment_intent": intent_id, "amount": amount_idr * STRIPE_IDR_FACTOR}
        if metadata:
            params["metadata"] = dict(metadata)
        refund = self._call(
            "refund the payment", self._client.v1.refunds.create,
            params=params, options={"idempotency_key": idempotency_key},
        )
        return Refund(refund_id=refund["id"], status=refund["status"])

    def verify_webhook(self, payload: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        return verify_stripe_signature(payload, headers, self.webhook_secret)

    def sign(self, payload: bytes, timestamp: int) -> dict[str, str]:
        """As Stripe signs what it sends to this endpoint (its servers do; we only need it in tests)."""
        return {SIGNATURE_HEADER: sign_payload(payload, self.webhook_secret, timestamp),
                "Content-Type": "application/json"}


def _qr_from_next_action(next_action: Any) -> tuple[str | None, str | None]:
    """The QR code Stripe returns for a QR wallet (``<method>_display_qr_code``: ``data``, image URLs)."""
    if not next_action:
        return None, None
    for key, value in next_action.items():
        if key.endswith("display_qr_code") and value:
            return value.get("data"), value.get("image_url_svg") or value.get("image_url_png")
    return None, None


# --- sandbox -------------------------------------------------------------------------------------------


class SandboxGateway:
    """The offline gateway: deterministic intents, a QRIS payload, Stripe-signed webhooks."""

    name = "sandbox"
    accepts_test_payments = True
    sends_own_webhooks = True  # queued here, POSTed by the payments worker
    default_form = True
    methods = frozenset(METHODS)

    def __init__(self, secret_key: str, webhook_secret: str = "", callback_token: str = ""):
        self._key = secret_key.encode("utf-8")
        self.webhook_secret = webhook_secret or "whsec_sandbox_" + self._mac("sandbox-webhook")[:32]
        #: The ``x-callback-token`` of its Xendit-format callbacks (``XENDIT_CALLBACK_TOKEN``, else derived).
        self.callback_token = callback_token or "sbx_cb_" + self._mac("sandbox-xendit-callback")[:32]

    def _mac(self, text: str) -> str:
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def create_intent(self, order: Order, idempotency_key: str, *, method: str | None = None,
                      reference: str | None = None) -> Intent:
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
        if method not in (None, "card"):  # a Xendit-style payment request (``sandbox_methods``)
            return sandbox_request(order, digest, method, self._mac)
        intent_id = "pi_sbx_" + digest[:24]
        secret = f"{intent_id}_secret_{self._mac(intent_id)[:24]}"
        return Intent(
            intent_id=intent_id,
            client_secret=secret,
            status="requires_payment_method",
            qr_payload=qris_payload(amount_idr=order.total_idr, reference=f"ORDER{order.id}") if method is None else None,
            action={"type": "card_form", "client_secret": secret},
            expires_at=order.payment_due_at,
        )

    def cancel_intent(self, intent_id: str, idempotency_key: str) -> str:
        return "canceled"

    def refund(self, intent_id: str, amount_idr: int, idempotency_key: str,
               metadata: Mapping[str, str] | None = None) -> Refund:
        """A deterministic refund id from the key (the same key, the same refund, as at Stripe); its
        ``charge.refunded`` is built from our rows and queued by ``refunds.send_refund``."""
        return Refund(refund_id="re_sbx_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24], status="succeeded")

    def verify_webhook(self, payload: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        return verify_stripe_signature(payload, headers, self.webhook_secret)

    def sign(self, payload: bytes, timestamp: int) -> dict[str, str]:
        """The headers Stripe would send with ``payload`` (for the sandbox's own deliveries)."""
        return {SIGNATURE_HEADER: sign_payload(payload, self.webhook_secret, timestamp),
                "Content-Type": "application/json"}

    def verify_callback(self, payload: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        """A Xendit-format callback the sandbox sent to ``/webhooks/xendit/payments`` (its token checked)."""
        from marketplace.payments.xendit import check_callback

        return check_callback(payload, headers, self.callback_token)

    def sign_callback(self) -> dict[str, str]:
        """The headers Xendit sends with a callback: the sandbox's ``x-callback-token``."""
        return {"x-callback-token": self.callback_token, "Content-Type": "application/json"}


# --- the factory ---------------------------------------------------------------------------------------


def gateway_from_settings(settings: Settings) -> PaymentGateway:
    """The gateway ``PAYMENT_GATEWAY`` names (``sandbox`` by default)."""
    if settings.payment_gateway == "stripe":
        methods = [m.strip() for m in settings.stripe_payment_methods.split(",") if m.strip()]
        return StripeGateway(
            settings.stripe_api_key, settings.stripe_webhook_secret, methods or ["card"],
            api_base=settings.stripe_api_base,
        )
    if settings.payment_gateway == "sandbox":
        return SandboxGateway(settings.effective_secret_key(), settings.stripe_webhook_secret,
                              settings.xendit_callback_token)
    if settings.payment_gateway == "xendit":
        from marketplace.payments.xendit import XenditGateway

        return XenditGateway.from_settings(settings)
    raise ValueError(f"PAYMENT_GATEWAY must be sandbox, stripe or xendit, not {settings.payment_gateway!r}")
