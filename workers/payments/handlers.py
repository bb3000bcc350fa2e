"""Payments worker: what happens to money when an order changes (subscriptions in one screen).

Its use cases arrive with the orders/payments issue; until then it subscribes to ``orders`` and
handles nothing (events of other types are acknowledged and skipped by the runner).
"""

from __future__ import annotations

from typing import Any

from marketplace.config import Settings
from workers.worker import Handler

CONSUMER = "payments"
TOPICS: tuple[str, ...] = ("orders",)
HANDLERS: dict[str, Handler] = {}


def build_dependencies(settings: Settings) -> dict[str, Any]:
    """Called once per process. The payments issue adds ``"payment_gateway"`` here: the
    ``PaymentGateway`` chosen by ``PAYMENT_GATEWAY`` (ARCHITECTURE.md §7); nothing is needed yet."""
    return {}
