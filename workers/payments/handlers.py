"""Payments worker: what happens to money when an order changes (subscriptions in one screen).

- ``order.placed`` → the order's one payment intent at the gateway (``payment.intent_created``). The
  ``payments`` row, committed with this event's inbox row, is the local idempotency record; the key
  ``order-<id>-intent`` is the remote one, so a retry after a gateway error or timeout (the runner's,
  or the ``stripe`` library's) gets the same intent back and never makes a second.
- ``order.payment_method_chosen`` → the buyer's attempt at the gateway, after cancelling there the
  attempt it replaces (``marketplace.payments.attempts``; keys ``payment-<id>``, ``payment-<id>-cancel``).
- ``order.late_payment_received`` → a success that came too late (a switched-away attempt, an order
  already paid or cancelled) is refunded in full, key ``payment-<id>-return``: never kept, never lost.
- ``order.cancelled`` → the intent is cancelled at the gateway when there is one and it is not final,
  so a cancelled (expired, declined) order can take no money.
- ``order.refund_requested`` → the refund at the gateway, key ``refund-<refund id>`` (a redelivery or a
  retry never refunds twice); the row keeps the provider's refund id. Stripe confirms by webhook; the
  sandbox queues its ``charge.refunded`` in this transaction, and delivers it as below.

In the background (a gateway that ``sends_own_webhooks``: the sandbox only): the sandbox's webhook delivery
(``marketplace.payments.delivery``): what ``sandbox-pay`` and the refunds queued is POSTed, signed as
Stripe signs, to our own ``/webhooks/stripe`` (``SANDBOX_WEBHOOK_URL``, by default ``PUBLIC_BASE_URL``'s),
and retried with backoff. This worker is the sandbox gateway's home, as Stripe's servers are Stripe's.

Payment and refund outcomes do not come through here: the gateway's webhook moves the order (``/webhooks/stripe``).
"""

from __future__ import annotations

from typing import Any

from marketplace.config import Settings
from marketplace.payments import attempts, delivery, refunds, services
from marketplace.payments.gateways import gateway_from_settings
from workers.worker import BackgroundTask, Dependencies, Handler, HandlerContext

CONSUMER = "payments"
TOPICS: tuple[str, ...] = ("orders",)
GATEWAY = "payment_gateway"


def create_intent(ctx: HandlerContext, event: dict[str, Any]) -> None:
    services.create_intent(ctx.session, ctx.gateway(GATEWAY), event["data"]["order_id"], now=ctx.clock())


def cancel_intent(ctx: HandlerContext, event: dict[str, Any]) -> None:
    services.cancel_intent(ctx.session, ctx.gateway(GATEWAY), event["data"]["order_id"], now=ctx.clock())


def send_refund(ctx: HandlerContext, event: dict[str, Any]) -> None:
    refunds.send_refund(ctx.session, ctx.gateway(GATEWAY), event["data"]["refund_id"], now=ctx.clock())


def make_attempt(ctx: HandlerContext, event: dict[str, Any]) -> None:
    attempts.make_attempt(ctx.session, ctx.gateway(GATEWAY), event["data"]["payment_id"], now=ctx.clock())


def return_late_payment(ctx: HandlerContext, event: dict[str, Any]) -> None:
    attempts.return_late_payment(ctx.session, ctx.gateway(GATEWAY), event["data"]["payment_id"], now=ctx.clock())


HANDLERS: dict[str, Handler] = {
    "order.placed": create_intent,
    "order.payment_method_chosen": make_attempt,
    "order.late_payment_received": return_late_payment,
    "order.cancelled": cancel_intent,
    "order.refund_requested": send_refund,
}


def build_dependencies(settings: Settings) -> dict[str, Any]:
    """Called once per process: the ``PaymentGateway`` chosen by ``PAYMENT_GATEWAY`` (ARCHITECTURE.md §7)."""
    return {GATEWAY: gateway_from_settings(settings)}


def background_tasks(settings: Settings, dependencies: Dependencies) -> list[BackgroundTask]:
    """For a gateway whose webhooks are ours to send (the sandbox): their delivery loop. Its signatures
    must verify in the web app, so the secret must not be a per-process random one: refuse to start
    rather than send only 400s."""
    gateway = dependencies[GATEWAY]
    if not gateway.sends_own_webhooks:
        return []
    if not (settings.stripe_webhook_secret or settings.secret_key):
        raise ValueError("PAYMENT_GATEWAY=sandbox: set SECRET_KEY (or STRIPE_WEBHOOK_SECRET), the same as the "
                         "web app's, so the webhooks this worker delivers verify there")
    return [delivery.DeliveryLoop(gateway, settings.sandbox_webhook_endpoint())]
