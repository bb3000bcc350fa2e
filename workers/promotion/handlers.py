"""Promotion worker: an approved listing is posted to the social channels (subscriptions in one screen).

- ``listing.approved`` → one ``promotions`` row per enabled channel (``PROMOTION_CHANNELS``, and
  ``feed`` always), written with the inbox row in the event's transaction: a redelivered event finds
  the inbox row, and the unique ``(listing, channel)`` backs that up, so nothing is posted twice. The
  ``feed`` row is posted at once (the RSS/Atom feeds list those rows). The artisan's share kit (the
  images to post on their own accounts) is drawn here too, so their page finds it ready and the page's
  GET only reads; when the media storage fails, the kit is skipped (the artisan's page can draw it).
- ``listing.rejected``, ``listing.sold_out``, and ``listing.updated`` that leaves it not public →
  posts not made yet are cancelled, posts made are taken down where the platform allows it.

In the background: the posting loop (``workers.promotion.delivery``) calls the platforms.
"""

from __future__ import annotations

import logging
from typing import Any

from marketplace.config import Settings
from marketplace.listings.models import Listing, ListingStatus
from marketplace.media.storage import storage_from_settings
from marketplace.promotion.reach import sharekit
from marketplace.promotion.reach.sharekit import ShareKitUnavailable
from marketplace.promotion.posts import services
from workers.promotion.channels import channels_from_settings
from workers.promotion.delivery import PostingLoop
from workers.worker import BackgroundTask, Dependencies, Handler, HandlerContext

CONSUMER = "promotion"
TOPICS: tuple[str, ...] = ("listings",)
CHANNELS = "channels"
MEDIA = "media_storage"
log = logging.getLogger(__name__)


def on_listing_approved(ctx: HandlerContext, event: dict[str, Any]) -> None:
    """Queue the listing's posts, one per channel; the feed's is posted now."""
    channels = ctx.gateway(CHANNELS)
    listing_id = event["data"]["listing_id"]
    feed = channels[services.FEED]
    services.queue_for_listing(ctx.session, listing_id, list(channels), ctx.clock(),
                               (f"listing-{listing_id}", feed.entry_url(listing_id)))
    _draw_share_kit(ctx, listing_id)


def _draw_share_kit(ctx: HandlerContext, listing_id: int) -> None:
    listing = ctx.session.get(Listing, listing_id)
    if listing is None or listing.status != ListingStatus.APPROVED.value:
        return  # back in review or gone since the event: drawn at its next approval
    try:
        sharekit.draw_kit(ctx.session, ctx.gateway(MEDIA), listing, ctx.settings.public_base_url)
    except ShareKitUnavailable as exc:
        log.warning("share kit of listing %s not drawn: %s", listing_id, exc)


def on_listing_gone(ctx: HandlerContext, event: dict[str, Any]) -> None:
    """Rejected, sold out, withdrawn or back in review: stop posting it, take its posts down."""
    services.listing_gone(ctx.session, event["data"]["listing_id"], ctx.clock())


HANDLERS: dict[str, Handler] = {
    "listing.approved": on_listing_approved,
    "listing.rejected": on_listing_gone,
    "listing.sold_out": on_listing_gone,
    "listing.updated": on_listing_gone,  # does nothing while the listing stays approved with stock
}


def build_dependencies(settings: Settings) -> dict[str, Any]:
    """Called once per process: one client per channel in ``PROMOTION_CHANNELS`` (plus ``feed``) and
    the media storage the share kits are drawn to."""
    return {CHANNELS: channels_from_settings(settings), MEDIA: storage_from_settings(settings)}


def background_tasks(settings: Settings, dependencies: Dependencies) -> list[BackgroundTask]:
    """The posting loop: the queued posts go out from here (through no channel at all when a test
    builds the worker with other fakes)."""
    return [PostingLoop(dependencies.get(CHANNELS) or {}, settings)]
