"""What the sitemaps list: every public page with the time it last changed, read in pages of at most
50,000 URLs (the sitemap protocol's limit per file). Flask-free: the views turn rows into URLs.

Public means what the storefront shows anonymous visitors: approved listings of shops not suspended,
those shops, every sentra, the kelurahan that have at least one such shop, and every programme event
not cancelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.language_paths import LANGUAGES
from marketplace.listings.models import Listing, ListingStatus
from marketplace.programme.models import EventStatus, ProgrammeEvent
from marketplace.sentra.models import Sentra
from marketplace.shops.models import Shop

#: The sitemap protocol's limit of URLs per file.
URLS_PER_FILE = 50_000
KINDS = ("listings", "shops", "sentra", "places", "events")

_APPROVED = ListingStatus.APPROVED.value


def _public_listings() -> Any:
    return (select(Listing.id, Listing.updated_at).join(Shop, Shop.id == Listing.shop_id)
            .where(Listing.status == _APPROVED, Shop.suspended_at.is_(None)))


def _public_shops() -> Any:
    last_change = func.max(Listing.updated_at)
    return (select(Shop.slug, func.coalesce(last_change, Shop.created_at))
            .outerjoin(Listing, (Listing.shop_id == Shop.id) & (Listing.status == _APPROVED))
            .where(Shop.suspended_at.is_(None)).group_by(Shop.id, Shop.slug, Shop.created_at))


def _places() -> Any:
    return (select(Shop.city, Shop.kelurahan, func.max(Shop.created_at)).where(Shop.suspended_at.is_(None))
            .group_by(Shop.city, Shop.kelurahan))


def _events() -> Any:
    return select(ProgrammeEvent.id, ProgrammeEvent.updated_at).where(ProgrammeEvent.status == EventStatus.SCHEDULED.value)


def rows_per_file() -> int:
    """Pages per sitemap file: each page is listed once per language (:mod:`marketplace.language_paths`),
    and a file holds at most :data:`URLS_PER_FILE` URLs."""
    return max(1, URLS_PER_FILE // len(LANGUAGES))


def counts(session: Session) -> dict[str, int]:
    """How many URLs of each kind there are (the index names one file per 50,000)."""
    def count(stmt: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)

    return {"listings": count(_public_listings()), "shops": count(_public_shops()),
            "sentra": count(select(Sentra.id)), "places": count(_places()),
            "events": count(_events())}


def files(session: Session) -> list[tuple[str, int]]:
    """The sitemap files, ``(kind, page)``: one per kind at least (an empty one is valid), one more per
    50,000 URLs (25,000 pages in two languages)."""
    return [(kind, page) for kind, n in counts(session).items()
            for page in range(1, max(1, -(-n // rows_per_file())) + 1)]


def entries(session: Session, kind: str, page: int) -> Sequence[tuple[Any, datetime | None]]:
    """One file's rows: ``(key, last change)`` where key is a listing id, a shop or sentra slug, or a
    ``(city, kelurahan)`` pair; ordered so a page always holds the same rows."""
    offset = (page - 1) * rows_per_file()
    if kind == "listings":
        stmt = _public_listings().order_by(Listing.id)
    elif kind == "shops":
        stmt = _public_shops().order_by(Shop.slug)
    elif kind == "sentra":
        stmt = select(Sentra.slug, Sentra.updated_at).order_by(Sentra.slug)
    elif kind == "places":
        stmt = _places().order_by(Shop.city, Shop.kelurahan)
    elif kind == "events":
        stmt = _events().order_by(ProgrammeEvent.id)
    else:
        raise ValueError(kind)
    rows = session.execute(stmt.limit(rows_per_file()).offset(offset)).all()
    if kind == "places":
        return [((city, kelurahan), changed) for city, kelurahan, changed in rows]
    return [(key, changed) for key, changed in rows]
