"""``telegram``: Bot API ``sendPhoto`` to a channel (``POST <base>/bot<token>/sendPhoto`` with ``chat_id``,
``photo`` (a URL Telegram fetches) and ``caption``). Every answer is ``{"ok": …}``: on success
``result`` is the Message (``message_id``, ``chat.username``); on failure ``error_code``,
``description`` and, for 429, ``parameters.retry_after`` (seconds) — read from the body, not a header.

The Bot API has no idempotency key and a bot cannot read its channel's history, so an interrupted
attempt cannot be checked: the row is ``failed`` (``Unverifiable``) for an admin, who sees the channel
and retries only if the post is missing. At most once, never twice. A withdrawn listing's message is
deleted (``deleteMessage``; Telegram allows it for a bot admin of the channel).

Configuration: ``TELEGRAM_BOT_TOKEN``, ``TELEGRAM_CHAT_ID`` (``@channelname`` or ``-100…``),
``TELEGRAM_API_BASE`` (default ``https://api.telegram.org``).
"""

from __future__ import annotations

from typing import Any


from marketplace.config import Settings
from marketplace.ops import breakers
from workers.promotion.channels.base import (DEFAULT_TIMEOUT, PermanentError, Posted, PostRequest, SaveCheckpoint,
                                             TransientError, Unverifiable, json_of, require, send)


class TelegramChannel:
    name = "telegram"
    min_interval = 3.0  # Telegram asks bots for no more than about 20 messages a minute per group
    can_remove = True

    def __init__(self, bot_token: str, chat_id: str, api_base: str, *, timeout: float = DEFAULT_TIMEOUT):
        self.token = bot_token
        self.chat_id = chat_id
        self.base = api_base.rstrip("/")
        self.timeout = timeout
        self.http = breakers.session("telegram")

    def _call(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = send(self.http, "POST", f"{self.base}/bot{self.token}/{method}", json=payload,
                        timeout=self.timeout, label=method, statuses=False)
        body = json_of(response)
        if body.get("ok") is True:
            return body.get("result") or {}
        code = body.get("error_code") or response.status_code
        message = f"{method}: {code} {body.get('description', '')}".strip()
        if code == 429:
            retry = (body.get("parameters") or {}).get("retry_after")
            raise TransientError(message, retry_after=float(retry) if isinstance(retry, (int, float)) else None)
        if isinstance(code, int) and code >= 500:
            raise TransientError(message)
        raise PermanentError(message)

    def post(self, request: PostRequest, save_checkpoint: SaveCheckpoint) -> Posted:
        if not request.listing.image_url:
            raise PermanentError("sendPhoto needs a photo: the listing has none")
        result = self._call("sendPhoto", {"chat_id": self.chat_id, "photo": request.listing.image_url,
                                          "caption": request.caption})
        message_id = int(result["message_id"])
        chat = result.get("chat") or {}
        if chat.get("username"):
            url = f"https://t.me/{chat['username']}/{message_id}"
        else:  # a private channel: t.me/c/<id without -100>/<message>
            url = f"https://t.me/c/{str(chat.get('id', self.chat_id)).removeprefix('-100')}/{message_id}"
        return Posted(external_id=str(message_id), url=url)

    def recover(self, request: PostRequest) -> Posted | None:
        raise Unverifiable("interrupted while posting to Telegram, which cannot tell whether the message went: "
                           "check the channel, then retry if it is missing")

    def remove(self, external_id: str) -> None:
        self._call("deleteMessage", {"chat_id": self.chat_id, "message_id": int(external_id)})


def from_settings(settings: Settings) -> TelegramChannel:
    return TelegramChannel(require(settings.telegram_bot_token, "TELEGRAM_BOT_TOKEN"),
                           require(settings.telegram_chat_id, "TELEGRAM_CHAT_ID"),
                           settings.telegram_api_base, timeout=settings.promotion_http_timeout_seconds)
