"""``webhook``: a JSON POST to any URL (Zapier, Make, n8n, your own script) for automation tools.

The body is ``{"type": "listing.promoted" | "listing.unpromoted", "promotion_id", "listing": {...},
"caption", "link"}``, signed like Stripe's webhooks: ``X-Pasar-Signature: t=<unix time>,v1=<hex
HMAC-SHA256 of "<t>.<body>" with PROMOTION_WEBHOOK_SECRET>``, so the receiver checks it came from us
and is fresh. Every attempt for one promotion carries the same ``Idempotency-Key: promotion-<id>``:
after an interrupted attempt the POST simply goes again (at least once) and the receiver de-duplicates
on that key. A 2xx is success (its JSON ``id``/``url``, if any, are recorded); 429/5xx are retried; other
4xx are permanent. A withdrawn listing is announced with ``listing.unpromoted``.

Configuration: ``PROMOTION_WEBHOOK_URL``, ``PROMOTION_WEBHOOK_SECRET``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from marketplace.config import Settings
from marketplace.ops import breakers
from workers.promotion.channels.base import (DEFAULT_TIMEOUT, PermanentError, Posted, PostRequest, SaveCheckpoint,
                                             json_of, require, send)

SIGNATURE_HEADER = "X-Pasar-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookChannel:
    name = "webhook"
    min_interval = 0.0
    can_remove = True

    def __init__(self, url: str, secret: str, *, timeout: float = DEFAULT_TIMEOUT,
                 clock: Callable[[], float] = time.time):
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.clock = clock
        self.http = breakers.session("promotion_webhook")

    def _deliver(self, payload: dict[str, Any], key: str) -> dict[str, Any]:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": key,
                   SIGNATURE_HEADER: signature(self.secret, int(self.clock()), body)}
        response = send(self.http, "POST", self.url, data=body, headers=headers, timeout=self.timeout)
        if not response.ok:
            raise PermanentError(f"webhook answered {response.status_code}")
        return json_of(response)

    def post(self, request: PostRequest, save_checkpoint: SaveCheckpoint) -> Posted:
        key = f"promotion-{request.promotion_id}"
        answer = self._deliver({"type": "listing.promoted", "promotion_id": request.promotion_id,
                                "listing": asdict(request.listing), "caption": request.caption,
                                "link": request.link}, key)
        url = answer.get("url") if isinstance(answer.get("url"), str) else request.link
        return Posted(external_id=str(answer.get("id") or key), url=url)

    def recover(self, request: PostRequest) -> Posted | None:
        return None  # post again: the same Idempotency-Key lets the receiver drop the duplicate

    def remove(self, external_id: str) -> None:
        self._deliver({"type": "listing.unpromoted", "external_id": external_id}, f"remove-{external_id}")


def from_settings(settings: Settings) -> WebhookChannel:
    return WebhookChannel(require(settings.promotion_webhook_url, "PROMOTION_WEBHOOK_URL"),
                          require(settings.promotion_webhook_secret, "PROMOTION_WEBHOOK_SECRET"),
                          timeout=settings.promotion_http_timeout_seconds)
