"""The ``feed`` channel (always on): our own RSS/Atom feeds at ``/feeds/listings.rss|atom``.

Nothing leaves the platform: ``post`` names the feed entry (the listing's page) and the feed renders
every listing whose ``feed`` promotion row is ``posted``, newest first. The handler marks that row
posted in the ``listing.approved`` transaction itself, so it is exactly-once by construction;
``remove`` has nothing to call: a ``removed`` row simply drops out of the feed.
"""

from __future__ import annotations

from marketplace.config import Settings
from workers.promotion.channels.base import Posted, PostRequest, SaveCheckpoint


class FeedChannel:
    name = "feed"
    min_interval = 0.0
    can_remove = True

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    def entry_url(self, listing_id: int) -> str:
        return f"{self.base_url}/listings/{listing_id}"

    def post(self, request: PostRequest, save_checkpoint: SaveCheckpoint | None = None) -> Posted:
        return Posted(external_id=f"listing-{request.listing.id}", url=self.entry_url(request.listing.id))

    def recover(self, request: PostRequest) -> Posted | None:
        return self.post(request)

    def remove(self, external_id: str) -> None:
        return None


def from_settings(settings: Settings) -> FeedChannel:
    return FeedChannel(settings.public_base_url)
