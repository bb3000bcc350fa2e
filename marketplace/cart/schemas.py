"""Cart input and output: the rules of a cart line's input, and the cart as the API and pages show it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, validate

from marketplace.cart.services import MAX_QUANTITY, Cart
from marketplace.db import MAX_ID
from marketplace.fields import QuerySchema, StrictInteger
from marketplace.vouchers import schemas as voucher_schemas

QUANTITY = validate.Range(min=1, max=MAX_QUANTITY, error=f"From 1 to {MAX_QUANTITY}.")


VARIANT_ID = validate.Range(min=1, max=MAX_ID)


class CartItemIn(Schema):
    listing_id = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_ID))
    variant_id = StrictInteger(load_default=None, allow_none=True, validate=VARIANT_ID,
                               metadata={"description": "required when the listing has variants"})
    quantity = StrictInteger(load_default=1, validate=QUANTITY)


class CartLineQuery(QuerySchema):
    """``?variant_id=`` of a cart line's address: which variant of the listing the line is."""

    variant_id = fields.Integer(load_default=None, validate=VARIANT_ID)


class CartQuantityIn(Schema):
    quantity = StrictInteger(required=True, validate=QUANTITY)


class CartShopOut(Schema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    city = fields.String()
    kelurahan = fields.String()


class CartLineOut(Schema):
    listing_id = fields.Integer()
    variant_id = fields.Integer(allow_none=True)
    options = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)
    variant_label = fields.String(allow_none=True)
    title = fields.String()
    path = fields.String()
    thumb_url = fields.String(allow_none=True)
    quantity = fields.Integer()
    unit_price_idr = fields.Integer()
    seen_price_idr = fields.Integer()
    line_total_idr = fields.Integer()
    stock = fields.Integer()
    weight_grams = fields.Integer()
    fulfilment = fields.String()
    processing_days = fields.Integer()
    problems = fields.List(fields.String(metadata={
        "enum": ["unavailable", "variant_required", "sold_out", "insufficient_stock", "price_changed"]}))


class CartGroupOut(Schema):
    shop = fields.Nested(CartShopOut)
    items = fields.List(fields.Nested(CartLineOut))
    subtotal_idr = fields.Integer()
    weight_grams = fields.Integer()


class CartOut(Schema):
    shops = fields.List(fields.Nested(CartGroupOut))
    item_count = fields.Integer()
    subtotal_idr = fields.Integer()
    has_problems = fields.Boolean()
    #: The applied voucher (``marketplace.vouchers``): null without one.
    voucher = fields.Nested(voucher_schemas.AppliedVoucherOut, allow_none=True)
    discounts = fields.List(fields.Nested(voucher_schemas.DiscountOut))
    discount_idr = fields.Integer()


def cart_out(cart: Cart, media_url: Callable[[str], str]) -> dict[str, Any]:
    """The cart as plain data (``CartOut``): grouped by shop, each line with its problems."""
    def line(entry: Any) -> dict[str, Any]:
        listing, variant = entry.listing, entry.variant
        image = min(listing.images, key=lambda i: (i.position, i.id)) if listing.images else None
        if variant is not None and variant.image_id is not None:
            image = next((i for i in listing.images if i.id == variant.image_id), image)
        return {
            "listing_id": listing.id, "variant_id": entry.variant_id,
            "options": dict(variant.options) if variant is not None else None,
            "variant_label": variant.label if variant is not None else None,
            "title": listing.title, "path": f"/listings/{listing.id}",
            "thumb_url": media_url(image.thumb_key) if image else None, "quantity": entry.quantity,
            "unit_price_idr": entry.unit_price_idr, "seen_price_idr": entry.seen_price_idr,
            "line_total_idr": entry.line_total_idr, "stock": entry.stock, "weight_grams": listing.weight_grams,
            "fulfilment": listing.fulfilment, "processing_days": listing.processing_days, "problems": entry.problems,
        }

    return {
        "shops": [
            {
                "shop": {"id": g.shop.id, "name": g.shop.name, "slug": g.shop.slug, "city": g.shop.city,
                         "kelurahan": g.shop.kelurahan},
                "items": [line(entry) for entry in g.lines],
                "subtotal_idr": g.subtotal_idr,
                "weight_grams": g.weight_grams,
            }
            for g in cart.groups
        ],
        "item_count": cart.item_count,
        "subtotal_idr": cart.subtotal_idr,
        "has_problems": cart.has_problems,
    }
