"""Rate quotes for the pages and the checkout: the one outside call a web request may make (§4).

:class:`RateQuoter` (built once, in the composition root) asks the configured provider for a parcel's
options and keeps the answer per (origin, destination, weight band) for ``SHIPPING_QUOTE_TTL_SECONDS``,
so the checkout re-checks the buyer's choice against the quote the cart page showed instead of
calling out again. A provider that does not answer (a timeout, a 5xx: ``CourierError.transient``)
falls back to the last quote kept for that key, else to the zone table; the answer then says
``fallback`` and the page says so. Nothing here writes to the database.

:func:`checkout_quoter` is the checkout's ``quote_shipping``: each shop's options, and the one the
buyer chose for that shop (its code, ``jne:reg``) or, when none was sent, the cheapest; a choice that
is not among the current options is refused (422 ``shipping_choice_unavailable``), so a price is never
taken from the page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from marketplace.errors import ValidationFailed
from marketplace.shipping import provinces
from marketplace.shipping.providers import (
    CourierError,
    Parcel,
    ParcelItem,
    Place,
    RateOption,
    ShippingProvider,
    TableProvider,
)
from marketplace.shipping.services import billable_kg, normalise_city, zone_for

CHOICE_MESSAGE = "This shipping option is not available for this shop and address; choose one of the options shown."


class ChoiceUnavailable(ValidationFailed):
    """The shipping option chosen is not among the current options."""

    code = "shipping_choice_unavailable"


@dataclass(frozen=True)
class Quoted:
    options: list[RateOption]
    #: The provider did not answer: these are the last quote's or the zone table's.
    fallback: bool = False

    @property
    def cheapest(self) -> RateOption:
        return min(self.options, key=lambda o: (o.price_idr, o.etd_days, o.code))

    @property
    def fastest(self) -> RateOption:
        return min(self.options, key=lambda o: (o.etd_days, o.price_idr, o.code))


def origin_of(shop: Any) -> Place:
    """A shop's pickup place: its city (and that city's province), postal code and coordinates."""
    return Place(city=shop.city, province=provinces.province_of_city(shop.city) or "",
                 postal_code=shop.pickup_postal_code, latitude=shop.pickup_latitude, longitude=shop.pickup_longitude)


def destination_of(address: Mapping[str, Any]) -> Place:
    return Place(city=address["city"], province=address["province"], postal_code=address.get("postal_code") or None,
                 latitude=address.get("latitude"), longitude=address.get("longitude"))


class RateQuoter:
    def __init__(self, provider: ShippingProvider, fallback: ShippingProvider, ttl_seconds: float,
                 clock: Callable[[], float] = time.monotonic, max_entries: int = 2048):
        self.provider, self.fallback, self.ttl = provider, fallback, ttl_seconds
        self.clock, self.max_entries = clock, max_entries
        self._kept: dict[tuple[Any, ...], tuple[float, list[RateOption]]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any, provider: ShippingProvider) -> "RateQuoter":
        return cls(provider, TableProvider(settings), settings.shipping_quote_ttl_seconds)

    @staticmethod
    def key(parcel: Parcel) -> tuple[Any, ...]:
        o, d = parcel.origin, parcel.destination
        return (normalise_city(o.city), o.postal_code, o.latitude, o.longitude,
                normalise_city(d.city), provinces.canonical_province(d.province), d.postal_code, d.latitude,
                d.longitude, billable_kg(parcel.weight_grams))

    def quote(self, parcel: Parcel) -> Quoted:
        """The options for ``parcel``: kept ones if fresh, else the provider's (see the module doc).
        Raises the provider's refusals (``NotServed``, a bad province, an unknown origin)."""
        key, now = self.key(parcel), self.clock()
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and now - kept[0] < self.ttl:
            return Quoted(kept[1])
        try:
            options = self.provider.rates(parcel)
        except CourierError as exc:
            if not exc.transient:
                raise
            if kept is not None:
                return Quoted(kept[1], fallback=True)
            return Quoted(self.fallback.rates(parcel), fallback=True)
        with self._lock:
            if len(self._kept) >= self.max_entries:
                self._kept.pop(next(iter(self._kept)))
            self._kept[key] = (now, options)
        return Quoted(options)


