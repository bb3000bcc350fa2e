"""Payouts worker: a delivered seller order becomes a payout to the artisan (subscriptions in one screen).

The payout use cases arrive with their own issue; until then it subscribes to ``orders`` and handles
nothing (the runner acknowledges and skips unhandled types).
"""

from __future__ import annotations

from workers.runner import Handler

CONSUMER = "payouts"
TOPICS: tuple[str, ...] = ("orders",)
HANDLERS: dict[str, Handler] = {}
