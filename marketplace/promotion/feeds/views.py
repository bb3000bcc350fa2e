"""``GET /feeds/listings.rss`` and ``/feeds/listings.atom``: newly approved listings, all or per city,
kelurahan or category (see :mod:`marketplace.promotion.feeds.services`).

Schedulers poll these every few minutes, so answers carry an ETag and Last-Modified and a conditional
request that matches is a bodiless 304. A filter value that cannot be valid (an unknown category, an
over-long name) is a 422; a city or kelurahan with no listings is an empty, valid feed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request
from marshmallow import EXCLUDE, ValidationError, fields, validate

from marketplace.web.transaction import get_session
from marketplace.errors import ValidationFailed
from marketplace.fields import OneLine, QuerySchema
from marketplace.listings.models import CATEGORIES
from marketplace.promotion.feeds import services as feeds
from marketplace.web.deps import deps

bp = Blueprint("promotion_feeds", __name__)

CACHE_CONTROL = "public, max-age=300"


class FeedQuery(QuerySchema):
    """The feed's filters (the catalogue search's limits)."""

    city = OneLine(validate=validate.Length(max=80))
    kelurahan = OneLine(validate=validate.Length(max=80))
    category = fields.String(validate=validate.OneOf(CATEGORIES))


def _filters() -> feeds.FeedFilters:
    try:
        data = FeedQuery(unknown=EXCLUDE).load(request.args.to_dict())
    except ValidationError as err:
        raise ValidationFailed("The feed's filters are not valid.", fields=err.messages) from err  # type: ignore[arg-type]
    return feeds.FeedFilters(city=data.get("city"), kelurahan=data.get("kelurahan"), category=data.get("category"))


def _size_of(storage: Any) -> Any:
    """Byte size of a stored photo when the storage can tell without fetching it (local files); else 0."""
    path_of = getattr(storage, "path", None)

    def size(key: str) -> int:
        if path_of is None:
            return 0
        try:
            return int(path_of(key).stat().st_size)
        except (OSError, ValueError):
            return 0

    return size


def _feed(kind: str) -> Response:
    settings = deps().settings
    base_url = settings.public_base_url.rstrip("/")
    filters = _filters()
    storage = deps().media_storage
    listings = feeds.newest_approved(get_session(), filters, settings.feed_max_entries)
    items = feeds.entries(listings, base_url, storage.url, _size_of(storage))
    query = urlencode(feeds.describe(filters))
    self_url = f"{base_url}{request.path}" + (f"?{query}" if query else "")
    title = feeds.feed_title(filters)
    if kind == "rss":
        body = feeds.rss(items, title=title, site_url=base_url + "/", self_url=self_url)
        mimetype = feeds.RSS_TYPE
    else:
        body = feeds.atom(items, title=title, site_url=base_url + "/", self_url=self_url, feed_id=self_url)
        mimetype = feeds.ATOM_TYPE
    response = Response(body, mimetype=mimetype)
    response.set_etag(feeds.etag(kind, filters, items))
    response.last_modified = feeds.last_modified(items)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response.make_conditional(request)


@bp.route("/feeds/listings.rss")
def listings_rss() -> Any:
    """RSS 2.0 feed of newly approved listings (``?city=&kelurahan=&category=``)."""
    return _feed("rss")


@bp.route("/feeds/listings.atom")
def listings_atom() -> Any:
    """Atom 1.0 feed of newly approved listings (``?city=&kelurahan=&category=``)."""
    return _feed("atom")
