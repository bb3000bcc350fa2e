"""Biteship's API on loopback, as its documentation shows it: the API key in the ``authorization``
header, ``POST /v1/rates/couriers`` (postal codes, ``couriers``, ``items``) answering ``pricing``,
``POST /v1/orders`` answering the order with ``courier.waybill_id`` (a used ``reference_id`` is refused
with the existing order's id in ``details``), ``GET /v1/orders/<id>`` and ``GET /v1/trackings/<id>``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.unit.payouts.loopback import Answer, Loopback, Recorded, serve

API_KEY = "biteship_test.loopback"


def failure(what: str) -> Answer:
    if what == "500":
        return 500, {"success": False, "error": "Internal server error", "code": 50000}, {}
    raise AssertionError(f"unknown failure {what!r}")


def _order(order_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"success": True, "object": "order", "id": order_id, "reference_id": body["reference_id"],
            "courier": {"waybill_id": f"WB{order_id[-6:]}", "company": body["courier_company"],
                        "type": body["courier_type"], "tracking_id": "trk_" + order_id},
            "price": 18000, "status": "confirmed"}


def route(stub: Loopback, req: Recorded) -> Answer:
    if req.headers.get("authorization") != API_KEY:
        return 401, {"success": False, "error": "Authentication failed", "code": 40101001}, {}
    orders = stub.state.setdefault("orders", {})
    if req.method == "POST" and req.path == "/v1/rates/couriers":
        body = req.json
        for name in ("origin_postal_code", "destination_postal_code", "couriers", "items"):
            if name not in body:
                return 400, {"success": False, "error": f"{name} is required"}, {}
        if body["destination_postal_code"] == 99999:
            return 200, {"success": True, "object": "courier_pricing", "pricing": []}, {}
        return 200, {"success": True, "object": "courier_pricing", "pricing": [
            {"courier_code": "jne", "courier_name": "JNE", "courier_service_code": "reg",
             "courier_service_name": "Reguler", "price": 18000, "shipment_duration_range": "2 - 3",
             "shipment_duration_unit": "days"},
            {"courier_code": "sicepat", "courier_name": "SiCepat", "courier_service_code": "best",
             "courier_service_name": "Besok Sampai", "price": 24000, "shipment_duration_range": "1",
             "shipment_duration_unit": "days"},
        ]}, {}
    if req.method == "POST" and req.path == "/v1/orders":
        body = req.json
        for name in ("reference_id", "origin_contact_name", "origin_address", "origin_postal_code",
                     "destination_contact_name", "destination_address", "destination_postal_code",
                     "courier_company", "courier_type", "delivery_type", "items"):
            if name not in body:
                return 400, {"success": False, "error": f"{name} is required"}, {}
        for order_id, kept in orders.items():
            if kept["reference_id"] == body["reference_id"]:
                return 400, {"success": False, "error": "Reference id already used", "code": 40002001,
                             "details": {"order_id": order_id, "reference_id": body["reference_id"]}}, {}
        order_id = f"bsord{len(orders) + 1:06d}"
        orders[order_id] = _order(order_id, body)
        return 200, orders[order_id], {}
    if req.method == "GET" and req.path.startswith("/v1/orders/"):
        found = orders.get(req.path.rsplit("/", 1)[-1])
        return (200, found, {}) if found else (404, {"success": False, "error": "Order not found"}, {})
    if req.method == "GET" and req.path.startswith("/v1/trackings/"):
        return 200, {"success": True, "object": "tracking", "status": "dropping_off", "waybill_id": "WB000001",
                     "history": [{"status": "confirmed", "note": "Order confirmed", "updated_at": "2026-12-01T02:00:00Z"},
                                 {"status": "picked", "note": "Picked up", "updated_at": "2026-12-01T05:00:00+07:00"},
                                 {"status": "dropping_off", "note": "On the way", "updated_at": "2026-12-02T01:00:00Z"}]}, {}
    return 404, {"success": False, "error": "no such route"}, {}


@contextmanager
def biteship_server() -> Iterator[Loopback]:
    with serve(route, failure) as stub:
        yield stub
