"""Capped exponential backoff as a value: the one wait-between-retries shape of the relay, the workers'
consumer loop, the ``marketplace run`` supervisor and the leased delivery queues.

It lives on its own because those have nothing else in common: the relay and the consumer loop wait
between attempts at the broker or the database, the supervisor between restarts of a child, a delivery
queue between tries of one row. The policy is a frozen value (``initial``, ``maximum``, ``factor``) and
:meth:`Backoff.delay` a pure function of the attempt number; the *count* is kept by whoever retries (a
local variable of a loop, an attribute of a listener, the ``attempts`` column of a row), so no shared
object carries state and two loops can never disturb each other's waits. :func:`poll_until_stopped` is
the background loop the delivery tasks share (sandbox webhooks, mail, promotion posts).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Waits that grow by ``factor`` from ``initial`` and never pass ``maximum``: by default 0.5, 1, 2,
    4 … 30 seconds."""

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0

    def delay(self, attempt: int) -> float:
        """The wait after ``attempt`` failures in a row (1 → ``initial``; 0 → no wait: nothing failed)."""
        if attempt < 1:
            return 0.0
        try:
            wait = self.initial * self.factor ** (attempt - 1)
        except OverflowError:  # a very long run of failures: long past the cap
            return self.maximum
        return min(self.maximum, wait)


def poll_until_stopped(step: Callable[[], None], stop: threading.Event, *, interval: float, what: str,
                       log: logging.Logger) -> None:
    """Run ``step`` every ``interval`` seconds until ``stop`` is set. A step that raises (database away,
    or a bug) is logged as ``what`` failing and retried after a backoff from ``interval`` to 30 s, back
    to ``interval`` once a step succeeds."""
    policy = Backoff(interval, 30.0)
    failures = 0
    while not stop.is_set():
        try:
            step()
        except Exception:  # noqa: BLE001 - database away or a bug: say so, wait, try again
            failures += 1
            delay = policy.delay(failures)
            log.exception("%s failed; retrying in %.1fs", what, delay)
            stop.wait(delay)
            continue
        failures = 0
        stop.wait(interval)
