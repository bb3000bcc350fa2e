"""Payouts worker: a delivered seller order becomes a payout to the artisan (subscriptions in one screen).

- ``order.delivered`` → the seller order's payout, due after ``PAYOUT_HOLD_HOURS``
  (``payout.scheduled``); with a hold of 0 it is released at once.
- ``payout.released`` (the scheduler releases due payouts,
  :func:`marketplace.payouts.release.release_due_payouts`) → the transfer at the payout provider,
  idempotency key ``payout-<id>``, ``transfer_group`` = ``order-<order id>`` (``payout.paid``, or
  ``pending`` until the provider's webhook; ``payout.failed`` when refused for good).
  The key comes from rows committed before the call, so a crash between the call and this commit
  repeats the same transfer, never a second one (``marketplace.payouts.transfers``).
- ``order.refunded`` → a payout not sent yet shows what is left, or is cancelled.

The rules themselves are in :mod:`marketplace.payouts.release` (scheduling, releasing, refunds before
payout) and :mod:`marketplace.payouts.transfers` (sending); this module only routes events there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.config import Settings
from marketplace.orders.models import SellerOrder
from marketplace.payouts import release, transfers
from marketplace.payouts.providers import provider_from_settings
from workers.worker import Handler, HandlerContext

CONSUMER = "payouts"
TOPICS: tuple[str, ...] = ("orders", "payouts")
PROVIDER = "payout_provider"


def schedule(ctx: HandlerContext, event: dict[str, Any]) -> None:
    release.schedule_payout(ctx.session, event["data"]["seller_order_id"],
                             hold_hours=ctx.settings.payout_hold_hours, now=ctx.clock())


def pay(ctx: HandlerContext, event: dict[str, Any]) -> None:
    transfers.pay_payout(ctx.session, ctx.gateway(PROVIDER), event["data"]["payout_id"], now=ctx.clock())


def refunded(ctx: HandlerContext, event: dict[str, Any]) -> None:
    data = event["data"]
    if data.get("seller_order_id"):
        parts = [data["seller_order_id"]]
    else:
        parts = list(ctx.session.scalars(select(SellerOrder.id).where(SellerOrder.order_id == data["order_id"])))
    release.adjust_for_refund(ctx.session, parts, now=ctx.clock())


HANDLERS: dict[str, Handler] = {
    "order.delivered": schedule,
    "payout.released": pay,
    "order.refunded": refunded,
}


def build_dependencies(settings: Settings) -> dict[str, Any]:
    """Called once per process: the ``PayoutProvider`` chosen by ``PAYOUT_PROVIDER`` (ARCHITECTURE.md §7)."""
    return {PROVIDER: provider_from_settings(settings)}
