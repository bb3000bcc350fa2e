"""The listing page's "Estimate shipping" form (a GET form: ``?ship_city=&ship_province=``).

It reads the form with :class:`~marketplace.shipping.schemas.QuoteQuery` (the API's rules and
messages) and prices with :func:`~marketplace.shipping.services.quote_for_shop` (the checkout's rule),
so the page, the API and the checkout cannot disagree. Bad input comes back as messages per form
field, never as an exception. No Flask here: the catalogue view passes the query arguments in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from marshmallow import ValidationError

from marketplace.errors import DomainError
from marketplace.listings.models import Listing
from marketplace.shipping import provinces, schemas, services
from marketplace.shipping.rates import RateTable

#: form field → QuoteQuery field
FORM_FIELDS = {"ship_city": "city", "ship_province": "province"}


@dataclass
class Estimate:
    """What the form shows: the values typed, a message list per form field, and the quote if any."""

    args: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    quote: services.Quote | None = None
    #: The couriers' options (``marketplace.shipping.quotes``): the page shows the cheapest and fastest.
    couriers: Any = None
    provinces: tuple[str, ...] = provinces.PROVINCES

    @property
    def selected_province(self) -> str:
        """The province option to mark selected: the canonical name of what was typed (``jabar``)."""
        typed = self.args.get("ship_province", "")
        return provinces.canonical_province(typed) or typed


def estimate_for_listing(listing: Listing, args: Mapping[str, str], rates: RateTable, quoter: Any = None) -> Estimate:
    """The estimate for one of ``listing`` to the place in ``args``; empty when the form was not sent."""
    typed = {name: args.get(name, "") for name in FORM_FIELDS}
    estimate = Estimate(args=typed)
    if not any(name in args for name in FORM_FIELDS):
        return estimate
    try:
        query = schemas.QuoteQuery().load(
            {"listing_id": listing.id, **{FORM_FIELDS[name]: value for name, value in typed.items()}}
        )
    except ValidationError as err:
        estimate.errors = _form_errors(err.normalized_messages())
        return estimate
    weight = listing.weight_grams * query["quantity"]
    try:
        estimate.quote = services.quote_for_shop(listing.shop.city, weight, query["city"], query["province"], rates)
        if quoter is not None:
            from marketplace.shipping.providers import Parcel, ParcelItem
            from marketplace.shipping.quotes import destination_of, origin_of

            estimate.couriers = quoter.quote(Parcel(
                origin=origin_of(listing.shop), destination=destination_of(query), weight_grams=weight,
                value_idr=listing.price_idr * query["quantity"],
                items=(ParcelItem(listing.title, listing.price_idr, listing.weight_grams, query["quantity"]),)))
    except DomainError as err:
        estimate.errors = _form_errors(err.fields) or {"_form": [err.message]}
    return estimate


def _form_errors(messages: Mapping[str, Any]) -> dict[str, list[str]]:
    back = {v: k for k, v in FORM_FIELDS.items()}
    out: dict[str, list[str]] = {}
    for name, found in messages.items():
        texts = found if isinstance(found, list) else [str(found)]
        out.setdefault(back.get(name, "_form"), []).extend(str(t) for t in texts)
    return out
