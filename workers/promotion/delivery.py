"""The promotion worker's posting loop: post what the handler queued, retry what failed, record all.

The loop is the leased queue of ``marketplace.queue`` (as the mail and the sandbox's webhooks are):
each row goes through short steps, none holding a transaction open while a platform is called:

1. **Claimed**, in its own transaction: the due row becomes ``attempting`` (``attempts`` + 1,
   ``next_attempt_at`` = the lease's end) and is committed *before* the call. A row whose listing is no
   longer public is ``cancelled`` here instead. A row found still ``attempting`` after its lease was
   interrupted mid-call: the channel's ``recover`` looks for the post before anything is posted again
   (``workers.promotion.channels.base`` explains what each channel can tell).
2. **Called**: ``channel.post(request, save_checkpoint)``; a channel with a resumable first step
   (Instagram's container) commits it through ``save_checkpoint``.
3. **Recorded**: ``posted`` (+ ``promotion.posted``); a transient failure (429, 5xx, timeout) is
   ``retrying`` after ``RETRY`` backoff or the platform's ``Retry-After`` if longer, and a 429 also
   pauses the whole channel that long; after ``MAX_ATTEMPTS``, or on a permanent refusal, ``failed`` /
   ``permanent`` (+ ``promotion.failed``) for admins to see and retry. Instagram's full publishing
   allowance re-queues the row for later without counting the attempt.

Pace: each channel's ``min_interval`` is kept between two calls (per process; one promotion worker
process is the deployment's norm, and the platforms' own 429s back this up).
``withdrawing`` rows (posted, listing gone) are taken down through ``channel.remove`` where the
platform allows it; otherwise they stay ``posted`` with a note in ``last_error``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from events.backoff import Backoff, poll_until_stopped
from marketplace.config import Settings
from marketplace.db import transaction, utcnow
from marketplace.listings.models import Listing
from marketplace.promotion.posts import services
from marketplace.promotion.posts.captions import caption_for, listing_link
from marketplace.promotion.posts.models import Promotion, PromotionStatus as S
from marketplace.queue import Failed, LeasedQueue, Retry, RetryPolicy, Sent
from workers.promotion.channels.base import (Channel, ChannelError, PermanentError, Posted, PostRequest,
                                             QuotaExhausted)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than one post can take (Instagram's polling included)
RETRY = Backoff(initial=30.0, maximum=3600.0)
MAX_ATTEMPTS = 8
DUE = (S.QUEUED.value, S.RETRYING.value, S.ATTEMPTING.value, S.WITHDRAWING.value)

SessionFactory = Callable[[], Session]


@dataclass(frozen=True)
class Task:
    """What the poster took from a claimed row: post it, check an interrupted attempt, or remove it."""

    kind: str  # "post", "recover" or "remove"
    promotion_id: int
    channel: str
    attempt: int
    request: PostRequest | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class Attempt:
    """What one call to a platform came to: the post, or the error; ``unchecked`` when the check of an
    interrupted attempt itself failed (so nothing is known about that post yet)."""

    posted: Posted | None = None
    error: ChannelError | None = None
    unchecked: bool = False


def queue() -> LeasedQueue[Task, Attempt]:
    """The promotions as a leased queue (read at call time, so tests may shorten the waits)."""
    return LeasedQueue(Promotion.next_attempt_at, Promotion.attempts, LEASE, RetryPolicy(MAX_ATTEMPTS, RETRY))


class Poster:
    """Posts due promotions through ``channels`` (name → Channel); keeps each channel's pace. It is the
    leased queue's job (``marketplace.queue.Job``): which rows can go now, what to take, how to post,
    how to record."""

    def __init__(self, session_factory: SessionFactory, channels: Mapping[str, Channel], settings: Settings):
        self.session_factory = session_factory
        self.channels = {name: ch for name, ch in channels.items() if name != services.FEED}
        self.settings = settings
        self.paused_until: dict[str, datetime] = {}

    def deliver_due(self, now: datetime, *, limit: int = 50, stop: threading.Event | None = None) -> int:
        """Handle every row due at ``now`` (up to ``limit``); how many were posted."""
        return queue().work(self.session_factory, now, self, limit=limit, stop=stop)

    def where(self, now: datetime) -> list[ColumnElement[bool]] | None:
        ready = [name for name in self.channels if self.paused_until.get(name, now) <= now]
        if not ready:
            return None
        return [Promotion.status.in_(DUE), Promotion.channel.in_(ready)]

    def take(self, session: Session, row: Promotion, now: datetime) -> Task | None:
        if row.status == S.WITHDRAWING.value:
            queue().take(row, now, count=False)
            return Task("remove", row.id, row.channel, row.attempts, external_id=row.external_id)
        public = services.is_public(session.get(Listing, row.listing_id))
        if not public and row.status != S.ATTEMPTING.value:
            row.status, row.next_attempt_at = S.CANCELLED.value, None
            log.info("promotion %s (%s): listing %s is no longer public, not posted", row.id, row.channel,
                     row.listing_id)
            return None
        listing = services.post_listing(session, self.settings, row.listing_id)
        assert listing is not None
        base = self.settings.public_base_url
        request = PostRequest(promotion_id=row.id, listing=listing,
                              caption=caption_for(listing, row.channel, base),
                              link=listing_link(base, listing.id, row.channel), checkpoint=row.checkpoint)
        kind = "recover" if row.status == S.ATTEMPTING.value else "post"
        queue().take(row, now, count=kind == "post")
        row.status = S.ATTEMPTING.value
        return Task(kind, row.id, row.channel, row.attempts, request=request)

    def _save_checkpoint(self, promotion_id: int) -> Callable[[str], None]:
        def save(value: str) -> None:
            with transaction(self.session_factory) as session:
                row = session.get(Promotion, promotion_id)
                assert row is not None
                row.checkpoint = value or None
        return save

    def send(self, task: Task, now: datetime) -> Attempt:
        channel = self.channels[task.channel]
        if task.kind == "remove":
            return self._remove(task, channel)
        assert task.request is not None
        result: Posted | None = None
        error: ChannelError | None = None
        checking = task.kind == "recover"
        try:
            if checking:
                result = channel.recover(task.request)
                checking = False
                if result is not None:
                    log.info("promotion %s (%s): found the post of the interrupted attempt", task.promotion_id,
                             task.channel)
            if result is None:
                result = channel.post(task.request, self._save_checkpoint(task.promotion_id))
        except ChannelError as exc:
            error = exc
        self._pace(task.channel, channel, now, error)
        return Attempt(result, error, unchecked=checking)

    def _pace(self, name: str, channel: Channel, now: datetime, error: ChannelError | None) -> None:
        wait = channel.min_interval
        if error is not None and error.retry_after and not isinstance(error, QuotaExhausted):
            wait = max(wait, error.retry_after)
        if wait > 0:
            self.paused_until[name] = now + timedelta(seconds=wait)

    def record(self, session: Session, row: Promotion, task: Task, attempt: Attempt, now: datetime) -> bool:
        if task.kind == "remove":
            self._record_removal(row, attempt.error, now)
            return False
        jobs = queue()
        if attempt.posted is not None:
            result = attempt.posted
            jobs.settle(row, Sent(), now)
            row.status, row.external_id, row.url = S.POSTED.value, result.external_id[:255], result.url[:500]
            row.posted_at, row.last_error, row.checkpoint = now, None, None
            session.flush()
            services.record_posted(session, row)
            log.info("promotion %s posted on %s: %s", row.id, row.channel, row.url)
            if not services.is_public(session.get(Listing, row.listing_id)):
                row.status, row.next_attempt_at = S.WITHDRAWING.value, now  # gone while we posted
            return True
        error = attempt.error
        assert error is not None
        row.last_error = str(error)[:500]
        if isinstance(error, QuotaExhausted):  # the platform's allowance, not a failed attempt: given back
            row.attempts = max(0, row.attempts - 1)
            row.status = S.QUEUED.value
            jobs.settle(row, Retry(str(error), after=error.retry_after or 3600.0, counts=False), now)
            log.info("promotion %s (%s) waits: %s", row.id, row.channel, error)
            return False
        if attempt.unchecked and not error.permanent:  # the check itself failed: check again later
            wait = max(jobs.retry.wait.delay(1), error.retry_after or 0.0)
            jobs.settle(row, Retry(str(error), after=wait, counts=False), now)
            return False
        outcome = jobs.settle(row, Failed(str(error)) if error.permanent else Retry(str(error), error.retry_after or 0.0),
                              now)
        if isinstance(outcome, Failed):
            row.status = S.PERMANENT.value if error.permanent else S.FAILED.value
            if attempt.unchecked:
                row.status = S.FAILED.value  # unverifiable: an admin checks, then retries
            session.flush()
            services.record_failed(session, row)
            log.warning("promotion %s (%s) %s: %s", row.id, row.channel, row.status, error)
            return False
        assert isinstance(outcome, Retry)
        row.status = S.RETRYING.value
        log.warning("promotion %s (%s) attempt %d failed (%s); next in %.0fs", row.id, row.channel,
                    row.attempts, error, outcome.after)
        return False

    def _remove(self, task: Task, channel: Channel) -> Attempt:
        if not channel.can_remove:
            return Attempt(error=PermanentError(f"{task.channel} does not let us delete posts"))
        try:
            channel.remove(task.external_id or "")
        except ChannelError as exc:
            return Attempt(error=exc)
        return Attempt()

    def _record_removal(self, row: Promotion, error: ChannelError | None, now: datetime) -> None:
        if row.status != S.WITHDRAWING.value:
            return  # re-approved meanwhile
        jobs = queue()
        if error is None:
            jobs.settle(row, Sent(), now)
            row.status = S.REMOVED.value
        elif error.permanent:
            jobs.settle(row, Failed(str(error)), now)
            row.status = S.POSTED.value
            row.last_error = f"listing withdrawn, post not removed: {error}"[:500]
        else:
            wait = max(jobs.retry.wait.delay(1), error.retry_after or 0.0)
            jobs.settle(row, Retry(str(error), after=wait, counts=False), now)
            row.last_error = f"removal: {error}"[:500]


class PostingLoop:
    """``loop(session_factory, stop)``: post due promotions every ``poll_interval`` until ``stop``."""

    name = "promotion"

    def __init__(self, channels: Mapping[str, Channel], settings: Settings, *, poll_interval: float = 1.0,
                 clock: Callable[[], datetime] = utcnow):
        self.channels = channels
        self.settings = settings
        self.poll_interval = poll_interval
        self.clock = clock

    def __call__(self, session_factory: SessionFactory, stop: threading.Event) -> None:
        poster = Poster(session_factory, self.channels, self.settings)
        log.info("promotion: posting to %s", ", ".join(self.channels) or "nothing")
        poll_until_stopped(lambda: poster.deliver_due(self.clock(), stop=stop), stop,
                           interval=self.poll_interval, what="promotion posting", log=log)
        log.info("promotion: posting loop stopped")
