"""Public pages: home, search, one listing (server-rendered, mobile-first).

The views compose each page from read-only queries and shape the rows with the output schemas
(search cards are the API's items) or here (the listing page's photos and Open Graph card).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, get_template_attribute, jsonify, render_template, request, url_for
from markupsafe import Markup
from marshmallow import EXCLUDE, ValidationError

from marketplace.web import pagecache
from marketplace.web.auth import current_user
from marketplace.catalog import card_facts as facts, home as storefront, schemas, services, suggestions
from marketplace.web.transaction import get_session
from marketplace.web.i18n import current_locale
from marketplace.db import utcnow
from marketplace.errors import NotFound
from marketplace.listings import services as listings
from marketplace.listings.models import CATEGORIES, ListingStatus
from marketplace.media.storage import public_url
from marketplace.messaging import offers
from marketplace.reviews import services as reviews
from marketplace.shipping.estimate import estimate_for_listing
from marketplace.shipping.rates import rates_for
from marketplace.shops import places
from marketplace.web.deps import deps
from marketplace.web.errors import error_body

bp = Blueprint("catalog_pages", __name__)

SORT_LABELS = (
    ("relevance", "Most relevant"),
    ("newest", "Newest"),
    ("price_asc", "Price: low to high"),
    ("price_desc", "Price: high to low"),
    ("rating", "Best rated"),
)


def _filter_choices() -> dict[str, Any]:
    return {
        "categories": CATEGORIES,
        "places": {city: places.kelurahan_of(city) for city in places.CITIES},
        "sorts": SORT_LABELS,
    }


@bp.app_template_global()
def card_facts(items: list[dict[str, Any]]) -> dict[int, facts.CardFacts]:
    """The product grid's ratings, sold counts and voucher badges (``catalog.card_facts``): three grouped
    statements for the whole grid, none per card."""
    return facts.card_facts(get_session(), ((item["id"], item["shop"]["id"]) for item in items), now=utcnow())


@bp.app_template_global()
def rating_text(average: float | None) -> str:
    """``4,5`` in Bahasa Indonesia, ``4.5`` in English (one decimal), for the cards."""
    if average is None:
        return ""
    text = f"{average:.1f}"
    return text.replace(".", ",") if current_locale() == "id" else text


@bp.route("/")
@pagecache.anonymous
def home() -> Any:
    """The programme, the newest approved listings, and ways to browse by place and category."""
    session = get_session()
    memo = _memo()
    now = utcnow()
    events = storefront.upcoming_events(session, now=now)
    return render_template("catalog/home.html", newest=_cards(services.newest(session, memo=memo)),
                           bestsellers=_cards(storefront.bestsellers(session, memo=memo)),
                           campaign=storefront.campaign(session, events, now=now), events=events,
                           sentra=storefront.sentra_highlights(session),
                           browse=Markup(_browse_lists(session, memo)))


def _browse_lists(session: Any, memo: Any) -> str:
    """The rendered browse-by-place and browse-by-category lists, kept in the catalogue memo per language
    (and script root, which their links start with): they show nothing of the visitor, and rendering
    their hundred-odd links and counts was two thirds of a home page the page copy cannot answer."""
    def render() -> str:
        return render_template("catalog/_browse.html", **services.browse_counts(session, memo=memo))

    return memo.fetch(session, ("home-browse-html", current_locale(), request.script_root), render)


def _memo() -> Any:
    """The process's catalogue memo (``marketplace.catalog.memo``), shared by every visitor."""
    return current_app.extensions["catalog_memo"]


def _cards(items: list[Any]) -> list[dict[str, Any]]:
    return schemas.ListingCard(many=True).dump(items)


def _result(result: services.SearchResult) -> dict[str, Any]:
    return {**result.page_info(), "items": _cards(result.items)}


@bp.route("/search")
@pagecache.anonymous
def search() -> Any:
    """Search approved listings with the API's filters (a GET form, so results can be shared)."""
    args = {k: v for k, v in request.args.items() if k in schemas.SearchQuery().fields}
    try:
        query = schemas.SearchQuery().load(args, unknown=EXCLUDE)
    except ValidationError as err:
        errors = err.normalized_messages()
        return render_template("catalog/search.html", args=args, errors=errors, result=None, **_filter_choices()), 400
    result = _result(services.search(get_session(), services.SearchParams.from_query(query), memo=_memo()))
    return render_template("catalog/search.html", args=args, errors={}, result=result, page_url=_page_url(args),
                           without=_without(args), **_filter_choices())


