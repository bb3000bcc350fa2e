"""Captions and links for promoted listings (a simple version; the share-kit branch brings a richer one
with the same names: ``PostListing``, ``LIMITS``, ``caption_for``, ``listing_link``).

Every link carries UTM parameters (``utm_source=<channel>&utm_medium=social&utm_campaign=listing-<id>``)
so visits and orders can be attributed to the channel (ARCHITECTURE.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from marketplace.formatting import format_idr

#: Caption length each platform accepts (characters).
LIMITS: dict[str, int] = {
    "instagram": 2200,
    "facebook": 5000,
    "telegram": 1024,  # sendPhoto caption
    "pinterest": 500,  # pin description
    "webhook": 5000,
    "feed": 5000,
}
DEFAULT_LIMIT = 1000


@dataclass(frozen=True)
class PostListing:
    """What a channel needs to know of a listing to post it."""

    id: int
    title: str
    price_idr: int
    shop_name: str
    kelurahan: str
    city: str
    category: str
    image_url: str | None


def listing_link(base_url: str, listing_id: int, channel: str) -> str:
    """The listing's public page with the channel's UTM parameters."""
    query = urlencode({"utm_source": channel, "utm_medium": "social", "utm_campaign": f"listing-{listing_id}"})
    return f"{base_url.rstrip('/')}/listings/{listing_id}?{query}"


def caption_for(listing: PostListing, channel: str, base_url: str, language: str = "id") -> str:
    """Title, price, shop and place, then the link; cut to the channel's limit (the link is kept)."""
    link = listing_link(base_url, listing.id, channel)
    place = ", ".join(part for part in (listing.kelurahan, listing.city) if part)
    lines = [listing.title, format_idr(listing.price_idr), f"{listing.shop_name} · {place}" if place else listing.shop_name]
    body = "\n".join(lines)
    limit = LIMITS.get(channel, DEFAULT_LIMIT)
    room = limit - len(link) - 1
    if len(body) > room:
        body = body[: max(0, room - 1)].rstrip() + "…"
    return f"{body}\n{link}"
