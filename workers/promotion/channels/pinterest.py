"""``pinterest``: Pinterest API v5 pin creation on a board (``POST /v5/pins``, ``Authorization: Bearer``,
``board_id``, ``title``, ``description``, ``link``, ``media_source: {source_type: image_url, url}``);
the answer is the Pin (``id``). Errors are ``{"code", "message"}`` with the HTTP status.

No idempotency key; after an interrupted attempt the board's pins (``GET /v5/boards/{board_id}/pins``)
are searched for the listing's link (unique per listing): found → recorded, not pinned again. A
withdrawn listing's pin is deleted (``DELETE /v5/pins/{pin_id}``, 204).

Configuration: ``PINTEREST_ACCESS_TOKEN``, ``PINTEREST_BOARD_ID``, ``PINTEREST_API_BASE`` (default
``https://api.pinterest.com``).
"""

from __future__ import annotations

from typing import Any

import requests

from marketplace.config import Settings
from marketplace.promotion.posts.captions import pinterest_title
from marketplace.ops import breakers
from workers.promotion.channels.base import (DEFAULT_TIMEOUT, PermanentError, Posted, PostRequest, SaveCheckpoint,
                                             json_of, require, send)


class PinterestChannel:
    name = "pinterest"
    min_interval = 10.0
    can_remove = True

    def __init__(self, access_token: str, board_id: str, api_base: str, *, timeout: float = DEFAULT_TIMEOUT):
        self.board_id = board_id
        self.base = api_base.rstrip("/")
        self.timeout = timeout
        self.http = breakers.session("pinterest")
        self.http.headers["Authorization"] = f"Bearer {access_token}"

    def _checked(self, response: requests.Response, what: str) -> dict[str, Any]:
        body = json_of(response)
        if response.ok:
            return body
        raise PermanentError(f"{what}: {response.status_code} code={body.get('code')} {body.get('message', '')}".strip())

    def post(self, request: PostRequest, save_checkpoint: SaveCheckpoint) -> Posted:
        if not request.listing.image_url:
            raise PermanentError("a pin needs a photo: the listing has none")
        payload = {"board_id": self.board_id, "title": pinterest_title(request.listing),
                   "description": request.caption, "link": request.link,
                   "media_source": {"source_type": "image_url", "url": request.listing.image_url}}
        body = self._checked(send(self.http, "POST", f"{self.base}/v5/pins", json=payload, timeout=self.timeout),
                             "create pin")
        pin_id = str(body["id"])
        return Posted(external_id=pin_id, url=f"https://www.pinterest.com/pin/{pin_id}/")

    def recover(self, request: PostRequest) -> Posted | None:
        response = send(self.http, "GET", f"{self.base}/v5/boards/{self.board_id}/pins",
                        params={"page_size": 100}, timeout=self.timeout)
        for pin in self._checked(response, "board pins").get("items") or []:
            if pin.get("link") == request.link:
                return Posted(external_id=str(pin["id"]), url=f"https://www.pinterest.com/pin/{pin['id']}/")
        return None

    def remove(self, external_id: str) -> None:
        self._checked(send(self.http, "DELETE", f"{self.base}/v5/pins/{external_id}", timeout=self.timeout),
                      "delete pin")


def from_settings(settings: Settings) -> PinterestChannel:
    return PinterestChannel(require(settings.pinterest_access_token, "PINTEREST_ACCESS_TOKEN"),
                            require(settings.pinterest_board_id, "PINTEREST_BOARD_ID"),
                            settings.pinterest_api_base, timeout=settings.promotion_http_timeout_seconds)
