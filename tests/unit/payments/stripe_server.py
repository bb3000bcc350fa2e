"""A loopback HTTP server the real ``stripe`` library is pointed at, answering with Stripe's own fixtures.

``../shared/stripe/fixtures3.json`` holds Stripe's example object of each resource (what its mock server
answers with); each answer is that object adjusted to the request (id, amount, currency, status,
metadata…). Every request is recorded (method, path, headers, form fields) for the tests to check what
our gateway sent, and ``script`` queues failures (``"500"``, ``"timeout"``) for the next requests.
"""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

def _fixtures_path() -> Path:
    """``../shared/stripe/fixtures3.json`` beside the checkout. A git worktree may sit further down, and
    a clone made elsewhere (``git clone /work/main /tmp/x``) finds it beside the repository it was
    cloned from: look upwards from here, then from a local ``origin``."""
    here = Path(__file__).resolve()
    starts = [here]
    try:
        origin = subprocess.run(["git", "config", "--get", "remote.origin.url"], cwd=here.parent,  # noqa: S603,S607
                                capture_output=True, text=True, timeout=5, check=False).stdout.strip()
    except OSError:
        origin = ""
    if origin and Path(origin).is_dir():
        starts.append(Path(origin).resolve() / "tests")
    for start in starts:
        for parent in start.parents:
            candidate = parent / "shared" / "stripe" / "fixtures3.json"
            if candidate.exists():
                return candidate
    return here.parents[4] / "shared" / "stripe" / "fixtures3.json"


FIXTURES = _fixtures_path()


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class StripeStub:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    script: list[str] = field(default_factory=list)  # "500" / "timeout" for the next requests, in order
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    timeout_seconds: float = 1.5


def _fixtures() -> dict[str, Any]:
    return json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"]


def start(stub_holder: list[StripeStub]) -> tuple[ThreadingHTTPServer, StripeStub]:
    resources = _fixtures()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:  # quiet
            pass

        def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("Request-Id", "req_loopback")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)

        def _handle(self) -> None:
            stub = stub_holder[0]
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode())) if length else {}
            stub.requests.append(Recorded(self.command, self.path, dict(self.headers.items()), form))
            if stub.script:
                what = stub.script.pop(0)
                if what == "timeout":
                    time.sleep(stub.timeout_seconds)
                    return self._answer(500, {"error": {"type": "api_error", "message": "too late"}})
                if what == "500":
                    return self._answer(500, {"error": {"type": "api_error", "message": "Stripe had a hiccup"}},
                                        {"Stripe-Should-Retry": "true"})
            path = self.path.split("?")[0]
            if self.command == "POST" and path == "/v1/payment_intents":
                key = self.headers.get("Idempotency-Key", "")
                intent_id = "pi_" + hashlib.sha256(key.encode()).hexdigest()[:24]
                if intent_id not in stub.intents:  # Stripe's idempotency: the same key, the same intent
                    pi = copy.deepcopy(resources["payment_intent"])
                    pi.update(
                        id=intent_id, client_secret=f"{intent_id}_secret_loopback", amount=int(form["amount"]),
                        currency=form["currency"], status="requires_payment_method", next_action=None,
                        last_payment_error=None, canceled_at=None, transfer_group=form.get("transfer_group"),
                        metadata={k[len("metadata["):-1]: v for k, v in form.items() if k.startswith("metadata[")},
                        payment_method_types=[v for k, v in sorted(form.items()) if k.startswith("payment_method_types[")],
                    )
                    stub.intents[intent_id] = pi
                return self._answer(200, stub.intents[intent_id])
            if path.startswith("/v1/payment_intents/"):
                intent_id = path.split("/")[3]
                pi = stub.intents.get(intent_id)
                if pi is None:
                    return self._answer(404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                                        "message": f"No such payment_intent: '{intent_id}'"}})
                if path.endswith("/cancel"):
                    if pi["status"] in ("succeeded", "canceled"):
                        return self._answer(400, {"error": {
                            "type": "invalid_request_error", "code": "payment_intent_unexpected_state",
                            "message": f"This PaymentIntent's status is {pi['status']}."}})
                    pi.update(status="canceled", canceled_at=int(time.time()), cancellation_reason="requested_by_customer")
                return self._answer(200, pi)
            if self.command == "POST" and path == "/v1/refunds":
                refund = copy.deepcopy(resources["refund"])
                refund.update(id="re_" + hashlib.sha256(self.headers.get("Idempotency-Key", "").encode()).hexdigest()[:24],
                              amount=int(form["amount"]), currency="idr", payment_intent=form["payment_intent"])
                return self._answer(200, refund)
            return self._answer(404, {"error": {"type": "invalid_request_error", "message": f"no route {path}"}})

        do_GET = _handle
        do_POST = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    stub = StripeStub(url=f"http://127.0.0.1:{server.server_address[1]}")
    stub_holder.append(stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, stub
