"""Listings input rules (the one definition, for the API and the seller pages) and output schemas.

Each rule carries its own user-readable message id, so ``POST /api/v1/listings`` and the add-product
page say the same thing (:func:`marketplace.web.forms.load_form`). Input shaping happens here too: titles
are trimmed with whitespace collapsed, descriptions trimmed. Money and quantities are strict integers:
``"150000"``, ``150000.0`` and ``true`` are all rejected rather than coerced, because a client that
sends them has a bug we want it to see. Unknown fields are rejected (marshmallow's default ``RAISE``).
The services keep only what needs the database (ownership, state, the merged result of a PATCH).

Output schemas dump the ORM rows the services return; photo URLs come from the configured storage.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.fields import INVALID_CHOICE, REQUIRED, OneLine, PatchSchema, TrimmedString, WholeNumber
from marketplace.listings.models import CATEGORIES, FULFILMENT_KINDS, ListingStatus
from marketplace.media.storage import public_url

TITLE_LENGTH = (3, 140)
DESCRIPTION_MAX = 5000
PRICE_RANGE = (1_000, 1_000_000_000)
STOCK_RANGE = (0, 100_000)
WEIGHT_RANGE = (1, 50_000)
PROCESSING_DAYS_RANGE = (0, 90)

TITLE_MESSAGE = "Use 3 to 140 characters."
DESCRIPTION_MESSAGE = "Use at most 5000 characters."
CATEGORY_MESSAGE = "Choose a category."
PRICE_MESSAGE = "From Rp 1.000 to Rp 1.000.000.000."
STOCK_MESSAGE = "From 0 to 100.000."
WEIGHT_MESSAGE = "From 1 to 50.000 grams."
PROCESSING_DAYS_MESSAGE = "From 0 to 90 days."
MADE_TO_ORDER_MESSAGE = "Made-to-order needs at least 1 processing day."


def _range(bounds: tuple[int, int], message: str) -> validate.Range:
    return validate.Range(min=bounds[0], max=bounds[1], error=message)


def made_to_order_error(fulfilment: str | None, processing_days: int | None) -> str | None:
    """The one cross-field rule of a listing: made-to-order needs at least one processing day.

    The schema applies it to a whole listing; a PATCH is checked by the service on the listing as it
    will be (the sent fields merged over the stored row), with this same function.
    """
    if fulfilment == "made_to_order" and not processing_days:
        return MADE_TO_ORDER_MESSAGE
    return None


class ListingIn(Schema):
    """A whole listing, as ``POST /api/v1/listings`` and the add/edit pages send it."""

    title = OneLine(required=True, validate=validate.Length(*TITLE_LENGTH, error=TITLE_MESSAGE))
    description = TrimmedString(required=True, validate=validate.Length(max=DESCRIPTION_MAX, error=DESCRIPTION_MESSAGE))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES, error=CATEGORY_MESSAGE),
                             error_messages={"required": CATEGORY_MESSAGE, "null": CATEGORY_MESSAGE})
    price_idr = WholeNumber(required=True, validate=_range(PRICE_RANGE, PRICE_MESSAGE))
    stock = WholeNumber(required=True, validate=_range(STOCK_RANGE, STOCK_MESSAGE))
    weight_grams = WholeNumber(required=True, validate=_range(WEIGHT_RANGE, WEIGHT_MESSAGE))
    fulfilment = fields.String(load_default="ready_to_ship", validate=validate.OneOf(FULFILMENT_KINDS, error=INVALID_CHOICE),
                               error_messages={"null": REQUIRED})
    processing_days = WholeNumber(load_default=0, validate=_range(PROCESSING_DAYS_RANGE, PROCESSING_DAYS_MESSAGE))

    @validates_schema
    def _made_to_order_needs_days(self, data: dict[str, Any], **kwargs: Any) -> None:
        if self.partial:
            return  # a PATCH: the service checks the merged listing (see made_to_order_error)
        message = made_to_order_error(data.get("fulfilment"), data.get("processing_days"))
        if message:
            raise ValidationError(message, field_name="processing_days")


class ListingPatch(PatchSchema, ListingIn):
    """Any non-empty subset of :class:`ListingIn` (no defaults are filled in: only the fields sent change)."""


class ImageUploadIn(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ImageOut(Schema):
    """A :class:`~marketplace.listings.models.ListingImage`, with URLs from the configured media storage."""

    id = fields.Integer()
    url = fields.Function(lambda image: public_url(image.key), metadata={"type": "string"})
    thumb_url = fields.Function(lambda image: public_url(image.thumb_key), metadata={"type": "string"})
    width = fields.Integer()
    height = fields.Integer()
    position = fields.Integer()


class ListingOut(Schema):
    """A :class:`~marketplace.listings.models.Listing` as the API shows it (any status, to whoever may see it)."""

    id = fields.Integer()
    shop_id = fields.Integer()
    title = fields.String()
    description = fields.String()
    category = fields.String()
    price_idr = fields.Integer()
    stock = fields.Integer()
    weight_grams = fields.Integer()
    fulfilment = fields.String()
    processing_days = fields.Integer()
    status = fields.String(metadata={"enum": [s.value for s in ListingStatus]})
    revision = fields.Integer(metadata={"description": "goes up with every change a buyer would see; "
                                                       "moderation decisions name the revision they were taken on"})
    rejection_reason = fields.String(allow_none=True)
    path = fields.Function(lambda listing: f"/listings/{listing.id}", metadata={"type": "string"})
    images = fields.List(fields.Nested(ImageOut))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)


class ListingList(Schema):
    items = fields.List(fields.Nested(ListingOut))
