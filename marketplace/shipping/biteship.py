"""``SHIPPING_PROVIDER=biteship``: Biteship's API (https://biteship.com/id/docs) over ``requests``.

- Rates: ``POST /v1/rates/couriers`` with ``origin_postal_code``, ``destination_postal_code`` (and the
  coordinates for instant couriers), ``couriers`` (comma-separated codes) and ``items`` (name, value,
  weight in grams, quantity, and the size when known); the answer's ``pricing`` lists
  ``courier_code``, ``courier_service_code``, ``price`` and ``shipment_duration_range`` (``"2 - 3"``).
- Booking: ``POST /v1/orders`` with the origin and destination contacts, addresses and postal codes,
  ``courier_company``, ``courier_type``, ``delivery_type: now``, the items, and ``reference_id`` = our
  idempotency key; the answer's ``id`` is Biteship's order id and ``courier.waybill_id`` the waybill.
  A retry after a timeout sends the same ``reference_id``: when Biteship answers that the reference is
  already used (its error's ``details.order_id``), the existing order is read back (``GET
  /v1/orders/<id>``) instead of booking again.
- Tracking: ``GET /v1/trackings/<id>`` → ``status``, ``waybill_id`` and ``history`` [{status, note,
  updated_at}].
- Auth: the API key in the ``authorization`` header, as Biteship's documentation sends it.
- Webhooks (``order.status``, ``order.waybill_id``): Biteship adds the header named and valued as set
  when the webhook was installed; we install it as :data:`SIGNATURE_HEADER` with
  ``BITESHIP_WEBHOOK_SECRET`` and compare in constant time. Biteship's statuses are mapped to ours by
  :data:`STATUS_MAP` (statuses that say nothing of the parcel's way, e.g. ``cancelled``, are ignored).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import requests

from marketplace.ops import breakers
from marketplace.shipping.providers import (
    Booking,
    BookingRequest,
    CourierError,
    InvalidWebhook,
    NotServed,
    Parcel,
    RateOption,
    Tracking,
    TrackingUpdate,
)

if TYPE_CHECKING:
    from marketplace.config import Settings

SIGNATURE_HEADER = "X-Biteship-Signature"
COURIERS = "jne,jnt,sicepat,anteraja,gojek,grab"
EVENTS = frozenset({"order.status", "order.waybill_id"})
#: Biteship's order statuses → ours (absent: nothing to show the buyer).
STATUS_MAP = {
    "confirmed": "confirmed", "allocated": "confirmed", "picking_up": "confirmed",
    "picked": "picked_up", "dropping_off": "in_transit", "delivered": "delivered",
    "return_in_transit": "returned", "returned": "returned",
}
#: Ours → the Biteship status the sandbox sends for it.
RAW_STATUS = {"confirmed": "confirmed", "picked_up": "picked", "in_transit": "dropping_off",
              "delivered": "delivered", "returned": "returned"}


def parse_time(value: Any) -> datetime:
    """An ISO-8601 time from Biteship (``Z`` or an offset) as aware UTC; now when absent or unreadable."""
    if isinstance(value, str) and value:
        try:
            found = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return found.astimezone(timezone.utc) if found.tzinfo else found.replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    return datetime.now(timezone.utc)


def verify_signature(headers: Mapping[str, str], secret: str) -> None:
    """:class:`InvalidWebhook` unless the signature header carries ``secret`` (constant-time)."""
    given = headers.get(SIGNATURE_HEADER, "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        raise InvalidWebhook("the webhook's signature header does not match")


def parse_webhook(payload: bytes, headers: Mapping[str, str], secret: str) -> TrackingUpdate | None:
    """A verified Biteship webhook as a :class:`TrackingUpdate` (None: an event or status we ignore)."""
    verify_signature(headers, secret)
    try:
        body = json.loads(payload)
    except ValueError as exc:
        raise InvalidWebhook("the body is not JSON") from exc
    if not isinstance(body, dict) or not isinstance(body.get("event"), str):
        raise InvalidWebhook("the body is not a Biteship webhook")
    if body["event"] not in EVENTS:
        return None
    ref, waybill = body.get("order_id"), body.get("courier_waybill_id")
    if not isinstance(ref, str) or not ref:
        raise InvalidWebhook("the webhook names no order_id")
    status = STATUS_MAP.get(str(body.get("status", "")))
    if status is None:
        return None
    return TrackingUpdate(status=status, at=parse_time(body.get("updated_at")), provider_ref=ref,
                          waybill=waybill if isinstance(waybill, str) and waybill else None,
                          raw_status=str(body.get("status")), note=str(body.get("note") or ""))


def etd_days(pricing: Mapping[str, Any]) -> int:
    """The upper end of ``shipment_duration_range`` in days (``"2 - 3"`` → 3; hours → 0, same day)."""
    text = str(pricing.get("shipment_duration_range") or pricing.get("duration") or "")
    numbers = [int(part) for part in text.replace("-", " ").split() if part.isdigit()]
    if str(pricing.get("shipment_duration_unit", "days")).lower().startswith("hour"):
        return 0
    return max(numbers, default=0)


class BiteshipProvider:
    name = "biteship"
    books = True

    def __init__(self, api_key: str, webhook_secret: str, base_url: str, timeout: float,
                 http: requests.Session | None = None):
        self.api_key, self.webhook_secret = api_key, webhook_secret
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self.http = http or breakers.session("biteship")

    @classmethod
    def from_settings(cls, settings: "Settings") -> "BiteshipProvider":
        return cls(settings.biteship_api_key, settings.biteship_webhook_secret, settings.biteship_api_base,
                   settings.biteship_timeout_seconds)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            answer = self.http.request(method, self.base_url + path, json=body, timeout=self.timeout,
                                       headers={"authorization": self.api_key, "content-type": "application/json"})
        except requests.RequestException as exc:
            raise CourierError(f"Biteship did not answer: {type(exc).__name__}", transient=True) from exc
        try:
            data = answer.json()
        except ValueError:
            data = {}
        if answer.status_code >= 500 or answer.status_code == 429:
            raise CourierError(f"Biteship answered {answer.status_code}", transient=True, status=answer.status_code)
        if answer.status_code >= 400 or not isinstance(data, dict) or data.get("success") is False:
            error = CourierError(f"Biteship refused: {data.get('error') if isinstance(data, dict) else ''}",
                                 transient=False, status=answer.status_code)
            error.details = data.get("details") if isinstance(data, dict) else None  # type: ignore[attr-defined]
            raise error
        return data

    def rates(self, parcel: Parcel) -> list[RateOption]:
        body: dict[str, Any] = {
            "origin_postal_code": int(parcel.origin.postal_code or 0),
            "destination_postal_code": int(parcel.destination.postal_code or 0),
            "couriers": COURIERS,
            "items": [_item(item.name, item.value_idr, item.weight_grams, item.quantity, parcel.size_cm)
                      for item in parcel.items] or [_item("Paket", parcel.value_idr, parcel.weight_grams, 1,
                                                          parcel.size_cm)],
        }
        if parcel.origin.has_coordinates and parcel.destination.has_coordinates:
            body.update(origin_latitude=parcel.origin.latitude, origin_longitude=parcel.origin.longitude,
                        destination_latitude=parcel.destination.latitude,
                        destination_longitude=parcel.destination.longitude)
        data = self._call("POST", "/v1/rates/couriers", body)
        options = [RateOption(courier=str(p["courier_code"]), service=str(p["courier_service_code"]),
                              courier_name=str(p.get("courier_name") or p["courier_code"]),
                              service_name=str(p.get("courier_service_name") or p["courier_service_code"]),
                              price_idr=int(p["price"]), etd_days=etd_days(p))
                   for p in data.get("pricing") or [] if isinstance(p, dict) and "price" in p]
        if not options:
            raise NotServed()
        return sorted(options, key=lambda o: (o.price_idr, o.etd_days, o.code))

    def book(self, request: BookingRequest) -> Booking:
        parcel = request.parcel
        body: dict[str, Any] = {
            "reference_id": request.reference,
            "origin_contact_name": request.shipper.name, "origin_contact_phone": request.shipper.phone,
            "origin_address": request.shipper.address, "origin_postal_code": int(parcel.origin.postal_code or 0),
            "destination_contact_name": request.recipient.name,
            "destination_contact_phone": request.recipient.phone,
            "destination_address": request.recipient.address,
            "destination_postal_code": int(parcel.destination.postal_code or 0),
            "courier_company": request.courier, "courier_type": request.service, "delivery_type": "now",
            "items": [_item(i.name, i.value_idr, i.weight_grams, i.quantity, parcel.size_cm) for i in parcel.items],
        }
        if parcel.origin.has_coordinates and parcel.destination.has_coordinates:
            body["origin_coordinate"] = {"latitude": parcel.origin.latitude, "longitude": parcel.origin.longitude}
            body["destination_coordinate"] = {"latitude": parcel.destination.latitude,
                                              "longitude": parcel.destination.longitude}
        try:
            data = self._call("POST", "/v1/orders", body)
        except CourierError as exc:
            existing = (getattr(exc, "details", None) or {}).get("order_id")
            if exc.transient or not existing:
                raise
            data = self._call("GET", f"/v1/orders/{existing}")  # booked by an earlier try: that one
        courier = data.get("courier") or {}
        return Booking(waybill=str(courier.get("waybill_id") or ""), courier=request.courier,
                       service=request.service, provider_ref=str(data["id"]))

    def track(self, provider_ref: str) -> Tracking:
        data = self._call("GET", f"/v1/trackings/{provider_ref}")
        history = [TrackingUpdate(status=STATUS_MAP[h["status"]], at=parse_time(h.get("updated_at")),
                                  note=str(h.get("note") or ""), provider_ref=provider_ref, raw_status=h["status"])
                   for h in data.get("history") or [] if isinstance(h, dict) and h.get("status") in STATUS_MAP]
        return Tracking(status=STATUS_MAP.get(str(data.get("status"))), waybill=data.get("waybill_id"),
                        history=history)

    def verify_webhook(self, payload: bytes, headers: Mapping[str, str]) -> TrackingUpdate | None:
        return parse_webhook(payload, headers, self.webhook_secret)


def _item(name: str, value: int, weight: int, quantity: int, size: tuple[int, int, int] | None) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name, "value": value, "weight": weight, "quantity": quantity}
    if size:
        item.update(length=size[0], width=size[1], height=size[2])
    return item
