"""What a social channel is, the errors it raises, and the HTTP helper the HTTP channels share.

A channel's ``post`` either returns ``Posted`` or raises: ``TransientError`` (429, 5xx, a timeout, a
connection refused; ``retry_after`` when the platform said how long to wait) is retried with backoff;
``PermanentError`` (bad token, rejected media, a 4xx that retrying cannot fix) is shown to admins and
not retried; ``QuotaExhausted`` (Instagram's publishing limit) waits without counting as an attempt.

Duplicates after a crash: the posting loop commits ``attempting`` before each call. A row found still
``attempting`` after its lease has run out was interrupted between the call and the commit of its
result; the loop then asks the channel's ``recover``: it returns the post when it can find it, ``None``
when it can tell there is none (the post may go again), or raises ``Unverifiable`` when the platform
cannot tell — the row is then ``failed`` for an admin to look at rather than posted a second time.
Each channel's module docstring says which of these it guarantees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from typing import Any, Protocol

import requests

from marketplace.promotion.posts.captions import PostListing

DEFAULT_TIMEOUT = 15.0


class ChannelError(Exception):
    permanent = False

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(ChannelError):
    """Try again later (after ``retry_after`` seconds when the platform said so)."""


class QuotaExhausted(TransientError):
    """The account's posting allowance is used up for now: wait, without counting an attempt."""


class PermanentError(ChannelError):
    """The platform refused for good; retrying the same request cannot help."""

    permanent = True


class Unverifiable(ChannelError):
    """After an interrupted attempt the platform cannot tell whether the post exists."""

    permanent = True


@dataclass(frozen=True)
class PostRequest:
    promotion_id: int
    listing: PostListing
    caption: str
    link: str
    checkpoint: str | None = None  # what an interrupted earlier attempt saved (see Channel.post)


@dataclass(frozen=True)
class Posted:
    external_id: str
    url: str


SaveCheckpoint = Callable[[str], None]


class Channel(Protocol):
    name: str
    #: Seconds to leave between two posts on this channel (the platform's pace, ours to keep).
    min_interval: float
    #: Whether ``remove`` takes a post down (else a withdrawn listing's post stays, noted for admins).
    can_remove: bool

    def post(self, request: PostRequest, save_checkpoint: SaveCheckpoint) -> Posted:
        """Publish; ``save_checkpoint(value)`` commits a resumable step before the irreversible one."""
        ...

    def recover(self, request: PostRequest) -> Posted | None:
        """After an interrupted attempt: the post if it exists, None if it surely does not."""
        ...

    def remove(self, external_id: str) -> None: ...


def retry_after_header(response: requests.Response) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def send(http: requests.Session, method: str, url: str, *, timeout: float = DEFAULT_TIMEOUT,
         label: str | None = None, statuses: bool = True, **kwargs: Any) -> requests.Response:
    """One HTTP call; network trouble, 429 and 5xx become ``TransientError``, the rest is returned
    for the channel to read (each platform words its errors its own way). ``label`` names the call in
    errors when the URL itself holds a secret (Telegram's bot token); ``statuses=False`` leaves 429 and
    5xx to the caller too (Telegram says how long to wait in its body, not in a header)."""
    where = f"{method} {label or _path(url)}"
    try:
        response = http.request(method, url, timeout=timeout, **kwargs)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TransientError(f"{where}: {type(exc).__name__}") from exc
    if not statuses:
        return response
    if response.status_code == 429:
        raise TransientError(f"{where}: 429 rate limited", retry_after=retry_after_header(response))
    if response.status_code >= 500:
        raise TransientError(f"{where}: {response.status_code}",
                             retry_after=retry_after_header(response))
    return response


def json_of(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _path(url: str) -> str:
    """The URL without its query (tokens travel there on the Graph API: never log them)."""
    return url.split("?", 1)[0]


def require(value: str, variable: str) -> str:
    if not value:
        raise ValueError(f"{variable} must be set when its channel is in PROMOTION_CHANNELS")
    return value