def parcel_of(shop: Any, weight_grams: int, address: Mapping[str, Any], lines: list[Any] | None = None) -> Parcel:
    """One shop's parcel to ``address``; ``lines`` (cart lines) give its items and value when known."""
    items = tuple(ParcelItem(line.listing.title, line.seen_price_idr, line.listing.weight_grams, line.quantity)
                  for line in lines or [])
    return Parcel(origin=origin_of(shop), destination=destination_of(address), weight_grams=weight_grams,
                  value_idr=sum(i.value_idr * i.quantity for i in items), items=items)


def choose(quoted: Quoted, shop_id: int, choice: str | None) -> RateOption:
    """The option ``choice`` names among ``quoted`` (the cheapest when None); :class:`ChoiceUnavailable`."""
    if not choice:
        return quoted.cheapest
    for option in quoted.options:
        if option.code == choice:
            return option
    raise ChoiceUnavailable(CHOICE_MESSAGE, fields={"shipping_choices": {str(shop_id): [CHOICE_MESSAGE]}})  # type: ignore[dict-item]


def checkout_quoter(quoter: RateQuoter, address: Mapping[str, Any], choices: Mapping[int, str] | None = None) -> Any:
    """The checkout's ``quote_shipping(shop, weight, city, province)`` for ``address`` and the buyer's
    ``choices`` (shop id → option code), re-quoted here, never taken from the page."""
    from marketplace.orders.checkout import ShippingQuote

    def quote(shop: Any, weight_grams: int, city: str, province: str) -> ShippingQuote:
        quoted = quoter.quote(parcel_of(shop, weight_grams, {**address, "city": city, "province": province}))
        option = choose(quoted, shop.id, (choices or {}).get(shop.id))
        return ShippingQuote(zone=option.zone or zone_for(shop.city, city, province), shipping_idr=option.price_idr, courier=option.courier,
                             service=option.service, etd_days=option.etd_days)

    return quote


def _option_rows(quoted: Quoted) -> dict[str, Any]:
    return {"options": quoted.options, "fallback": quoted.fallback,
            "cheapest": quoted.cheapest, "fastest": quoted.fastest}


def rates_for_listing(session: Any, quoter: RateQuoter, listing_id: int, quantity: int,
                      destination: Mapping[str, Any], viewer: Any = None) -> dict[str, Any]:
    """The options for ``quantity`` of one listing to ``destination`` (a listing ``viewer`` may not see: 404)."""
    from marketplace.listings import services as listings

    listing = listings.get_for_viewer(session, listing_id, viewer)
    item = ParcelItem(listing.title, listing.price_idr, listing.weight_grams, quantity)
    parcel = Parcel(origin=origin_of(listing.shop), destination=destination_of(destination),
                    weight_grams=listing.weight_grams * quantity, value_idr=listing.price_idr * quantity, items=(item,))
    return {"shops": [], **_option_rows(quoter.quote(parcel))}


def rates_for_cart(session: Any, quoter: RateQuoter, buyer: Any, destination: Mapping[str, Any]) -> dict[str, Any]:
    """Each shop of the buyer's cart: its parcel's options to ``destination``, cheapest and fastest."""
    from marketplace.cart import services as cart_services

    shops = []
    for group in cart_services.get_cart(session, buyer).groups:
        quoted = quoter.quote(parcel_of(group.shop, group.weight_grams, destination, group.lines))
        shops.append({"shop_id": group.shop.id, "weight_grams": group.weight_grams, "options": quoted.options,
                      "fallback": quoted.fallback, "cheapest": quoted.cheapest.code, "fastest": quoted.fastest.code})
    return {"shops": shops, "options": [], "cheapest": None, "fastest": None,
            "fallback": any(s["fallback"] for s in shops)}
