"""Payments worker: what happens to money when an order changes (subscriptions in one screen).

Its use cases arrive with the orders/payments issue; until then it subscribes to ``orders`` and
handles nothing (events of other types are acknowledged and skipped by the runner).
"""

from __future__ import annotations

from workers.runner import Handler

CONSUMER = "payments"
TOPICS: tuple[str, ...] = ("orders",)
HANDLERS: dict[str, Handler] = {}
