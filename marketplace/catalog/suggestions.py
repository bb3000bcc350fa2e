"""Search-as-you-type suggestions for the header's search box (issue #29): a few products, shops and
categories for what has been typed so far.

Cheap by construction: products come from the catalogue search itself (its full-text engine with prefix
matching, the page's ids memoised like every search, no count); shops by a bounded prefix/substring match
on their names; categories are matched in memory by the caller (their labels are the visitor's language).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.catalog import services
from marketplace.listings.models import Listing
from marketplace.shops.models import Shop

if TYPE_CHECKING:
    from marketplace.catalog.memo import CatalogMemo

MAX_QUERY = 100
MAX_PRODUCTS = 5
MAX_SHOPS = 3


@dataclass(frozen=True)
class Suggestions:
    products: list[Listing]
    shops: list[Shop]


def _like_pattern(text: str) -> str:
    """``text`` as a LIKE substring pattern, its own ``%``, ``_`` and ``\\`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def suggest(session: Session, q: str, *, memo: "CatalogMemo | None" = None) -> Suggestions:
    """Products and shops for the typed text ``q`` (already checked: 2 to ``MAX_QUERY`` characters)."""
    if not services.search_terms(q):
        return Suggestions([], [])
    products = services.search(session, services.SearchParams(q=q, per_page=MAX_PRODUCTS), count=False,
                               memo=memo).items
    shops = list(session.scalars(
        select(Shop).where(Shop.suspended_at.is_(None),
                           func.lower(Shop.name).like(_like_pattern(" ".join(q.lower().split())), escape="\\"))
        .order_by(func.length(Shop.name), Shop.id).limit(MAX_SHOPS)))
    return Suggestions(products, shops)
