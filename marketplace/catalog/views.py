"""Public pages: home, search, one listing (server-rendered, mobile-first)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from marshmallow import EXCLUDE, ValidationError

from marketplace.accounts.security import current_user
from marketplace.catalog import schemas, services
from marketplace.db import get_session
from marketplace.listings.models import CATEGORIES
from marketplace.shipping.estimate import estimate_for_listing
from marketplace.shipping.rates import rates_for
from marketplace.shops import places

bp = Blueprint("catalog_pages", __name__)

SORT_LABELS = (
    ("relevance", "Most relevant"),
    ("newest", "Newest"),
    ("price_asc", "Price: low to high"),
    ("price_desc", "Price: high to low"),
)


def _filter_choices() -> dict[str, Any]:
    return {
        "categories": CATEGORIES,
        "places": {city: places.kelurahan_of(city) for city in places.CITIES},
        "sorts": SORT_LABELS,
    }


@bp.route("/")
def home() -> Any:
    """The programme, the newest approved listings, and ways to browse by place and category."""
    data = services.home_page(get_session(), media_url=services.media_url_from_app())
    return render_template("catalog/home.html", **data)


@bp.route("/search")
def search() -> Any:
    """Search approved listings with the API's filters (a GET form, so results can be shared)."""
    args = {k: v for k, v in request.args.items() if k in schemas.SearchQuery().fields}
    try:
        query = schemas.SearchQuery().load(args, unknown=EXCLUDE)
    except ValidationError as err:
        errors = err.normalized_messages()
        return render_template("catalog/search.html", args=args, errors=errors, result=None, **_filter_choices()), 400
    result = services.search(get_session(), services.SearchParams.from_query(query), media_url=services.media_url_from_app())
    return render_template("catalog/search.html", args=args, errors={}, result=result, page_url=_page_url(args),
                           **_filter_choices())


def _page_url(args: dict[str, str]) -> Any:
    def build(page: int) -> str:
        return url_for("catalog_pages.search", **{**args, "page": page})

    return build


@bp.route("/listings/<int:listing_id>")
def listing(listing_id: int) -> Any:
    """One listing: public when approved; its artisan and admins may preview other statuses.

    ``?ship_city=&ship_province=`` (the "Estimate shipping" form) adds a shipping estimate; bad input
    there is shown on the form with status 400, like the search page's filters.
    """
    settings = current_app.config["SETTINGS"]
    data = services.listing_page(
        get_session(),
        listing_id,
        current_user(),
        media_url=services.media_url_from_app(),
        public_base_url=settings.public_base_url,
        path=url_for("catalog_pages.listing", listing_id=listing_id),
    )
    shipping = estimate_for_listing(data["listing"], request.args, rates_for(settings))
    status = 400 if shipping.errors else 200
    return render_template("catalog/listing.html", shipping=shipping, **data), status
