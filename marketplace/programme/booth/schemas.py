"""``POST /api/v1/seller/booth-orders`` input: the event and the lines rung up (the one definition,
used by the API and the phone page)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.cart.schemas import QUANTITY, VARIANT_ID
from marketplace.db import MAX_ID
from marketplace.fields import StrictInteger
from marketplace.programme.booth.services import MAX_LINES

ID = validate.Range(min=1, max=MAX_ID)


class BoothLineIn(Schema):
    listing_id = StrictInteger(required=True, validate=ID)
    variant_id = StrictInteger(load_default=None, allow_none=True, validate=VARIANT_ID,
                               metadata={"description": "required when the listing has variants"})
    quantity = StrictInteger(required=True, validate=QUANTITY)


class BoothOrderIn(Schema):
    event_id = StrictInteger(required=True, validate=ID)
    items = fields.List(fields.Nested(BoothLineIn), required=True, validate=validate.Length(
        min=1, max=MAX_LINES, error=f"From 1 to {MAX_LINES} products."))
