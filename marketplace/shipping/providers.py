"""Couriers behind one interface (``SHIPPING_PROVIDER=table|sandbox|biteship``, ARCHITECTURE.md §4).

A :class:`ShippingProvider` answers four questions: the **rates** of a parcel from a shop's pickup
address to a destination (one :class:`RateOption` per courier service, e.g. ``jne:reg``), a **booking**
of the pickup (→ a waybill; the idempotency key is our own seller order's, so a retry after a timeout
never books twice), the **tracking** history of a booked parcel, and the **verification** of a tracking
webhook (→ a :class:`TrackingUpdate` in our own vocabulary, or None for an event that needs nothing).

- ``table`` (:class:`TableProvider`): today's zone-and-weight table, one option (``kurir:reguler``),
  no booking and no tracking; the offline fallback.
- ``sandbox`` (``marketplace.shipping.sandbox``): deterministic rates for the main couriers by distance
  and weight, waybills from the idempotency key, webhooks in Biteship's format signed as Biteship signs.
- ``biteship`` (``marketplace.shipping.biteship``): Biteship's API over ``requests``.

Courier statuses in our vocabulary, in the order a parcel goes through them: ``confirmed → picked_up
→ in_transit → delivered | returned``. :func:`status_rank` orders them so an update that arrives late
never moves a shipment backwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from marketplace.errors import Conflict

if TYPE_CHECKING:
    from marketplace.config import Settings

#: Tracking statuses, in the order a parcel goes through them (delivered and returned both end it).
STATUSES: tuple[str, ...] = ("confirmed", "picked_up", "in_transit", "delivered", "returned")
FINAL = frozenset({"delivered", "returned"})
PROVIDERS = ("table", "sandbox", "biteship")


def status_rank(status: str | None) -> int:
    """``confirmed`` 0 … ``in_transit`` 2; ``delivered`` and ``returned`` 3; none yet -1."""
    if status is None:
        return -1
    return min(STATUSES.index(status), 3)


class CourierError(Exception):
    """The courier service did not answer as it should. ``transient``: a timeout or a 5xx (try again
    with the same idempotency key); otherwise a refusal (try again changes nothing)."""

    def __init__(self, message: str, *, transient: bool, status: int | None = None):
        super().__init__(message)
        self.transient = transient
        self.status = status


class InvalidWebhook(Exception):
    """A tracking webhook whose signature does not verify or whose body is not the courier's format."""


class NotServed(Conflict):
    """No courier we offer serves this route for this parcel."""

    code = "destination_not_served"


class BookingUnsupported(Conflict):
    """This courier setting cannot book a pickup; type the tracking number of the parcel instead."""

    code = "booking_unsupported"


@dataclass(frozen=True)
class Place:
    """One end of a parcel's journey: the city and province (for zones), the postal code (for couriers)
    and, for instant couriers, coordinates."""

    city: str
    province: str
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True)
class ParcelItem:
    name: str
    value_idr: int
    weight_grams: int
    quantity: int


@dataclass(frozen=True)
class Parcel:
    origin: Place
    destination: Place
    weight_grams: int
    value_idr: int
    items: tuple[ParcelItem, ...] = ()
    #: Outer size in centimetres, when known (length, width, height).
    size_cm: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class RateOption:
    """One courier service's offer: ``code`` is ``"<courier>:<service>"`` (``jne:reg``)."""

    courier: str
    service: str
    courier_name: str
    service_name: str
    price_idr: int
    etd_days: int
    zone: str = ""

    @property
    def code(self) -> str:
        return f"{self.courier}:{self.service}"


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    address: str


@dataclass(frozen=True)
class BookingRequest:
    """What a pickup booking sends: our reference (the idempotency key), the chosen service, both ends."""

    reference: str
    courier: str
    service: str
    parcel: Parcel
    shipper: Contact
    recipient: Contact


@dataclass(frozen=True)
class Booking:
    waybill: str
    courier: str
    service: str
    provider_ref: str


@dataclass(frozen=True)
class TrackingUpdate:
    """One courier status of one parcel, found by the provider's order id or the waybill."""

    status: str
    at: datetime
    note: str = ""
    provider_ref: str | None = None
    waybill: str | None = None
    raw_status: str = ""


@dataclass(frozen=True)
class Tracking:
    status: str | None
    waybill: str | None
    history: list[TrackingUpdate] = field(default_factory=list)


class ShippingProvider(Protocol):
    name: str
    #: Whether it books pickups and reports tracking (``table`` does neither).
    books: bool

    def rates(self, parcel: Parcel) -> list[RateOption]:
        """The offers for ``parcel``, cheapest first; :class:`NotServed` when there is none."""
        ...

    def book(self, request: BookingRequest) -> Booking:
        """Book the pickup; the same ``request.reference`` twice gives the first booking back."""
        ...

    def track(self, provider_ref: str) -> Tracking:
        ...

    def verify_webhook(self, payload: bytes, headers: Mapping[str, str]) -> TrackingUpdate | None:
        """The update a webhook carries (None: an event that changes nothing); :class:`InvalidWebhook`."""
        ...


class TableProvider:
    """The zone table as a provider: one option, priced as the checkout always priced; no courier."""

    name = "table"
    books = False
    #: Estimated days per zone (the table has prices only; these are the couriers' usual times).
    ETD_DAYS = {"same_city": 1, "same_province": 2, "rest_of_java": 3, "outside_java": 5}

    def __init__(self, settings: "Settings"):
        self.settings = settings

    def rates(self, parcel: Parcel) -> list[RateOption]:
        from marketplace.shipping.rates import rates_for
        from marketplace.shipping.services import quote_for_shop

        quote = quote_for_shop(parcel.origin.city, parcel.weight_grams, parcel.destination.city,
                               parcel.destination.province, rates_for(self.settings))
        return [RateOption(courier="kurir", service="reguler", courier_name="Kurir toko", service_name="Reguler",
                           price_idr=quote.shipping_idr, etd_days=self.ETD_DAYS[quote.zone], zone=quote.zone)]

    def book(self, request: BookingRequest) -> Booking:
        raise BookingUnsupported()

    def track(self, provider_ref: str) -> Tracking:
        return Tracking(status=None, waybill=None)

    def verify_webhook(self, payload: bytes, headers: Mapping[str, str]) -> TrackingUpdate | None:
        raise InvalidWebhook("the table provider receives no webhooks")

