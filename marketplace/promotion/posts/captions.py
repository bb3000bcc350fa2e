"""Captions for posts about a listing, one template per channel, cut to each platform's limits.

Bahasa Indonesia is the default (the buyers are here); English is there for channels aimed abroad.
A caption is three parts: the text (title, price, shop, place), the link (with UTM parameters, so
:mod:`marketplace.promotion.attribution.services` can credit the channel) and hashtags. When a platform's limit
is reached the hashtags go first, then the text is cut on a word boundary with "…"; the link is never
cut, because a caption whose link is broken sends nobody anywhere.

Flask-free: workers build captions too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from marketplace.formatting import format_idr

#: Characters a caption may have on each channel (``None``: no limit). Facebook's post limit is 63,206;
#: a Telegram photo caption 1,024; a Pinterest pin description 500 (its title: ``PINTEREST_TITLE_LIMIT``).
LIMITS: dict[str, int | None] = {
    "instagram": 2200,
    "facebook": 63206,
    "telegram": 1024,
    "pinterest": 500,
    "webhook": None,
    "feed": None,
}
PINTEREST_TITLE_LIMIT = 100
LANGUAGES = ("id", "en")
ELLIPSIS = "…"

#: Per language, per channel: the text part (``{title}``, ``{price}``, ``{shop}``, ``{kelurahan}``,
#: ``{city}``, ``{category}``) and the line that introduces the link.
_TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "id": {
        "instagram": ("✨ {title}\n💰 {price}\n🏪 {shop} — {kelurahan}, {city}\n\nBuatan tangan perajin lokal.",
                      "Pesan sekarang: {link}"),
        "facebook": ("{title} — {price}\nDari {shop}, {kelurahan}, {city}. Buatan tangan perajin lokal.",
                     "Lihat dan pesan: {link}"),
        "telegram": ("<b>{title}</b>\n{price} · {shop}\n📍 {kelurahan}, {city}", "Pesan: {link}"),
        "pinterest": ("{title} ({price}) dari {shop}, {kelurahan}, {city}. Kerajinan {category} buatan tangan.",
                      "{link}"),
        "webhook": ("{title} — {price} — {shop} ({kelurahan}, {city})", "{link}"),
        "feed": ("{title} — {price} — {shop} ({kelurahan}, {city})", "{link}"),
    },
    "en": {
        "instagram": ("✨ {title}\n💰 {price}\n🏪 {shop} — {kelurahan}, {city}\n\nHandmade by local artisans.",
                      "Order now: {link}"),
        "facebook": ("{title} — {price}\nFrom {shop}, {kelurahan}, {city}. Handmade by local artisans.",
                     "See and order: {link}"),
        "telegram": ("<b>{title}</b>\n{price} · {shop}\n📍 {kelurahan}, {city}", "Order: {link}"),
        "pinterest": ("{title} ({price}) from {shop}, {kelurahan}, {city}. Handmade {category}.", "{link}"),
        "webhook": ("{title} — {price} — {shop} ({kelurahan}, {city})", "{link}"),
        "feed": ("{title} — {price} — {shop} ({kelurahan}, {city})", "{link}"),
    },
}
_FIXED_TAGS = ("PasarKreatif", "BuatanIndonesia")


@dataclass(frozen=True)
class PostListing:
    """What a post needs to know of a listing (a plain record: workers pass it around, tests build it)."""

    id: int
    title: str
    price_idr: int
    shop_name: str
    kelurahan: str
    city: str
    category: str
    image_url: str | None


def post_listing(listing: Any, image_url: str | None = None) -> PostListing:
    """A :class:`PostListing` from a ``Listing`` row (its shop loaded); ``image_url`` is the absolute URL
    of its first photo, which only the caller (who knows the media storage) can make."""
    shop = listing.shop
    return PostListing(id=listing.id, title=listing.title, price_idr=listing.price_idr, shop_name=shop.name,
                       kelurahan=shop.kelurahan, city=shop.city, category=listing.category, image_url=image_url)


def listing_link(base_url: str, listing_id: int, channel: str) -> str:
    """The listing page's absolute URL, tagged so a visit from it is credited to ``channel``."""
    query = urlencode({"utm_source": channel, "utm_medium": "social", "utm_campaign": f"listing-{listing_id}"})
    return f"{base_url.rstrip('/')}/listings/{listing_id}?{query}"


def hashtag(text: str) -> str:
    """``"Pondok Cabe Ilir"`` → ``"#PondokCabeIlir"``: accents dropped, only letters and digits kept (a
    space or punctuation would end the tag early on every platform); ``""`` when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", ascii_text)
    tag = "".join(w[:1].upper() + w[1:] for w in words)
    return f"#{tag}" if tag else ""


def hashtags(listing: PostListing) -> list[str]:
    """Kelurahan, city, category and the marketplace's own tags, each once, in that order."""
    seen: list[str] = []
    for text in (listing.kelurahan, listing.city, listing.category, *_FIXED_TAGS):
        tag = hashtag(text)
        if tag and tag.lower() not in (s.lower() for s in seen):
            seen.append(tag)
    return seen


def cut(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else cut on a word boundary and ended with "…"."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    room = text[: limit - len(ELLIPSIS)]
    boundary = max(room.rfind(" "), room.rfind("\n"))
    if boundary > 0:
        room = room[:boundary]
    return room.rstrip(" \n,.;:—-") + ELLIPSIS


def caption_for(listing: PostListing, channel: str, base_url: str, language: str = "id") -> str:
    """The caption for a post of ``listing`` on ``channel`` (see the module doc for how it is cut)."""
    if channel not in LIMITS:
        raise ValueError(f"unknown channel {channel!r}")
    templates = _TEMPLATES.get(language) or _TEMPLATES["id"]
    text_template, link_template = templates[channel]
    values = {
        "title": " ".join(listing.title.split()), "price": format_idr(listing.price_idr),
        "shop": listing.shop_name, "kelurahan": listing.kelurahan, "city": listing.city,
        "category": listing.category,
    }
    if channel == "telegram":  # sent with parse_mode=HTML: the listing's own text must stay text
        values = {k: _html_escape(v) for k, v in values.items()}
    text = text_template.format(**values)
    link_line = link_template.format(link=listing_link(base_url, listing.id, channel))
    tags = hashtags(listing)
    limit = LIMITS[channel]

    def compose(body: str, tag_list: list[str]) -> str:
        parts = [body, link_line] + ([" ".join(tag_list)] if tag_list else [])
        return "\n\n".join(parts)

    caption = compose(text, tags)
    if limit is None:
        return caption
    while tags and len(caption) > limit:
        tags = tags[:-1]
        caption = compose(text, tags)
    if len(caption) > limit:
        room = limit - len(compose("", []))
        caption = compose(cut(text, max(room, 0)), [])
    return caption


def pinterest_title(listing: PostListing) -> str:
    """A pin's title: the listing's title, cut to Pinterest's 100 characters."""
    return cut(" ".join(listing.title.split()), PINTEREST_TITLE_LIMIT)


def _html_escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
