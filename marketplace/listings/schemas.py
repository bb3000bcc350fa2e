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

from marketplace.db import MAX_ID
from marketplace.fields import INVALID_CHOICE, REQUIRED, OneLine, PatchSchema, TrimmedString, UploadedFile, WholeNumber
from marketplace.listings.models import CATEGORIES, FULFILMENT_KINDS, MAX_OPTION_NAMES, ListingStatus
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
OPTION_LENGTH = (1, 30)
SKU_MAX = 64
MAX_VARIANTS = 100
OPTION_MESSAGE = "Use 1 to 30 characters."
SKU_MESSAGE = "Use at most 64 characters."
VARIANTS_MESSAGE = "At most 100 variants."
OPTION_NAMES_MESSAGE = "Every variant must use the same option names (at most two, e.g. ukuran and warna)."
REPEATED_MESSAGE = "Each combination of options may appear only once."
SET_PER_VARIANT_MESSAGE = "This listing has variants: set this per variant."


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


def variants_error(variants: list[dict[str, Any]]) -> str | None:
    """The rules of a set of variants together: the same one or two option names in every variant,
    and no combination twice (values compared without regard to case: "M" and "m" are one size)."""
    names = [tuple(variant["options"]) for variant in variants]
    if any(not 1 <= len(n) <= MAX_OPTION_NAMES for n in names) or len({frozenset(n) for n in names}) > 1:
        return OPTION_NAMES_MESSAGE
    combinations = {tuple(sorted((k.casefold(), v.casefold()) for k, v in variant["options"].items()))
                    for variant in variants}
    if len(combinations) != len(variants):
        return REPEATED_MESSAGE
    return None


class VariantIn(Schema):
    """One variant of a listing: its options (``{"ukuran": "M", "warna": "Merah"}``), price, stock, SKU, photo."""

    options = fields.Dict(
        required=True,
        keys=OneLine(validate=validate.Length(*OPTION_LENGTH, error=OPTION_MESSAGE)),
        values=OneLine(validate=validate.Length(*OPTION_LENGTH, error=OPTION_MESSAGE)),
        error_messages={"required": REQUIRED, "null": REQUIRED},
    )
    price_idr = WholeNumber(required=True, validate=_range(PRICE_RANGE, PRICE_MESSAGE))
    stock = WholeNumber(required=True, validate=_range(STOCK_RANGE, STOCK_MESSAGE))
    sku = OneLine(load_default=None, allow_none=True, validate=validate.Length(max=SKU_MAX, error=SKU_MESSAGE))
    image_id = WholeNumber(load_default=None, allow_none=True, validate=validate.Range(min=1, max=MAX_ID))


class ListingIn(Schema):
    """A whole listing, as ``POST /api/v1/listings`` and the add/edit pages send it."""

    title = OneLine(required=True, validate=validate.Length(*TITLE_LENGTH, error=TITLE_MESSAGE))
    description = TrimmedString(required=True, validate=validate.Length(max=DESCRIPTION_MAX, error=DESCRIPTION_MESSAGE))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES, error=CATEGORY_MESSAGE),
                             error_messages={"required": CATEGORY_MESSAGE, "null": CATEGORY_MESSAGE})
    #: Without variants, required; with variants, computed from them (and not to be sent).
    price_idr = WholeNumber(validate=_range(PRICE_RANGE, PRICE_MESSAGE), metadata={"description": "required unless variants are sent"})
    stock = WholeNumber(validate=_range(STOCK_RANGE, STOCK_MESSAGE), metadata={"description": "required unless variants are sent"})
    weight_grams = WholeNumber(required=True, validate=_range(WEIGHT_RANGE, WEIGHT_MESSAGE))
    fulfilment = fields.String(load_default="ready_to_ship", validate=validate.OneOf(FULFILMENT_KINDS, error=INVALID_CHOICE),
                               error_messages={"null": REQUIRED})
    processing_days = WholeNumber(load_default=0, validate=_range(PROCESSING_DAYS_RANGE, PROCESSING_DAYS_MESSAGE))
    #: The whole set of variants (a PATCH replaces it; ``[]`` sells the listing without variants again).
    variants = fields.List(fields.Nested(VariantIn), validate=validate.Length(max=MAX_VARIANTS, error=VARIANTS_MESSAGE),
                           error_messages={"null": REQUIRED})

    @validates_schema
    def _variants_together(self, data: dict[str, Any], **kwargs: Any) -> None:
        variants = data.get("variants")
        if variants:
            message = variants_error(variants)
            if message:
                raise ValidationError(message, field_name="variants")
            for name in ("price_idr", "stock"):
                if name in data:
                    raise ValidationError(SET_PER_VARIANT_MESSAGE, field_name=name)
        elif not self.partial:
            missing = {name: [REQUIRED] for name in ("price_idr", "stock") if name not in data}
            if missing:
                raise ValidationError(missing)

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
    file = UploadedFile(required=True)


class ImageOut(Schema):
    """A :class:`~marketplace.listings.models.ListingImage`, with URLs from the configured media storage."""

    id = fields.Integer()
    url = fields.Function(lambda image: public_url(image.key), metadata={"type": "string"})
    thumb_url = fields.Function(lambda image: public_url(image.thumb_key), metadata={"type": "string"})
    width = fields.Integer()
    height = fields.Integer()
    position = fields.Integer()


class VariantOut(Schema):
    id = fields.Integer()
    options = fields.Dict(keys=fields.String(), values=fields.String())
    label = fields.String()
    price_idr = fields.Integer()
    stock = fields.Integer()
    sku = fields.String(allow_none=True)
    image_id = fields.Integer(allow_none=True)


class ListingOut(Schema):
    """A :class:`~marketplace.listings.models.Listing` as the API shows it (any status, to whoever may see it)."""

    #: ``{average, count}`` of the visible reviews: set by ``GET /api/v1/listings/<id>`` only (absent elsewhere).
    rating = fields.Dict(metadata={"description": "{average, count} of the visible reviews (GET only)"})
    id = fields.Integer()
    shop_id = fields.Integer()
    title = fields.String()
    description = fields.String()
    category = fields.String()
    price_idr = fields.Integer(metadata={"description": "with variants: the lowest price of a variant in stock"})
    price_from = fields.Function(lambda listing: bool(listing.has_variants and listing.price_varies),
                                 metadata={"type": "boolean",
                                           "description": "the variants' prices differ: price_idr is where they start"})
    stock = fields.Integer(metadata={"description": "with variants: their sum"})
    variants = fields.List(fields.Nested(VariantOut), attribute="active_variants")
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
