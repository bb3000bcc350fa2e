"""Which variant a buyer names: by id (the API, the cart's lines) or by the option values picked on
the listing page. A listing with variants cannot go in a cart without one (``variant_required``)."""

from __future__ import annotations

from marketplace.errors import ValidationFailed
from marketplace.listings.models import Listing, ListingVariant

VARIANT_REQUIRED_MESSAGE = "Choose a variant (e.g. a size or colour)."
NOT_A_VARIANT_MESSAGE = "This is not a variant of this product on sale."


def variant_for_sale(listing: Listing, variant_id: int | None) -> ListingVariant | None:
    """The variant a buyer names: required when the listing has variants (422 ``variant_required``),
    one of this listing's on sale (422 naming ``variant_id`` for another listing's or an unknown one)."""
    if variant_id is None:
        if listing.has_variants:
            raise ValidationFailed(VARIANT_REQUIRED_MESSAGE, code="variant_required",
                                   fields={"variant_id": [VARIANT_REQUIRED_MESSAGE]})
        return None
    variant = next((v for v in listing.active_variants if v.id == variant_id), None)
    if variant is None:
        raise ValidationFailed(NOT_A_VARIANT_MESSAGE, fields={"variant_id": [NOT_A_VARIANT_MESSAGE]})
    return variant


COMBINATION_MESSAGE = "This combination is not available."


def variant_by_options(listing: Listing, chosen: list[str]) -> int | None:
    """The id of the listing's variant with these option values (in :attr:`Listing.option_names`
    order: the listing page's pickers); None when nothing was chosen (then :func:`variant_for_sale`
    says ``variant_required``), 422 naming ``variant_id`` for a combination not on sale."""
    if not any(chosen):
        return None
    wanted = dict(zip(listing.option_names, chosen))
    found = next((v for v in listing.active_variants if v.options == wanted), None)
    if found is None:
        raise ValidationFailed(COMBINATION_MESSAGE, fields={"variant_id": [COMBINATION_MESSAGE]})
    return found.id
