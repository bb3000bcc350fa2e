"""Catalogue read queries: search approved listings, the newest ones, what there is to browse.

Only ``approved`` listings are ever public (ARCHITECTURE.md §4); the one exception is the listing
page, where the listing's own artisan and admins may preview other statuses (the rule lives in
``listings.services.get_for_viewer``, shared with ``GET /api/v1/listings/<id>``).

These return rows (``Listing`` with its shop and photos preloaded); the output schemas
(:mod:`marketplace.catalog.schemas`) and the page views shape them for the API and the templates.

Given a :class:`~marketplace.catalog.memo.CatalogMemo` (``memo=``: the pages and the API pass the
app's), the part of each query that does not depend on stock or on who asks is reused across requests:
:func:`browse_counts` whole, and for :func:`search` / :func:`newest` the page's listing ids and total —
the listings of the page are then loaded by id for every request, so price, stock and photos are
always current.

Word search uses each backend's own full-text engine (see ``catalog.fts``). User text never reaches
SQL or the FTS5 query language unescaped: on PostgreSQL it is a bound argument of
``websearch_to_tsquery`` (which never raises on syntax); on SQLite it is reduced to word tokens, each
quoted as an FTS5 string and prefix-matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, func, literal_column, select, table
from sqlalchemy.orm import Session, contains_eager, selectinload
from sqlalchemy.sql.elements import ColumnElement

from marketplace.catalog import fts, synonyms
from marketplace.catalog.schemas import DEFAULT_PER_PAGE
from marketplace.listings.models import Listing, ListingStatus
from marketplace.reviews.ratings import rating_order
from marketplace.sentra.models import Sentra
from marketplace.shops.models import Shop

if TYPE_CHECKING:
    from marketplace.catalog.memo import CatalogMemo

_TERM = re.compile(r"[^\W_]+")
MAX_TERMS = 12
APPROVED = ListingStatus.APPROVED.value


def search_terms(q: str | None) -> list[str]:
    """The word tokens of ``q`` (punctuation and FTS operators dropped), at most ``MAX_TERMS``."""
    return _TERM.findall(q or "")[:MAX_TERMS]


def _fts5_string(term: str) -> str:
    return '"' + term.replace('"', '""') + '"*'


def fts5_match_expression(terms: list[str]) -> str:
    """``['batik', 'tulis']`` → ``"batik"* "tulis"*`` (every term required, each as a prefix).

    Each term is widened to its other-language words (``catalog.synonyms``):
    ``['mug']`` → ``("mug"* OR "cangkir"* OR …)``. Terms are alphanumeric tokens, but quoting (with
    ``"`` doubled) keeps words like ``AND``/``NEAR`` from being read as operators.
    """
    parts = []
    for group in synonyms.expand(terms):
        if len(group) == 1:
            parts.append(_fts5_string(group[0]))
        else:
            parts.append("(" + " OR ".join(_fts5_string(t) for t in group) + ")")
    return " AND ".join(parts)


def pg_tsquery_text(terms: list[str]) -> str | None:
    """The ``to_tsquery`` text of ``terms`` widened by ``catalog.synonyms``, or None when no term has
    another-language word (then ``websearch_to_tsquery`` keeps its quotes, ``or`` and ``-word``).

    Terms are word tokens (letters and digits only), so quoting each as a tsquery lexeme is safe.
    """
    groups = synonyms.expand(terms)
    if all(len(group) == 1 for group in groups):
        return None
    return " & ".join("(" + " | ".join(f"'{t}'" for t in group) + ")" for group in groups)


@dataclass(frozen=True)
class SearchParams:
    q: str | None = None
    category: str | None = None
    city: str | None = None
    kelurahan: str | None = None
    sentra_id: int | None = None
    min_price: int | None = None
    max_price: int | None = None
    sort: str | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    shop_id: int | None = None
    available: bool = False

    @classmethod
    def from_query(cls, data: dict[str, Any], **extra: Any) -> "SearchParams":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{**known, **extra})


def _word_filter(session: Session, q: str | None) -> tuple[ColumnElement[bool] | None, ColumnElement[Any] | None, Any]:
    """(where clause, relevance, FTS subquery to join on SQLite) for ``q``; Nones without words.

    The relevance is an expression whose *lowest* value is the best match (``-ts_rank`` on PostgreSQL,
    FTS5's own ``rank`` on SQLite), so it orders ascending on both."""
    terms = search_terms(q)
    if not terms:
        return None, None, None
    if session.get_bind().dialect.name == "postgresql":
        expanded = pg_tsquery_text(terms)
        if expanded is not None:
            tsquery = fts.pg_expanded_query(expanded)
        else:
            tsquery = fts.pg_query((q or "").replace("\x00", " "))  # PostgreSQL text cannot hold NUL
        return fts.pg_document().op("@@")(tsquery), -func.ts_rank(fts.pg_document(), tsquery), None
    fts_table = table(fts.FTS_TABLE)
    matches = (
        select(literal_column("rowid").label("listing_id"), literal_column("rank").label("rank"))
        .select_from(fts_table)
        .where(literal_column(fts.FTS_TABLE).op("MATCH")(fts5_match_expression(terms)))
        .subquery("fts_match")
    )
    return None, matches.c.rank, matches


def _ordering(sort: str, relevance: ColumnElement[Any] | None, cols: Any = Listing) -> list[ColumnElement[Any]]:
    """The ORDER BY of ``sort``, on ``cols`` (the model's columns, or a subquery's of the same names)."""
    newest = [cols.created_at.desc(), cols.id.desc()]
    if sort == "price_asc":
        return [cols.price_idr.asc(), cols.id.asc()]
    if sort == "price_desc":
        return [cols.price_idr.desc(), cols.id.desc()]
    if sort == "relevance" and relevance is not None:
        return [relevance.asc(), *newest]
    if sort == "rating":
        return [rating_order(cols.id).desc(), *newest]
    return newest


def _filtered(stmt: Select[Any], params: SearchParams, word_where: Any, fts_match: Any) -> Select[Any]:
    stmt = stmt.join(Shop, Shop.id == Listing.shop_id)
    if fts_match is not None:
        stmt = stmt.join(fts_match, fts_match.c.listing_id == Listing.id)
    conditions: list[Any] = [Listing.status == APPROVED, Shop.suspended_at.is_(None)]
    if word_where is not None:
        conditions.append(word_where)
    if params.category:
        conditions.append(Listing.category == params.category)
    if params.city:
        conditions.append(Shop.city == params.city)
    if params.kelurahan:
        conditions.append(Shop.kelurahan == params.kelurahan)
    if params.sentra_id is not None:
        conditions.append(Shop.sentra_id == params.sentra_id)
    if params.min_price is not None:
        conditions.append(Listing.price_idr >= params.min_price)
    if params.max_price is not None:
        conditions.append(Listing.price_idr <= params.max_price)
    if params.shop_id is not None:
        conditions.append(Listing.shop_id == params.shop_id)
    if params.available:
        conditions.append(Listing.stock > 0)
    return stmt.where(and_(*conditions))


@dataclass(frozen=True)
class SearchResult:
    """One page of a search: the listings (shop and photos loaded) and where the page lies."""

    items: list[Listing]
    page: int
    per_page: int
    total: int
    sort: str

    def page_info(self) -> dict[str, Any]:
        return {"page": self.page, "per_page": self.per_page, "total": self.total, "sort": self.sort}


def search(session: Session, params: SearchParams, *, count: bool = True,
           memo: "CatalogMemo | None" = None) -> SearchResult:
    """One page of approved listings matching ``params``.

    ``sort`` defaults to relevance when there are search words, else newest; relevance without
    words falls back to newest (a search form keeps its sort when the words are cleared).
    ``count=False`` skips the count (``total`` is then the number of items on the page): a count
    visits every matching row, 100,000 of them for an unfiltered catalogue, and the home page's
    newest listings never show it. With ``memo``, the page's ids and total are reused while the
    listing set is unchanged (while the catalogue is, for ``available``: it filters on stock); the
    listings are loaded afresh.
    """
    word_where, relevance, fts_match = _word_filter(session, params.q)
    sort = params.sort or ("relevance" if relevance is not None else "newest")
    if sort == "relevance" and relevance is None:
        sort = "newest"

    def page() -> tuple[tuple[int, ...], int]:
        return _page_ids(session, params, word_where, relevance, fts_match, sort, count)

    if memo is not None:
        key = ("search", replace(params, q=_normal_q(params.q) if word_where is not None or fts_match is not None
                                 else None, sort=sort), count)
        ids, total = memo.fetch(session, key, page, stock=params.available)
    else:
        ids, total = page()
    return SearchResult(items=_load(session, ids), page=params.page, per_page=params.per_page, total=total, sort=sort)


def _normal_q(q: str | None) -> str:
    """What the word query depends on of ``q`` (runs of spaces are one space to both engines)."""
    return " ".join((q or "").split())


def _page_ids(session: Session, params: SearchParams, word_where: Any, relevance: Any, fts_match: Any,
              sort: str, count: bool) -> tuple[tuple[int, ...], int]:
    """The ids of the page's listings, in order, and the total (the page's length when not ``count``)."""
    offset = (params.page - 1) * params.per_page
    if count and (word_where is not None or fts_match is not None):
        return _word_page(session, params, word_where, relevance, fts_match, sort, offset)
    ordering = _ordering(sort, relevance)
    total = None
    if count:
        total = session.scalar(_filtered(select(func.count()).select_from(Listing), params, word_where, fts_match)) or 0
    ids: list[int] = []
    if total is None or total > offset:
        ids = list(session.scalars(
            _filtered(select(Listing.id), params, word_where, fts_match)
            .order_by(*ordering)
            .limit(params.per_page)
            .offset(offset)
        ))
    return tuple(ids), len(ids) if total is None else total


def _with_shop_and_photos(stmt: Select[Any]) -> Select[Any]:
    return stmt.options(contains_eager(Listing.shop).joinedload(Shop.sentra_centre), selectinload(Listing.images))


def _load(session: Session, ids: tuple[int, ...]) -> list[Listing]:
    """The listings of ``ids`` (shop, sentra and photos loaded), in that order."""
    if not ids:
        return []
    loaded = session.scalars(
        _with_shop_and_photos(select(Listing).join(Shop, Shop.id == Listing.shop_id).where(Listing.id.in_(ids)))
    ).unique().all()
    by_id = {listing.id: listing for listing in loaded}
    return [by_id[i] for i in ids if i in by_id]


def _word_page(session: Session, params: SearchParams, word_where: Any, relevance: Any, fts_match: Any,
               sort: str, offset: int) -> tuple[tuple[int, ...], int]:
    """A word search's page of ids and total from one pass over the matches.

    Finding the matches is the expensive part (every match's row is read to filter and rank it), so
    the page's ids and the total come from one query (``count(*) OVER ()``, evaluated before the
    LIMIT) instead of a count query and a page query that each find them again. The matches are
    narrowed to the columns the order needs (relevance computed there) in a subquery the planner keeps
    apart (``OFFSET 0``): otherwise PostgreSQL carries every match's whole row, search vector included,
    through the window to rank it after, and at 13,000 matches the window's store spilled to disk
    (bench/README.md, "Logged-in visitors"). A page past the last has no row to carry the total:
    counted apart.
    """
    columns = [Listing.id, Listing.created_at, Listing.price_idr]
    if sort == "relevance" and relevance is not None:
        columns.append(relevance.label("relevance"))
    matches = _filtered(select(*columns), params, word_where, fts_match).offset(0).subquery("matches")
    ranked = session.execute(
        select(matches.c.id, func.count().over().label("total"))
        .order_by(*_ordering(sort, matches.c.relevance if len(columns) == 4 else None, matches.c))
        .limit(params.per_page)
        .offset(offset)
    ).all()
    if not ranked:
        total = 0
        if offset:
            total = session.scalar(
                _filtered(select(func.count()).select_from(Listing), params, word_where, fts_match)) or 0
        return (), total
    return tuple(row.id for row in ranked), ranked[0].total


def newest(session: Session, *, limit: int = 12, memo: "CatalogMemo | None" = None) -> list[Listing]:
    return search(session, SearchParams(sort="newest", per_page=limit), count=False, memo=memo).items


def browse_counts(session: Session, memo: "CatalogMemo | None" = None) -> dict[str, Any]:
    """Approved listings per city → kelurahan (with sentra names) and per category, for the home page.

    One pass: approved listings are counted per (shop, category) on their own, an index-only scan of
    ``ix_listings_status_shop_id_category``, then joined to the few thousand shops and summed per
    (place, category) — at most places × categories rows, which give both lists here. Joining shops
    first, as two queries, read every listing row twice (~400 ms at 100,000 listings, bench/README.md).
    The sentra names are joined to those few rows, not before grouping, and they are put in order
    here: sorting the ~29,000 (shop, category) rows by their place's text before grouping them was
    half of the query's time (73 → 38 ms at 100,000 listings).
    With ``memo`` the result (read-only mappings and tuples) is reused while the listing set is unchanged.
    """
    if memo is not None:
        return memo.fetch(session, ("browse_counts",), lambda: _browse_counts(session))  # type: ignore[no-any-return]
    return _browse_counts(session)


def _browse_counts(session: Session) -> dict[str, Any]:
    per_shop = (
        select(Listing.shop_id, Listing.category, func.count().label("n"))
        .where(Listing.status == APPROVED)
        .group_by(Listing.shop_id, Listing.category)
        .subquery("per_shop")
    )
    per_place = (
        select(Shop.city, Shop.kelurahan, Shop.sentra_id, per_shop.c.category, func.sum(per_shop.c.n).label("n"))
        .join(per_shop, per_shop.c.shop_id == Shop.id)
        .where(Shop.suspended_at.is_(None))
        .group_by(Shop.city, Shop.kelurahan, Shop.sentra_id, per_shop.c.category)
        .subquery("per_place")
    )
    rows = sorted(session.execute(
        select(per_place.c.city, per_place.c.kelurahan, Sentra.name, per_place.c.category, per_place.c.n)
        .outerjoin(Sentra, Sentra.id == per_place.c.sentra_id)
    ).all(), key=lambda row: (row[0], row[1]))
    places: dict[str, dict[str, dict[str, Any]]] = {}
    per_category: dict[str, int] = {}
    for city, kelurahan, sentra, category, count in rows:
        entry = places.setdefault(city, {}).setdefault(kelurahan, {"count": 0, "sentra": set()})
        entry["count"] += int(count)
        if sentra:
            entry["sentra"].add(sentra)
        per_category[category] = per_category.get(category, 0) + int(count)
    return {
        "places": {
            city: [{"kelurahan": k, "count": v["count"], "sentra": sorted(v["sentra"])} for k, v in kels.items()]
            for city, kels in places.items()
        },
        "categories": [{"category": c, "count": n} for c, n in sorted(per_category.items(), key=lambda i: (-i[1], i[0]))],
    }
