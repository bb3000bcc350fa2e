"""Payouts worker: a delivered seller order becomes a payout to the artisan (subscriptions in one screen).

The payout use cases arrive with their own issue; until then it subscribes to ``orders`` and handles
nothing (the runner acknowledges and skips unhandled types).
"""

from __future__ import annotations

from typing import Any

from marketplace.config import Settings
from workers.worker import Handler

CONSUMER = "payouts"
TOPICS: tuple[str, ...] = ("orders",)
HANDLERS: dict[str, Handler] = {}


def build_dependencies(settings: Settings) -> dict[str, Any]:
    """Called once per process. The payouts issue adds ``"payout_provider"`` here: the
    ``PayoutProvider`` chosen by ``PAYOUT_PROVIDER`` (ARCHITECTURE.md §7); nothing is needed yet."""
    return {}
