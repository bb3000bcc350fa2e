"""Circuit breakers for every outside service (payment gateways, courier, WhatsApp, social channels,
SMTP, S3): after :data:`FAIL_MAX` failures in a row a service is left alone for :data:`RESET_SECONDS`
(calls fail at once, as a connection error would, and the leased queues retry them later) instead of
tying up a thread per call until its timeout; then one trial call decides whether it is back.

A failure is what says the service is unwell: a timeout, a refused or dropped connection, an HTTP 5xx
or 429. A 4xx answer (a declined card, a bad request of ours) is the service working: it counts as a
success. Breakers live in the process (pybreaker); each process that has a database records its
breakers' openings and closings in ``outside_services``, which ``/readyz`` reads to report a degraded
service while the site keeps taking orders (:func:`degraded`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pybreaker
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.ops.models import OutsideService

log = logging.getLogger(__name__)
T = TypeVar("T")

FAIL_MAX = 5
RESET_SECONDS = 30.0
#: An opening older than this with no news since is not reported (the process that saw it may be gone).
REPORT_WINDOW = timedelta(minutes=10)
OPEN, CLOSED = pybreaker.STATE_OPEN, pybreaker.STATE_CLOSED

_lock = threading.Lock()
_breakers: dict[str, pybreaker.CircuitBreaker] = {}
_recorder: list[Callable[[], Any]] = []  # the process's database transaction factory, once configured


class ServiceDown(requests.ConnectionError):
    """The breaker is open: the service failed :data:`FAIL_MAX` times in a row; not called now."""


class _Unwell(Exception):
    """An answer that counts as a failure (5xx, 429) carried out of the breaker, then returned as is."""

    def __init__(self, response: requests.Response):
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


class _Recorder(pybreaker.CircuitBreakerListener):
    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        state = new_state.name if hasattr(new_state, "name") else str(new_state)
        log.warning("outside service %s: circuit %s", cb.name, state)
        if _recorder and state in (OPEN, CLOSED):
            try:
                with _recorder[0]() as session:
                    record(session, cb.name, state, utcnow())
            except Exception:  # noqa: BLE001 - a breaker never fails the call because the log could not be written
                log.exception("could not record the circuit of %s", cb.name)


def record(session: Session, name: str, state: str, now: datetime) -> None:
    row = session.get(OutsideService, name)
    if row is None:
        session.add(OutsideService(name=name, state=state, changed_at=now))
    else:
        row.state, row.changed_at = state, now


def record_to(transaction: Callable[[], Any]) -> None:
    """Record this process's breakers in the database (``database.transaction``); called at start."""
    _recorder[:] = [transaction]


def breaker(name: str) -> pybreaker.CircuitBreaker:
    """The process's breaker for ``name`` (one per outside service, shared by its clients)."""
    with _lock:
        found = _breakers.get(name)
        if found is None:
            found = _breakers[name] = pybreaker.CircuitBreaker(
                fail_max=FAIL_MAX, reset_timeout=RESET_SECONDS, name=name, listeners=[_Recorder()],
                throw_new_error_on_trip=False)
        return found


def call(name: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` through ``name``'s breaker; :class:`ServiceDown` while it is open."""
    try:
        return breaker(name).call(fn, *args, **kwargs)
    except pybreaker.CircuitBreakerError as exc:
        raise ServiceDown(f"{name} is failing: not called for {RESET_SECONDS:.0f} s") from exc


class BreakerSession(requests.Session):
    """A ``requests`` session whose every request goes through ``name``'s breaker."""

    def __init__(self, name: str):
        super().__init__()
        self.breaker_name = name

    def _checked(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        response = super().request(method, url, **kwargs)
        if response.status_code >= 500 or response.status_code == 429:
            raise _Unwell(response)
        return response

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        try:
            return call(self.breaker_name, self._checked, method, url, *args, **kwargs)
        except _Unwell as unwell:
            return unwell.response


def session(name: str) -> BreakerSession:
    return BreakerSession(name)


def degraded(session: Session, now: datetime) -> list[str]:
    """The outside services whose circuit some process opened within :data:`REPORT_WINDOW`."""
    return list(session.scalars(select(OutsideService.name).where(
        OutsideService.state == OPEN, OutsideService.changed_at >= now - REPORT_WINDOW)
        .order_by(OutsideService.name)))


def reset() -> None:
    """Forget every breaker (tests: each starts with closed circuits)."""
    with _lock:
        _breakers.clear()
