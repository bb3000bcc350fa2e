"""``SHIPPING_PROVIDER=sandbox`` (the embedded run's default): offline couriers that behave like real ones.

Rates are deterministic, by distance and weight: the distance is the great-circle distance when both
ends have coordinates, else a typical distance for the zone (same city, same province, rest of Java,
outside Java: ``ZONE_KM``); the price of each service is its base plus a charge per started 100 km, per
billable kilogram, rounded up to Rp 500; the estimated days grow with the distance. The instant courier
(``gosend:instant``) is offered only when both ends have coordinates, within ``INSTANT_MAX_KM`` and up
to ``INSTANT_MAX_KG``, priced by kilometre.

A booking's waybill and order id are derived from the idempotency key (our seller order's), so a
retry gives the first booking back and nothing needs storing. Tracking lives in our own database
(the sandbox shipment is moved by ``POST /api/v1/sandbox/shipments/<waybill>/advance``), and every
step is sent as a Biteship ``order.status`` webhook signed with ``BITESHIP_WEBHOOK_SECRET`` (else a key
derived from ``SECRET_KEY``), verified by the same code as Biteship's (:func:`biteship.parse_webhook`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from marketplace.shipping import biteship
from marketplace.shipping.providers import (
    Booking,
    BookingRequest,
    NotServed,
    Parcel,
    RateOption,
    Tracking,
    TrackingUpdate,
)

if TYPE_CHECKING:
    from marketplace.config import Settings

ZONE_KM = {"same_city": 8, "same_province": 45, "rest_of_java": 450, "outside_java": 1300}
INSTANT_MAX_KM = 40
INSTANT_MAX_KG = 20


@dataclass(frozen=True)
class Service:
    courier: str
    service: str
    courier_name: str
    service_name: str
    base_idr: int  # per kilogram, before distance
    per_100km_idr: int  # per kilogram, per started 100 km
    etd_base: int
    km_per_extra_day: int


SERVICES: tuple[Service, ...] = (
    Service("jne", "reg", "JNE", "Reguler", 9_000, 1_500, 2, 500),
    Service("jne", "yes", "JNE", "YES (besok sampai)", 16_000, 2_500, 1, 10_000),
    Service("jnt", "ez", "J&T Express", "EZ", 8_500, 1_600, 2, 400),
    Service("sicepat", "reg", "SiCepat", "REG", 8_000, 1_500, 2, 500),
    Service("sicepat", "best", "SiCepat", "BEST", 14_000, 2_200, 1, 1_000),
)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def _round_up(amount: float, step: int = 500) -> int:
    return int(-(-amount // step) * step)


def sandbox_secret(settings: "Settings") -> str:
    """The sandbox's webhook signature: ``BITESHIP_WEBHOOK_SECRET``, else derived from the secret key
    (every process of one deployment derives the same)."""
    if settings.biteship_webhook_secret:
        return settings.biteship_webhook_secret
    return hashlib.sha256(("shipping-sandbox:" + settings.effective_secret_key()).encode()).hexdigest()


class SandboxProvider:
    name = "sandbox"
    books = True

    def __init__(self, webhook_secret: str):
        self.webhook_secret = webhook_secret

    @classmethod
    def from_settings(cls, settings: "Settings") -> "SandboxProvider":
        return cls(sandbox_secret(settings))

    def rates(self, parcel: Parcel) -> list[RateOption]:
        from marketplace.shipping.services import billable_kg, zone_for

        zone = zone_for(parcel.origin.city, parcel.destination.city, parcel.destination.province)
        kg = billable_kg(parcel.weight_grams)
        coords = parcel.origin.has_coordinates and parcel.destination.has_coordinates
        km = (haversine_km(parcel.origin.latitude, parcel.origin.longitude,  # type: ignore[arg-type]
                           parcel.destination.latitude, parcel.destination.longitude)  # type: ignore[arg-type]
              if coords else ZONE_KM[zone])
        hundreds = max(1, math.ceil(km / 100))
        options = [RateOption(courier=s.courier, service=s.service, courier_name=s.courier_name,
                              service_name=s.service_name, zone=zone,
                              price_idr=_round_up(kg * (s.base_idr + hundreds * s.per_100km_idr)),
                              etd_days=s.etd_base + int(km // s.km_per_extra_day))
                   for s in SERVICES]
        if coords and km <= INSTANT_MAX_KM and kg <= INSTANT_MAX_KG:
            options.append(RateOption(courier="gosend", service="instant", courier_name="GoSend",
                                      service_name="Instant", zone=zone,
                                      price_idr=_round_up(15_000 + 2_500 * km), etd_days=0))
        if not options:
            raise NotServed()
        return sorted(options, key=lambda o: (o.price_idr, o.etd_days, o.code))

    def book(self, request: BookingRequest) -> Booking:
        if request.service not in {o.service for o in self.rates(request.parcel) if o.courier == request.courier}:
            raise NotServed()
        digest = hashlib.sha256(request.reference.encode()).hexdigest()
        number = int(digest[:12], 16) % 10**12
        return Booking(waybill=f"SBX{request.courier.upper()}{number:012d}", courier=request.courier,
                       service=request.service, provider_ref="sbxord_" + digest[:20])

    def track(self, provider_ref: str) -> Tracking:
        return Tracking(status=None, waybill=None)  # the sandbox's shipments are our own rows

    def verify_webhook(self, payload: bytes, headers: Mapping[str, str]) -> TrackingUpdate | None:
        return biteship.parse_webhook(payload, headers, self.webhook_secret)

    def webhook(self, *, provider_ref: str, waybill: str, courier: str, service: str, status: str,
                at: datetime) -> tuple[bytes, dict[str, str]]:
        """The ``order.status`` webhook Biteship would send for ``status`` (ours), body and headers."""
        body = {"event": "order.status", "order_id": provider_ref, "courier_tracking_id": provider_ref,
                "courier_waybill_id": waybill, "courier_company": courier, "courier_type": service,
                "status": biteship.RAW_STATUS[status], "updated_at": at.isoformat()}
        return (json.dumps(body).encode(),
                {"Content-Type": "application/json", biteship.SIGNATURE_HEADER: self.webhook_secret})
