"""Query and output schemas of the catalogue search (shared by the JSON API and the search page).

The output schemas dump the ``Listing`` rows the catalogue queries return; the pages use them too, so
a search result card shows what the API's item holds.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.db import MAX_ID
from marketplace.fields import OneLine, QuerySchema
from marketplace.listings.models import CATEGORIES, Listing, ListingImage
from marketplace.media.storage import public_url
from marketplace.shops import places

SORTS = ("relevance", "newest", "price_asc", "price_desc", "rating")
DEFAULT_PER_PAGE = 24
MAX_PER_PAGE = 100
MAX_PAGE = 1000  # deeper offsets are a crawler, not a shopper; keeps OFFSET scans bounded
MAX_PRICE_IDR = 10**12


class SearchQuery(QuerySchema):
    """``GET /api/v1/listings`` and ``/search`` parameters; empty values count as absent (GET forms send them)."""

    q = OneLine(validate=validate.Length(max=200))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    city = OneLine(validate=validate.Length(max=80), metadata=places.CITY_DOC)
    kelurahan = OneLine(validate=validate.Length(max=80), metadata=places.KELURAHAN_DOC)
    sentra_id = fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_ID),
                               metadata={"description": "only the artisans of this sentra (``GET /api/v1/sentra``)"})
    min_price = fields.Integer(strict=False, validate=validate.Range(min=0, max=MAX_PRICE_IDR))
    max_price = fields.Integer(strict=False, validate=validate.Range(min=0, max=MAX_PRICE_IDR))
    sort = fields.String(validate=validate.OneOf(SORTS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE))
    available = fields.Boolean(metadata={"description": "only listings in stock (sold-out ones left out)"})

    @validates_schema
    def _check(self, data: dict[str, Any], **_kw: Any) -> None:
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            raise ValidationError("Must not be above max_price.", field_name="min_price")
        if data.get("city"):
            city = places.canonical_city(data["city"])
            if city is None:
                raise ValidationError(places.CITY_MESSAGE, field_name="city")
            data["city"] = city
        if data.get("kelurahan"):
            found = places.city_of_kelurahan(data["kelurahan"])
            if found is None or (data.get("city") and found[0] != data["city"]):
                raise ValidationError(places.KELURAHAN_MESSAGE, field_name="kelurahan")
            data["kelurahan"] = found[1]


class ShopBrief(Schema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    city = fields.String()
    kelurahan = fields.String()
    sentra = fields.String(attribute="sentra_name", allow_none=True,
                           metadata={"description": "the name of the shop's sentra (null: none)"})


def first_image(listing: Listing) -> ListingImage | None:
    return min(listing.images, key=lambda i: (i.position, i.id)) if listing.images else None


def _thumb_url(listing: Listing) -> str | None:
    image = first_image(listing)
    return public_url(image.thumb_key) if image is not None else None


class ListingCard(Schema):
    """What a search result shows of a listing (the API's item; the pages' product card)."""

    id = fields.Integer()
    title = fields.String()
    price_idr = fields.Integer(metadata={"description": "with variants: the lowest price of a variant in stock"})
    price_from = fields.Function(lambda listing: bool(listing.has_variants and listing.price_varies),
                                 metadata={"type": "boolean",
                                           "description": "variants of different prices: show \"from\" price_idr"})
    category = fields.String()
    shop = fields.Nested(ShopBrief)
    thumb_url = fields.Function(_thumb_url, allow_none=True, metadata={"type": "string"})
    fulfilment = fields.String()
    processing_days = fields.Integer()
    sold_out = fields.Function(lambda listing: listing.stock == 0, metadata={"type": "boolean"})


class SearchPage(Schema):
    items = fields.List(fields.Nested(ListingCard))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
