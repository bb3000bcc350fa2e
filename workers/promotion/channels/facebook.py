"""``facebook``: a photo post on a Facebook Page (``POST /{page-id}/photos`` with ``url`` and ``message``,
the Page access token). The answer is ``{"id": <photo id>, "post_id": <page post id>}``.

The Graph API has no idempotency key for posts. After an interrupted attempt the Page's recent posts
(``GET /{page-id}/feed?fields=id,message``) are searched for the listing's link, which is unique to it
(``utm_campaign=listing-<id>``): found → recorded, not posted again; not found → posted. A withdrawn
listing's photo is deleted (``DELETE /{photo-id}``).

Configuration: ``FACEBOOK_PAGE_ID``, ``FACEBOOK_PAGE_TOKEN``, ``FACEBOOK_API_BASE`` (default
``https://graph.facebook.com/v21.0``).
"""

from __future__ import annotations

from typing import Any


from marketplace.config import Settings
from marketplace.ops import breakers
from workers.promotion.channels import graph
from workers.promotion.channels.base import (DEFAULT_TIMEOUT, PermanentError, Posted, PostRequest, SaveCheckpoint,
                                             require, send)


class FacebookChannel:
    name = "facebook"
    min_interval = 30.0
    can_remove = True

    def __init__(self, page_id: str, page_token: str, api_base: str, *, timeout: float = DEFAULT_TIMEOUT):
        self.page_id = page_id
        self.token = page_token
        self.base = api_base.rstrip("/")
        self.timeout = timeout
        self.http = breakers.session("facebook")

    def _call(self, method: str, path: str, what: str, **params: Any) -> dict[str, Any]:
        params["access_token"] = self.token
        kwargs: dict[str, Any] = {"data": params} if method == "POST" else {"params": params}
        return graph.checked(send(self.http, method, f"{self.base}/{path}", timeout=self.timeout, **kwargs), what)

    def post(self, request: PostRequest, save_checkpoint: SaveCheckpoint) -> Posted:
        if not request.listing.image_url:
            raise PermanentError("a Facebook photo post needs a photo: the listing has none")
        body = self._call("POST", f"{self.page_id}/photos", "page photo", url=request.listing.image_url,
                          message=request.caption)
        post_id = str(body.get("post_id") or body["id"])
        return Posted(external_id=str(body["id"]), url=f"https://www.facebook.com/{post_id}")

    def recover(self, request: PostRequest) -> Posted | None:
        body = self._call("GET", f"{self.page_id}/feed", "page feed", fields="id,message", limit=50)
        for post in body.get("data") or []:
            if request.link in str(post.get("message") or ""):
                return Posted(external_id=str(post["id"]), url=f"https://www.facebook.com/{post['id']}")
        return None

    def remove(self, external_id: str) -> None:
        self._call("DELETE", external_id, "delete photo")


def from_settings(settings: Settings) -> FacebookChannel:
    return FacebookChannel(require(settings.facebook_page_id, "FACEBOOK_PAGE_ID"),
                           require(settings.facebook_page_token, "FACEBOOK_PAGE_TOKEN"),
                           settings.facebook_api_base, timeout=settings.promotion_http_timeout_seconds)
