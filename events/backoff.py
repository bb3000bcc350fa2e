"""Capped exponential backoff, shared by everything that retries: the relay, the workers' consumer loop
and the ``marketplace run`` supervisor.

It lives on its own because those three have nothing else in common: the relay and the consumer loop
wait between attempts at the broker or the database, the supervisor between restarts of a child. One
small class keeps their waits the same shape (double each time, never past the cap, back to the start
after a success) without the supervisor importing the relay, or the workers the relay. The sandbox's
webhook deliveries keep their failure count in the database, so they ask for the delay after ``n``
failures (:meth:`Backoff.after`) instead of keeping one object per delivery. :func:`poll_until_stopped`
is the background loop the delivery tasks share (sandbox webhooks, mail, promotion posts).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable


class Backoff:
    """Exponential backoff with a cap: by default 0.5, 1, 2, 4 … 30 seconds; ``reset()`` after a success."""

    def __init__(self, initial: float = 0.5, maximum: float = 30.0):
        self.initial = initial
        self.maximum = maximum
        self.current = initial

    def next(self) -> float:
        """The delay to wait now; the following one is twice as long, up to ``maximum``."""
        delay = self.current
        self.current = min(self.maximum, self.current * 2)
        return delay

    def reset(self) -> None:
        """Start again from ``initial`` (call it once the retried thing has worked)."""
        self.current = self.initial

    def after(self, failures: int) -> float:
        """The delay after ``failures`` failures in a row (1 → ``initial``), for a retry whose count is
        stored elsewhere (a database row) rather than in this object; does not change ``current``."""
        if failures < 1:
            return 0.0
        return min(self.maximum, self.initial * 2 ** min(failures - 1, 62))


def poll_until_stopped(step: Callable[[], None], stop: threading.Event, *, interval: float, what: str,
                       log: logging.Logger) -> None:
    """Run ``step`` every ``interval`` seconds until ``stop`` is set. A step that raises (database away,
    or a bug) is logged as ``what`` failing and retried after a backoff from ``interval`` to 30 s, back
    to ``interval`` once a step succeeds."""
    trouble = Backoff(interval, 30.0)
    while not stop.is_set():
        try:
            step()
        except Exception:  # noqa: BLE001 - database away or a bug: say so, wait, try again
            delay = trouble.next()
            log.exception("%s failed; retrying in %.1fs", what, delay)
            stop.wait(delay)
            continue
        trouble.reset()
        stop.wait(interval)
