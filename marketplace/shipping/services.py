"""Shipping quotes: which zone a parcel travels, how many kilograms are billed, and what it costs.

One rule for every path: :func:`quote_for_shop` prices one shop's parcel (the checkout calls it per
shop with the total weight of that shop's items; the quote API and the listing page call it with one
listing × quantity). The rest are pure functions, so the rules can be tested without app or database.

Zones, nearest first: ``same_city`` (the destination city is the shop's city, in the shop's
province), ``same_province``, ``rest_of_java`` (another province on Java), ``outside_java``. City names
are compared after normalising case, spaces and a leading "Kota"/"Kabupaten"/"Kab." (couriers price
Kota and Kabupaten Bekasi alike). Weight is billed in whole kilograms, rounded up, at least 1 kg.

Read-only: nothing here writes, so nothing needs committing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.errors import Conflict, ValidationFailed
from marketplace.listings import services as listings
from marketplace.shipping import provinces
from marketplace.shipping.provinces import PROVINCE_MESSAGE
from marketplace.shipping.rates import RateTable, ZoneRate
from marketplace.shops import places

GRAMS_PER_KG = 1000

_CITY_PREFIX = re.compile(r"^(kota|kabupaten|kab\.?)\s+")


class UnknownOrigin(Conflict):
    """We cannot quote shipping from this shop's city."""

    code = "unknown_origin"


@dataclass(frozen=True)
class Quote:
    zone: str
    weight_grams: int
    billable_kg: int
    shipping_idr: int
    origin_city: str


def normalise_city(name: str) -> str:
    """``" Kota  BEKASI "`` → ``"bekasi"``: the form in which two city names are compared."""
    text = " ".join(name.split()).casefold()
    return _CITY_PREFIX.sub("", text).strip()


def _origin_province(origin_city: str) -> tuple[str, str]:
    city = places.canonical_city(origin_city)
    province = provinces.province_of_city(city) if city else None
    if city is None or province is None:
        raise UnknownOrigin()  # the message is the class's (translated on the page)
    return city, province


def _destination_province(destination_province: str) -> str:
    province = provinces.canonical_province(destination_province)
    if province is None:
        raise ValidationFailed(PROVINCE_MESSAGE, fields={"province": [PROVINCE_MESSAGE]})
    return province


def zone_for(origin_city: str, destination_city: str, destination_province: str) -> str:
    """The zone from a programme city to a destination city and province (any spelling of either)."""
    origin, origin_province = _origin_province(origin_city)
    province = _destination_province(destination_province)
    if province == origin_province:
        if normalise_city(destination_city) == normalise_city(origin):
            return "same_city"
        return "same_province"
    if provinces.on_java(province):
        return "rest_of_java"
    return "outside_java"


def billable_kg(weight_grams: int) -> int:
    """Whole kilograms, rounded up, at least 1 (``1`` g → 1, ``1000`` g → 1, ``1001`` g → 2)."""
    if weight_grams < 0:
        raise ValueError(f"weight_grams must not be negative, got {weight_grams}")
    return max(1, -(-weight_grams // GRAMS_PER_KG))


def quote_weight(weight_grams: int, rate: ZoneRate) -> tuple[int, int]:
    """``(billable_kg, shipping_idr)`` for a parcel of ``weight_grams`` at one zone's ``rate``."""
    kg = billable_kg(weight_grams)
    return kg, rate.first_kg_idr + (kg - 1) * rate.additional_kg_idr


def quote_for_shop(origin_city: str, items_weight_grams: int, city: str, province: str, rates: RateTable) -> Quote:
    """The shipping of one shop's parcel (``items_weight_grams`` in total) to ``city``, ``province``.

    Raises :class:`ValidationFailed` (field ``province``) for a province that is not one of the 38, and
    :class:`UnknownOrigin` when the shop's city is not one we know the province of.
    """
    zone = zone_for(origin_city, city, province)
    kg, idr = quote_weight(items_weight_grams, rates.for_zone(zone))
    origin, _ = _origin_province(origin_city)
    return Quote(zone=zone, weight_grams=items_weight_grams, billable_kg=kg, shipping_idr=idr, origin_city=origin)


def quote(
    session: Session,
    listing_id: int,
    quantity: int,
    city: str,
    province: str,
    rates: RateTable,
    viewer: User | None = None,
) -> Quote:
    """The shipping of ``quantity`` of one listing from its shop; listings ``viewer`` may not see are 404."""
    listing = listings.get_for_viewer(session, listing_id, viewer)
    return quote_for_shop(listing.shop.city, listing.weight_grams * quantity, city, province, rates)
