"""The three courier providers behind one interface: the table's one option, the sandbox's deterministic
couriers, and Biteship's API through ``requests`` against a loopback server that checks what is sent."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from marketplace.config import Settings
from marketplace.shipping import biteship
from marketplace.shipping.biteship import BiteshipProvider
from marketplace.shipping.providers import (
    Booking,
    BookingRequest,
    BookingUnsupported,
    Contact,
    CourierError,
    InvalidWebhook,
    NotServed,
    Parcel,
    ParcelItem,
    Place,
    TableProvider,
    status_rank,
)
from marketplace.shipping.factory import provider_from_settings
from marketplace.shipping.sandbox import SandboxProvider
from tests.unit.shipping.biteship_server import API_KEY, biteship_server

BEKASI = Place(city="Bekasi", province="Jawa Barat", postal_code="17111", latitude=-6.2383, longitude=106.9756)
JAKARTA = Place(city="Jakarta Timur", province="DKI Jakarta", postal_code="13220", latitude=-6.2250, longitude=106.9004)
MEDAN = Place(city="Medan", province="Sumatera Utara", postal_code="20111")


def parcel(origin: Place = BEKASI, destination: Place = JAKARTA, grams: int = 800) -> Parcel:
    return Parcel(origin=origin, destination=destination, weight_grams=grams, value_idr=150_000,
                  items=(ParcelItem("Batik tulis", 150_000, grams, 1),))


def booking(reference: str = "seller-order-7", courier: str = "jne", service: str = "reg",
            to: Place = JAKARTA) -> BookingRequest:
    return BookingRequest(reference=reference, courier=courier, service=service, parcel=parcel(destination=to),
                          shipper=Contact("Batik Bu Sari", "+6281234567890", "Jl. Melati 3, Bekasi"),
                          recipient=Contact("Rina", "+6289876543210", "Jl. Kenanga 9, Jakarta"))


def test_the_settings_choose_the_provider_and_refuse_an_unknown_name() -> None:
    assert provider_from_settings(Settings()).name == "table"
    assert provider_from_settings(Settings(shipping_provider="sandbox", secret_key="k")).name == "sandbox"
    assert provider_from_settings(Settings(shipping_provider="biteship")).name == "biteship"
    with pytest.raises(ValueError, match="SHIPPING_PROVIDER"):
        provider_from_settings(Settings(shipping_provider="pigeon"))


def test_the_table_offers_its_zone_price_and_books_nothing() -> None:
    [option] = TableProvider(Settings()).rates(parcel(destination=MEDAN))
    assert (option.code, option.zone, option.etd_days) == ("kurir:reguler", "outside_java", 5)
    assert option.price_idr > 0
    with pytest.raises(BookingUnsupported):
        TableProvider(Settings()).book(booking())


def test_the_sandbox_offers_the_main_couriers_cheapest_first_and_prices_grow_with_distance_and_weight() -> None:
    sandbox = SandboxProvider("secret")
    near = sandbox.rates(parcel())
    codes = {o.code for o in near}
    assert {"jne:reg", "jne:yes", "jnt:ez", "sicepat:reg", "sicepat:best", "gosend:instant"} <= codes
    assert [o.price_idr for o in near] == sorted(o.price_idr for o in near)
    assert sandbox.rates(parcel()) == near  # deterministic
    far = {o.code: o for o in sandbox.rates(parcel(destination=MEDAN))}
    heavy = {o.code: o for o in sandbox.rates(parcel(grams=3500))}
    near_by_code = {o.code: o for o in near}
    assert "gosend:instant" not in far  # no coordinates, and too far anyway
    assert far["jne:reg"].price_idr > near_by_code["jne:reg"].price_idr
    assert far["jne:reg"].etd_days > near_by_code["jne:reg"].etd_days
    assert heavy["jne:reg"].price_idr == 4 * near_by_code["jne:reg"].price_idr
    assert all(o.price_idr % 500 == 0 for o in near)


def test_a_sandbox_booking_is_the_same_for_the_same_key_and_refuses_a_service_not_offered() -> None:
    sandbox = SandboxProvider("secret")
    first = sandbox.book(booking())
    assert first == sandbox.book(booking())
    assert first.waybill.startswith("SBXJNE") and first.provider_ref.startswith("sbxord_")
    assert sandbox.book(booking("seller-order-8")).waybill != first.waybill
    with pytest.raises(NotServed):
        sandbox.book(booking(courier="gosend", service="instant", to=MEDAN))


def test_the_sandbox_signs_its_webhooks_as_biteship_and_a_forged_one_is_refused() -> None:
    sandbox = SandboxProvider("secret")
    at = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)
    body, headers = sandbox.webhook(provider_ref="sbxord_1", waybill="SBX1", courier="jne", service="reg",
                                    status="picked_up", at=at)
    assert json.loads(body)["status"] == "picked" and json.loads(body)["event"] == "order.status"
    update = sandbox.verify_webhook(body, headers)
    assert update is not None and (update.status, update.provider_ref, update.waybill, update.at) == (
        "picked_up", "sbxord_1", "SBX1", at)
    with pytest.raises(InvalidWebhook):
        sandbox.verify_webhook(body, {biteship.SIGNATURE_HEADER: "guess"})
    with pytest.raises(InvalidWebhook):
        sandbox.verify_webhook(body, {})
    with pytest.raises(InvalidWebhook):
        sandbox.verify_webhook(b"not json", headers)
    ignored = json.dumps({"event": "order.price", "order_id": "x"}).encode()
    assert sandbox.verify_webhook(ignored, headers) is None


def test_statuses_have_an_order_that_never_goes_back() -> None:
    ranks = [status_rank(s) for s in ("confirmed", "picked_up", "in_transit", "delivered")]
    assert ranks == sorted(ranks) and status_rank(None) < ranks[0]
    assert status_rank("returned") == status_rank("delivered")


def provider(url: str, key: str = API_KEY) -> BiteshipProvider:
    return BiteshipProvider(key, "hook-secret", url, timeout=0.5)


def test_biteship_rates_send_postal_codes_items_and_the_key_and_read_pricing() -> None:
    with biteship_server() as stub:
        options = provider(stub.url).rates(parcel())
        [sent] = stub.requests
    assert (sent.method, sent.path, sent.headers["authorization"]) == ("POST", "/v1/rates/couriers", API_KEY)
    assert sent.json["origin_postal_code"] == 17111 and sent.json["destination_postal_code"] == 13220
    assert sent.json["items"] == [{"name": "Batik tulis", "value": 150_000, "weight": 800, "quantity": 1}]
    assert sent.json["destination_latitude"] == JAKARTA.latitude  # coordinates for instant couriers
    assert [(o.code, o.price_idr, o.etd_days) for o in options] == [("jne:reg", 18000, 3), ("sicepat:best", 24000, 1)]


def test_biteship_without_pricing_is_not_served_and_a_wrong_key_is_a_refusal_not_a_retry() -> None:
    with biteship_server() as stub:
        with pytest.raises(NotServed):
            provider(stub.url).rates(parcel(destination=Place("X", "Papua", "99999")))
        with pytest.raises(CourierError) as refused:
            provider(stub.url, key="wrong").rates(parcel())
    assert refused.value.transient is False and refused.value.status == 401


def test_biteship_booking_sends_the_order_and_returns_the_waybill() -> None:
    with biteship_server() as stub:
        booked = provider(stub.url).book(booking())
        [sent] = stub.requests
    assert (sent.method, sent.path) == ("POST", "/v1/orders")
    assert sent.json["reference_id"] == "seller-order-7"
    assert (sent.json["courier_company"], sent.json["courier_type"], sent.json["delivery_type"]) == ("jne", "reg", "now")
    assert sent.json["destination_contact_name"] == "Rina" and sent.json["origin_postal_code"] == 17111
    assert booked == Booking(waybill="WB000001", courier="jne", service="reg", provider_ref="bsord000001")


def test_a_booking_retried_after_a_lost_answer_books_once() -> None:
    with biteship_server() as stub:
        stub.timeout_seconds = 0.8
        stub.script.append("slow")  # booked, but the answer comes too late
        client = provider(stub.url)
        with pytest.raises(CourierError) as lost:
            client.book(booking())
        assert lost.value.transient
        again = client.book(booking())  # the same reference: Biteship names the first order
        assert len(stub.state["orders"]) == 1
        assert again.provider_ref == "bsord000001" and again.waybill == "WB000001"
        assert [r.path for r in stub.requests] == ["/v1/orders", "/v1/orders", "/v1/orders/bsord000001"]


def test_a_biteship_5xx_is_transient() -> None:
    with biteship_server() as stub:
        stub.script.append("500")
        with pytest.raises(CourierError) as failed:
            provider(stub.url).rates(parcel())
    assert failed.value.transient and failed.value.status == 500


def test_biteship_tracking_maps_its_statuses_to_ours() -> None:
    with biteship_server() as stub:
        tracking = provider(stub.url).track("bsord000001")
        [sent] = stub.requests
    assert (sent.method, sent.path) == ("GET", "/v1/trackings/bsord000001")
    assert tracking.status == "in_transit"
    assert [h.status for h in tracking.history] == ["confirmed", "picked_up", "in_transit"]
    assert tracking.history[1].at == datetime(2026, 11, 30, 22, 0, tzinfo=timezone.utc)


def test_biteship_webhooks_need_the_installed_signature_header() -> None:
    body = json.dumps({"event": "order.waybill_id", "order_id": "bsord000001", "courier_waybill_id": "WB1",
                       "status": "confirmed", "updated_at": "2026-12-01T02:00:00Z"}).encode()
    client = provider("http://127.0.0.1:9")
    update = client.verify_webhook(body, {biteship.SIGNATURE_HEADER: "hook-secret"})
    assert update is not None and (update.status, update.waybill) == ("confirmed", "WB1")
    with pytest.raises(InvalidWebhook):
        client.verify_webhook(body, {biteship.SIGNATURE_HEADER: "hook-secreT"})
    cancelled = json.dumps({"event": "order.status", "order_id": "bsord000001", "status": "cancelled"}).encode()
    assert client.verify_webhook(cancelled, {biteship.SIGNATURE_HEADER: "hook-secret"}) is None
