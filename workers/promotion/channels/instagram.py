"""``instagram``: Instagram Graph API content publishing (an Instagram professional account).

Three steps: create a media container (``POST /{ig-user-id}/media`` with ``image_url`` and ``caption``),
poll it (``GET /{container-id}?fields=status_code``) until ``FINISHED``, publish it
(``POST /{ig-user-id}/media_publish`` with ``creation_id``); then read the post's ``permalink``. Before
anything, ``GET /{ig-user-id}/content_publishing_limit?fields=config,quota_usage`` tells how much of the
rolling 24-hour allowance is used: when it is full the post waits (``QuotaExhausted``) instead of failing.

No duplicates after a crash: the container id is committed (checkpoint) before ``media_publish``. On
recovery the container's own ``status_code`` tells: ``PUBLISHED`` → the post exists (found again among
the account's recent media by its link); anything else → not published, and publishing that same
container again is safe. A crash before the checkpoint leaves only an unpublished container, which
Instagram expires after 24 hours. Instagram's API does not delete published media: a withdrawn
listing's post stays (``can_remove`` False), and the admin page says so.

Configuration: ``INSTAGRAM_USER_ID``, ``INSTAGRAM_ACCESS_TOKEN``, ``INSTAGRAM_API_BASE`` (default
``https://graph.facebook.com/v21.0``; ``https://graph.instagram.com/v21.0`` for Instagram Login).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


from marketplace.config import Settings
from marketplace.ops import breakers
from workers.promotion.channels import graph
from workers.promotion.channels.base import (DEFAULT_TIMEOUT, PermanentError, Posted, PostRequest, QuotaExhausted,
                                             SaveCheckpoint, TransientError, require, send)

POLLS = 10
FALLBACK_URL = "https://www.instagram.com/"


class InstagramChannel:
    name = "instagram"
    min_interval = 60.0
    can_remove = False

    def __init__(self, user_id: str, access_token: str, api_base: str, *, timeout: float = DEFAULT_TIMEOUT,
                 poll_interval: float = 2.0, sleep: Callable[[float], None] = time.sleep):
        self.user_id = user_id
        self.token = access_token
        self.base = api_base.rstrip("/")
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.sleep = sleep
        self.http = breakers.session("instagram")

    def _call(self, method: str, path: str, what: str, **params: Any) -> dict[str, Any]:
        params["access_token"] = self.token
        kwargs: dict[str, Any] = {"params": params} if method == "GET" else {"data": params}
        response = send(self.http, method, f"{self.base}/{path}", timeout=self.timeout, **kwargs)
        return graph.checked(response, what)

    def check_limit(self) -> None:
        """Raise ``QuotaExhausted`` when the account's 24-hour publishing allowance is used up."""
        body = self._call("GET", f"{self.user_id}/content_publishing_limit", "content_publishing_limit",
                          fields="config,quota_usage")
        data = (body.get("data") or [{}])[0]
        config = data.get("config") or {}
        usage, total = data.get("quota_usage"), config.get("quota_total")
        if isinstance(usage, int) and isinstance(total, int) and usage >= total:
            window = config.get("quota_duration") if isinstance(config.get("quota_duration"), int) else 86400
            raise QuotaExhausted(f"publishing limit reached ({usage}/{total} in {window}s)",
                                 retry_after=min(float(window), 3600.0))

    def _status(self, container_id: str) -> str:
        return str(self._call("GET", container_id, "container status", fields="status_code").get("status_code", ""))

    def post(self, request: PostRequest, save_checkpoint: SaveCheckpoint) -> Posted:
        if not request.listing.image_url:
            raise PermanentError("instagram needs a photo: the listing has none")
        self.check_limit()
        container_id = request.checkpoint
        if not container_id:
            created = self._call("POST", f"{self.user_id}/media", "create container",
                                 image_url=request.listing.image_url, caption=request.caption)
            container_id = str(created["id"])
            save_checkpoint(container_id)
        for poll in range(POLLS):
            status = self._status(container_id)
            if status == "FINISHED":
                break
            if status == "PUBLISHED":  # an earlier attempt got there: find that post
                found = self.recover(request)
                if found is not None:
                    return found
                raise PermanentError(f"container {container_id} is published but its post was not found")
            if status == "ERROR":
                raise PermanentError(f"container {container_id}: Instagram could not process the photo")
            if status == "EXPIRED":
                save_checkpoint("")
                raise TransientError(f"container {container_id} expired; a new one will be made")
            if poll < POLLS - 1:
                self.sleep(self.poll_interval)
        else:
            raise TransientError(f"container {container_id} still {status or 'unknown'} after {POLLS} polls")
        published = self._call("POST", f"{self.user_id}/media_publish", "media_publish", creation_id=container_id)
        media_id = str(published["id"])
        return Posted(external_id=media_id, url=self._permalink(media_id))

    def _permalink(self, media_id: str) -> str:
        try:
            return str(self._call("GET", media_id, "permalink", fields="permalink").get("permalink") or FALLBACK_URL)
        except (TransientError, PermanentError):
            return FALLBACK_URL  # the post exists; its address is a nicety

    def recover(self, request: PostRequest) -> Posted | None:
        if not request.checkpoint:
            return None  # no container was recorded, so none was published
        if self._status(request.checkpoint) != "PUBLISHED":
            return None
        body = self._call("GET", f"{self.user_id}/media", "recent media", fields="id,caption,permalink", limit=50)
        for media in body.get("data") or []:
            if request.link in str(media.get("caption") or ""):
                return Posted(external_id=str(media["id"]), url=str(media.get("permalink") or FALLBACK_URL))
        return None

    def remove(self, external_id: str) -> None:
        raise PermanentError("Instagram's API does not delete published posts")


def from_settings(settings: Settings) -> InstagramChannel:
    return InstagramChannel(require(settings.instagram_user_id, "INSTAGRAM_USER_ID"),
                            require(settings.instagram_access_token, "INSTAGRAM_ACCESS_TOKEN"),
                            settings.instagram_api_base, timeout=settings.promotion_http_timeout_seconds)
