"""Deliver the sandbox's queued webhooks in tests: through the Flask test client (fast), or over real
HTTP to the app served on loopback (werkzeug in a thread), as the payments worker delivers them."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import make_server

from marketplace.db import utcnow
from marketplace.payments import delivery
from marketplace.payments.gateways import SandboxGateway

#: The endpoint as the test client sees it (only the path is used).
TEST_CLIENT_URL = "http://localhost/webhooks/stripe"


def client_poster(client: Any) -> delivery.HttpPost:
    """The Flask test client as the delivery's ``http_post``: the same bytes and headers, no socket."""

    def post(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
        resp = client.post(urlsplit(url).path, data=body, headers=dict(headers))
        return resp.status_code, resp.get_data(as_text=True)

    return post


class Deliverer:
    """``deliver()`` → how many queued webhooks reached ``/webhooks/stripe`` (test client, due now)."""

    def __init__(self, app: Any, gateway: SandboxGateway):
        self.app = app
        self.gateway = gateway
        self.poster = client_poster(app.test_client())

    def __call__(self, now: Any = None, *, http_post: delivery.HttpPost | None = None,
                 url: str = TEST_CLIENT_URL) -> int:
        return delivery.deliver_due(self.app.extensions["db"].write_session_factory, http_post or self.poster,
                                    now or utcnow(), gateway=self.gateway, url=url)


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """The app on a real HTTP server on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="test-web", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
