"""Promotion worker: an approved listing is posted to the social channels (subscriptions in one screen).

The channels arrive with the promotion issue; for now ``listing.approved`` is acknowledged and logged,
which already proves the path outbox → relay → topic → worker end to end.
"""

from __future__ import annotations

import logging
from typing import Any

from marketplace.config import Settings
from workers.worker import Handler, HandlerContext

log = logging.getLogger(__name__)


def on_listing_approved(ctx: HandlerContext, event: dict[str, Any]) -> None:
    """Placeholder: the promotion issue creates one promotion per (listing, channel) here."""
    data = event["data"]
    log.info("listing %s approved (%s): promotion not implemented yet", data["listing_id"], data["path"])


CONSUMER = "promotion"
TOPICS: tuple[str, ...] = ("listings",)
HANDLERS: dict[str, Handler] = {
    "listing.approved": on_listing_approved,
}


def build_dependencies(settings: Settings) -> dict[str, Any]:
    """Called once per process. The promotion issue adds ``"channels"`` here: one social channel
    client per name in ``PROMOTION_CHANNELS``, each with its credentials; nothing is needed yet."""
    return {}