@bp.route("/search/suggest")
def suggest() -> Any:
    """``?q=`` → a few products, shops and categories for the header's search box (JSON; site.js reads it).

    ``q`` is what has been typed: 2 to 100 characters, else a 400 with the usual error shape."""
    q = " ".join(request.args.get("q", "").split())
    if not 2 <= len(q) <= suggestions.MAX_QUERY or "\x00" in q:
        message = "Type 2 to 100 characters."
        return jsonify(error_body("validation_error", message, {"q": [message]})), 400
    found = suggestions.suggest(get_session(), q, memo=_memo())
    label = get_template_attribute("_labels.html", "category_label")
    needle = q.lower()
    categories = [{"name": str(label(c)).strip(), "url": url_for(".search", category=c)}
                  for c in CATEGORIES if needle in c or needle in str(label(c)).lower()][:3]
    return jsonify({
        "products": [{"name": item.title, "url": url_for(".listing", listing_id=item.id)} for item in found.products],
        "shops": [{"name": shop.name, "url": url_for("shops_pages.show", slug=shop.slug)} for shop in found.shops],
        "categories": categories,
    })


def _without(args: dict[str, str]) -> Any:
    """The search's address without one filter (and from its first page): a chip's "remove" link."""
    def build(name: str) -> str:
        return url_for("catalog_pages.search", **{k: v for k, v in args.items() if k not in (name, "page") and v})

    return build


def _page_url(args: dict[str, str]) -> Any:
    def build(page: int) -> str:
        return url_for("catalog_pages.search", **{**args, "page": page})

    return build


@bp.route("/listings/<int:listing_id>")
@pagecache.anonymous
def listing(listing_id: int) -> Any:
    """One listing: public when approved; its artisan and admins may preview other statuses.

    ``?ship_city=&ship_province=`` (the "Estimate shipping" form) adds a shipping estimate; bad input
    there is shown on the form with status 400, like the search page's filters.
    """
    settings = deps().settings
    session, viewer, offer = get_session(), current_user(), None
    try:
        item = listings.get_for_viewer(session, listing_id, viewer)
    except NotFound:  # a custom offer's private listing: its buyer may look at what they were offered
        offer = offers.offered_to(session, listing_id, viewer)
        item = offer.listing
    images = [
        {"url": public_url(img.key), "thumb_url": public_url(img.thumb_key), "width": img.width, "height": img.height}
        for img in sorted(item.images, key=lambda i: (i.position, i.id))
    ]
    # ``?photo=N`` (the thumbnails' links; site.js swaps in place) picks the large photo, 1-based.
    photo = request.args.get("photo", "")
    photo_index = int(photo) - 1 if photo.isdigit() and 1 <= int(photo) <= len(images) else 0
    base_url = settings.public_base_url
    summary = " ".join(item.description.split())
    og = {
        "og:type": "product",
        "og:title": item.title,
        "og:description": summary[:197] + "…" if len(summary) > 200 else summary,
        "og:url": absolute_url(base_url, url_for("catalog_pages.listing", listing_id=listing_id)),
        "og:site_name": "Pasar Kreatif",
        "product:price:amount": str(item.price_idr),
        "product:price:currency": "IDR",
    }
    if images:
        og["og:image"] = absolute_url(base_url, images[0]["url"])
    shipping = estimate_for_listing(item, request.args, rates_for(settings), deps().shipping_quotes)
    preview = item.status != ListingStatus.APPROVED.value
    shop_rating = None if preview else reviews.summary(get_session(), shop_id=item.shop_id)  # one grouped statement
    return render_template(
        "catalog/listing.html", listing=item, shop=item.shop, images=images, og=og,
        image_urls={img.id: public_url(img.key) for img in item.images},
        preview=preview, shipping=shipping, photo_index=photo_index, shop_rating=shop_rating, offer=offer,
    ), (400 if shipping.errors else 200)


def absolute_url(base_url: str, url: str) -> str:
    """``/media/x.jpg`` → ``https://pasar.example/media/x.jpg``; absolute URLs (S3, CDN) unchanged.

    Open Graph consumers (WhatsApp, Facebook) ignore relative image URLs.
    """
    if urlsplit(url).scheme:
        return url
    return base_url.rstrip("/") + "/" + url.lstrip("/")
