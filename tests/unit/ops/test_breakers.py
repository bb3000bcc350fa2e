"""Circuit breakers of the outside services: a service that keeps failing (5xx, 429, no answer) is left
alone for a while instead of tying up a thread per call, ``/readyz`` says the system is degraded (still
200: orders go on), and one good trial call closes it again. A 4xx is the service working."""

from __future__ import annotations

import time

import pytest
import requests

from marketplace.ops import breakers
from marketplace.web import health
from tests.unit.payouts.loopback import serve


def _route(stub, request):
    status = stub.state.get("status", 200)
    return status, {"status": status}, {}


@pytest.fixture
def service():
    with serve(_route, lambda what: (500, {}, {})) as stub:
        yield stub


def test_a_failing_service_is_left_alone_and_readyz_says_degraded(service, client, monkeypatch):
    monkeypatch.setattr(health, "check_broker", lambda app: {"ok": True})  # no broker in unit tests
    http = breakers.session("xendit_payments")
    service.state["status"] = 503
    for _ in range(breakers.FAIL_MAX):  # each failure still reaches the caller as the answer it was
        assert http.post(service.url + "/v3/payment_requests", json={}, timeout=2).status_code == 503
    with pytest.raises(breakers.ServiceDown) as down:  # open: not called at all
        http.post(service.url + "/v3/payment_requests", json={}, timeout=2)
    assert isinstance(down.value, requests.ConnectionError)  # callers already retry those later
    assert len(service.requests) == breakers.FAIL_MAX

    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "degraded"  # orders go on: still ready
    assert ready.json["checks"]["outside_services"] == {"ok": True, "degraded": ["xendit_payments"]}

    service.state["status"] = 200
    breakers.breaker("xendit_payments").reset_timeout = 0.05  # instead of waiting RESET_SECONDS
    time.sleep(0.1)  # after the reset timeout one trial call goes through and closes the circuit
    assert http.post(service.url + "/v3/payment_requests", json={}, timeout=2).status_code == 200
    ready = client.get("/readyz").json
    assert ready["status"] == "ok" and ready["checks"]["outside_services"]["degraded"] == []


def test_refusals_are_the_service_working_and_never_open_the_circuit(service):
    http = breakers.session("biteship")
    service.state["status"] = 422
    for _ in range(breakers.FAIL_MAX * 2):
        assert http.post(service.url + "/v1/orders", json={}, timeout=2).status_code == 422
    assert len(service.requests) == breakers.FAIL_MAX * 2


def test_unreachable_services_open_it_too_and_each_service_has_its_own():
    http = breakers.session("whatsapp")
    for _ in range(breakers.FAIL_MAX):
        with pytest.raises(requests.ConnectionError) as failed:
            http.post("http://127.0.0.1:9/", json={}, timeout=0.5)  # nothing listens on the discard port
        assert not isinstance(failed.value, breakers.ServiceDown)
    with pytest.raises(breakers.ServiceDown):
        http.post("http://127.0.0.1:9/", json={}, timeout=0.5)
    with pytest.raises(requests.ConnectionError) as other:  # SMTP, Stripe… are still tried
        breakers.session("stripe").get("http://127.0.0.1:9/", timeout=0.5)
    assert not isinstance(other.value, breakers.ServiceDown)
