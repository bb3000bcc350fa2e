"""RSS 2.0 and Atom 1.0 feeds of newly approved listings (what social schedulers and messaging tools pull).

Built with ElementTree, so every text (a hostile title included) is escaped by the serializer; the
characters XML 1.0 cannot carry at all (control characters) are dropped first, or a reader would refuse
the whole feed. Each entry links to the listing with ``utm_source=feed`` and has its first photo as an
enclosure (type and length in bytes: the storage's file size where it can tell cheaply, else 0, as the
RSS Advisory Board advises for an unknown size), the price and the shop.

Flask-free: the view passes the session, the storage's URL and size functions and the base URL.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any
from xml.etree import ElementTree as ET

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from marketplace.formatting import format_idr
from marketplace.listings.models import Listing, ListingStatus
from marketplace.promotion.posts.captions import listing_link
from marketplace.shops.models import Shop

ATOM_NS = "http://www.w3.org/2005/Atom"
RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class FeedFilters:
    city: str | None = None
    kelurahan: str | None = None
    category: str | None = None

    def title_suffix(self) -> str:
        parts = [p for p in (self.category, self.kelurahan, self.city) if p]
        return f" — {', '.join(parts)}" if parts else ""


@dataclass(frozen=True)
class FeedEntry:
    id: int
    revision: int
    title: str
    summary: str
    link: str
    price_idr: int
    shop_name: str
    category: str
    place: str
    updated: datetime
    image_url: str | None
    image_type: str | None
    image_length: int


def clean(text: str) -> str:
    return _XML_INVALID.sub("", text or "")


def approved_time(listing: Listing) -> datetime:
    return listing.approved_at or listing.updated_at or listing.created_at or _EPOCH


def newest_approved(session: Session, filters: FeedFilters, limit: int) -> list[Listing]:
    """Approved listings, the most recently approved first (the moderation decision's time)."""
    stmt = (select(Listing).join(Shop, Shop.id == Listing.shop_id)
            .where(Listing.status == ListingStatus.APPROVED.value)
            .options(joinedload(Listing.shop), selectinload(Listing.images))
            .order_by(func.coalesce(Listing.approved_at, Listing.created_at).desc(), Listing.id.desc())
            .limit(max(1, limit)))
    if filters.city:
        stmt = stmt.where(Shop.city == filters.city)
    if filters.kelurahan:
        stmt = stmt.where(Shop.kelurahan == filters.kelurahan)
    if filters.category:
        stmt = stmt.where(Listing.category == filters.category)
    return list(session.scalars(stmt).unique())


def entries(listings: list[Listing], base_url: str, image_url: Callable[[str], str],
            image_size: Callable[[str], int]) -> list[FeedEntry]:
    out = []
    for listing in listings:
        photo = min(listing.images, key=lambda i: (i.position, i.id)) if listing.images else None
        summary = " ".join(listing.description.split())
        out.append(FeedEntry(
            id=listing.id, revision=listing.revision, title=clean(listing.title),
            summary=clean(summary[:497] + "…" if len(summary) > 500 else summary),
            link=listing_link(base_url, listing.id, "feed"), price_idr=listing.price_idr,
            shop_name=clean(listing.shop.name), category=listing.category,
            place=clean(f"{listing.shop.kelurahan}, {listing.shop.city}"), updated=approved_time(listing),
            image_url=clean(absolute(base_url, image_url(photo.key))) if photo else None,
            image_type=photo.content_type if photo else None, image_length=image_size(photo.key) if photo else 0,
        ))
    return out


def absolute(base_url: str, url: str) -> str:
    return url if re.match(r"^[a-z][a-z0-9+.-]*://", url, re.I) else base_url.rstrip("/") + "/" + url.lstrip("/")


def etag(kind: str, filters: FeedFilters, items: list[FeedEntry]) -> str:
    """Changes when any entry (or its revision, price, shop name) or the filter does."""
    digest = hashlib.sha256(repr((kind, filters, [(e.id, e.revision, e.updated.isoformat(), e.price_idr,
                                                   e.shop_name, e.image_url) for e in items])).encode())
    return digest.hexdigest()[:32]


def last_modified(items: list[FeedEntry]) -> datetime:
    return max((e.updated for e in items), default=_EPOCH)


def _line(entry: FeedEntry) -> str:
    return f"{format_idr(entry.price_idr)} — {entry.shop_name} ({entry.place})"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def rss(items: list[FeedEntry], *, title: str, site_url: str, self_url: str, language: str = "id") -> bytes:
    """An RSS 2.0 document: channel title/link/description (required), items with title, link,
    description, guid, pubDate, category and the photo as enclosure."""
    ET.register_namespace("atom", ATOM_NS)
    root = ET.Element("rss", {"version": "2.0"})
    channel = _sub(root, "channel")
    _sub(channel, "title", clean(title))
    _sub(channel, "link", site_url)
    _sub(channel, "description", "Produk kreatif yang baru disetujui di Pasar Kreatif.")
    _sub(channel, "language", language)
    _sub(channel, "lastBuildDate", format_datetime(last_modified(items), usegmt=True))
    _sub(channel, f"{{{ATOM_NS}}}link", href=self_url, rel="self", type=RSS_TYPE)
    for entry in items:
        item = _sub(channel, "item")
        _sub(item, "title", entry.title)
        _sub(item, "link", entry.link)
        # RSS readers decode <description> and then render it as HTML: escape the artisan's text once
        # more, so what they render is that text (an Atom <summary> is plain text by its spec).
        _sub(item, "description", html.escape(f"{_line(entry)}. {entry.summary}".strip(), quote=False))
        _sub(item, "guid", f"{site_url.rstrip('/')}/listings/{entry.id}", isPermaLink="true")
        _sub(item, "pubDate", format_datetime(entry.updated, usegmt=True))
        _sub(item, "category", entry.category)
        if entry.image_url:
            _sub(item, "enclosure", url=entry.image_url, length=str(entry.image_length),
                 type=entry.image_type or "image/jpeg")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def atom(items: list[FeedEntry], *, title: str, site_url: str, self_url: str, feed_id: str) -> bytes:
    """An Atom 1.0 document: feed id/title/updated/author/link (required), entries with id, title,
    updated, author (the shop), alternate link, summary, category and the photo as enclosure link."""
    def q(tag: str) -> str:  # unprefixed: the default namespace is declared on the root (ElementTree's
        return tag              # ``default_namespace`` refuses unqualified attributes such as ``rel``)

    root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "id"})
    _sub(root, q("id"), feed_id)
    _sub(root, q("title"), clean(title))
    _sub(root, q("updated"), last_modified(items).isoformat())
    _sub(_sub(root, q("author")), q("name"), "Pasar Kreatif")
    _sub(root, q("link"), rel="self", type=ATOM_TYPE, href=self_url)
    _sub(root, q("link"), rel="alternate", type="text/html", href=site_url)
    for entry in items:
        node = _sub(root, q("entry"))
        _sub(node, q("id"), f"{site_url.rstrip('/')}/listings/{entry.id}")
        _sub(node, q("title"), entry.title)
        _sub(node, q("updated"), entry.updated.isoformat())
        _sub(_sub(node, q("author")), q("name"), entry.shop_name)
        _sub(node, q("link"), rel="alternate", type="text/html", href=entry.link)
        if entry.image_url:
            _sub(node, q("link"), rel="enclosure", href=entry.image_url, type=entry.image_type or "image/jpeg",
                 length=str(entry.image_length))
        _sub(node, q("summary"), f"{_line(entry)}. {entry.summary}".strip())
        _sub(node, q("category"), term=entry.category)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def feed_title(filters: FeedFilters) -> str:
    return f"Pasar Kreatif — produk baru{filters.title_suffix()}"


def describe(filters: FeedFilters) -> dict[str, Any]:
    return {k: v for k, v in (("city", filters.city), ("kelurahan", filters.kelurahan),
                              ("category", filters.category)) if v}
