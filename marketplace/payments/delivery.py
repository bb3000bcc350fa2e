"""The sandbox gateway's webhooks, delivered as Stripe delivers them: later, by HTTP POST to our own
``/webhooks/stripe``, signed at send time, retried with backoff until a 2xx.

So the sandbox exercises the endpoint itself (signature check, event-id dedupe in
``processed_webhooks``, out-of-order outcomes), not a function behind it, and a payment's outcome
arrives asynchronously on both gateways: the buyer's page and API clients wait for it the same way.

1. **Queued** (:func:`queue_event`) in the caller's transaction: ``sandbox_pay`` in the request,
   ``refunds.send_refund`` in the payments worker's handler. A rolled-back request queues nothing.
2. **Claimed** (:func:`deliver_due`, through the leased queue of ``marketplace.queue``), one row per
   short transaction: the due row is *leased* (its ``next_attempt_at`` pushed ``LEASE`` ahead,
   ``attempts`` + 1) and committed before the POST, so no transaction is open while the web app
   handles the webhook. That matters on SQLite, where the worker's write transaction would hold the
   one write lock the webhook needs (a deadlock until ``busy_timeout``). A sender that dies mid-POST
   loses its lease and the row is sent again: at-least-once, like Stripe, and the endpoint's
   ``processed_webhooks`` makes the second copy a no-op.
3. **Sent**: the stored JSON bytes, signed with the sandbox webhook secret exactly as Stripe signs
   (``Stripe-Signature: t=<now>,v1=HMAC-SHA256``) at the wall clock's time, so a retry an hour later
   still falls inside the endpoint's 300 s tolerance.
4. **Recorded**: a 2xx marks it delivered; a refused connection, a timeout or any other status keeps
   ``last_error`` and schedules the next try (``RETRY``: 1, 2, 4 … 60 s), up to
   ``MAX_ATTEMPTS``, then it is given up (logged; the order then expires as an unpaid one would).

The loop (:class:`DeliveryLoop`) runs as a thread of the payments worker (``workers/payments``), the
sandbox gateway's home. **Woken on commit** on PostgreSQL: :func:`queue_event` sends ``NOTIFY
sandbox_webhooks`` in the queuing transaction (PostgreSQL delivers it when, and only if, that commits)
and the loop ``LISTEN``s on a connection of its own (:class:`CommitWaker`), so a paid order is sent
within milliseconds instead of after up to a poll interval; the 0.5 s poll stays as the fallback (a
lost listening connection, retries that fall due, SQLite, where the loop simply polls). A
notification only says "look now"; its payload names the schema written, so a loop is not woken by
another schema's (another deployment's) queuing, and a duplicate costs one empty claim.
The loop's its secret is the web app's because both derive it from the same settings
(``STRIPE_WEBHOOK_SECRET``, else ``SECRET_KEY``, which ``marketplace run`` persists for every child).
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from events.backoff import Backoff, poll_until_stopped
from events.wakeup import PostgresListener
from marketplace.db import is_sqlite, utcnow
from marketplace.payments.gateways import SandboxGateway
from marketplace.payments.models import SandboxWebhookDelivery
from marketplace.queue import Failed, LeasedQueue, Retry, RetryPolicy, Sent

log = logging.getLogger(__name__)

#: How long a claimed row stays the claimer's (longer than an HTTP attempt can take).
LEASE = timedelta(seconds=60)
HTTP_TIMEOUT_SECONDS = 10.0
#: Retry delays after 1, 2, 3 … failures: 1, 2, 4 … seconds, never more than a minute.
RETRY = Backoff(initial=1.0, maximum=60.0)
#: Then the sandbox gives up (about 40 minutes of trying, inside the order's hour to pay).
MAX_ATTEMPTS = 45

#: Our endpoints a sandbox delivery goes to: Stripe-format events, Xendit-format callbacks.
STRIPE, XENDIT = "stripe", "xendit"


def xendit_url(stripe_url: str) -> str:
    """``…/webhooks/xendit/payments`` beside the configured ``…/webhooks/stripe``."""
    base = stripe_url.rsplit("/webhooks/stripe", 1)[0] if "/webhooks/stripe" in stripe_url else stripe_url.rstrip("/")
    return base + "/webhooks/xendit/payments"


#: The channel :func:`queue_event` notifies and :class:`CommitWaker` listens on (PostgreSQL).
CHANNEL = "sandbox_webhooks"

#: ``http_post(url, body, headers)`` → ``(status, response text)``; raises ``OSError`` (refused, reset,
#: timed out) when there was no answer.
HttpPost = Callable[[str, bytes, Mapping[str, str]], tuple[int, str]]
SessionFactory = Callable[[], Session]


def queue_event(session: Session, event: dict[str, Any], *, order_id: int, now: datetime,
                endpoint: str = STRIPE) -> SandboxWebhookDelivery:
    """Owe ``/webhooks/stripe`` (or, for a Xendit-format callback, ``/webhooks/xendit/payments``) this
    event (committed, or not, with the caller's transaction)."""
    if endpoint == XENDIT:
        event_id, event_type = "xendit:" + str(event["data"]["payment_id"]), str(event["event"])
    else:
        event_id, event_type = str(event["id"]), str(event["type"])
    delivery = SandboxWebhookDelivery(
        event_id=event_id, event_type=event_type, order_id=order_id, endpoint=endpoint,
        payload=json.dumps(event, separators=(",", ":")), created_at=now, attempts=0, next_attempt_at=now,
    )
    session.add(delivery)
    session.flush()
    if not is_sqlite(session):  # wakes the delivery loop when (and only if) this transaction commits
        session.execute(text("SELECT pg_notify(:channel, current_schema())"), {"channel": CHANNEL})
    return delivery


def in_flight(session: Session, order_id: int, event_types: tuple[str, ...]) -> bool:
    """Whether an event of these types about the order is still on its way (not delivered, not given up)."""
    stmt = select(SandboxWebhookDelivery.id).where(
        SandboxWebhookDelivery.order_id == order_id, SandboxWebhookDelivery.event_type.in_(event_types),
        SandboxWebhookDelivery.next_attempt_at.is_not(None),
    ).limit(1)
    return session.scalar(stmt) is not None


# --- sending -------------------------------------------------------------------------------------------


def queue() -> LeasedQueue[tuple[bytes, str], str | None]:
    """The sandbox's webhooks as a leased queue (read at call time, so tests may shorten the waits)."""
    return LeasedQueue(SandboxWebhookDelivery.next_attempt_at, SandboxWebhookDelivery.attempts, LEASE,
                       RetryPolicy(MAX_ATTEMPTS, RETRY))


def deliver_due(
    session_factory: SessionFactory, http_post: HttpPost, now: datetime, *,
    gateway: SandboxGateway, url: str, limit: int = 100, stop: threading.Event | None = None,
) -> int:
    """POST every delivery due at ``now`` (up to ``limit``) to ``url``; returns how many were delivered.

    ``session_factory`` should give the writer's sessions (on SQLite they take the lock up front).
    ``now`` decides what is due and when a retry is; the signature carries the wall clock's time,
    because that is what the endpoint's tolerance compares it with.
    """
    webhooks = queue()
    return webhooks.work(session_factory, now, _Webhooks(webhooks, gateway, url, http_post), limit=limit, stop=stop)


@dataclass(frozen=True)
class _Webhooks:
    """The job: a row's stored JSON bytes, POSTed signed; the answer is an error text or None."""

    queue: LeasedQueue[tuple[bytes, str], str | None]
    gateway: SandboxGateway
    url: str
    http_post: HttpPost

    def where(self, now: datetime) -> tuple[()]:
        return ()

    def take(self, session: Session, row: SandboxWebhookDelivery, now: datetime) -> tuple[bytes, str]:
        self.queue.take(row, now)
        return row.payload.encode("utf-8"), row.endpoint

    def send(self, job: tuple[bytes, str], now: datetime) -> str | None:
        """One POST, signed now (Stripe) or with the callback token (Xendit); None on a 2xx, else what
        went wrong (for ``last_error``)."""
        body, endpoint = job
        if endpoint == XENDIT:
            url, headers = xendit_url(self.url), self.gateway.sign_callback()
        else:
            url, headers = self.url, self.gateway.sign(body, int(time.time()))
        try:
            status, text = self.http_post(url, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            return f"{type(exc).__name__}: {exc}"
        if 200 <= status < 300:
            return None
        return f"HTTP {status}: {text.strip()[:400]}"

    def record(self, session: Session, delivery: SandboxWebhookDelivery, body: tuple[bytes, str], error: str | None,
               now: datetime) -> bool:
        outcome = self.queue.settle(delivery, Sent() if error is None else Retry(error), now)
        if isinstance(outcome, Sent):
            delivery.delivered_at, delivery.last_error = now, None
            log.info("sandbox webhook %s (%s) delivered", delivery.event_id, delivery.event_type)
            return True
        delivery.last_error = (error or "")[:500]
        if isinstance(outcome, Failed):
            log.error("sandbox webhook %s (%s) given up after %d attempts: %s",
                      delivery.event_id, delivery.event_type, delivery.attempts, error)
        else:
            log.warning("sandbox webhook %s (%s) attempt %d failed (%s); next in %.0fs",
                        delivery.event_id, delivery.event_type, delivery.attempts, error, outcome.after)
        return False


def post_over_http(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
    """The real poster (stdlib only: the worker loads no web framework). Never through a proxy: the
    endpoint is our own server."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with opener.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            return response.status, response.read(2000).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:  # a status outside 2xx/3xx: an answer, not a failure to connect
        with exc:
            return exc.code, exc.read(2000).decode("utf-8", "replace")


# --- the loop ------------------------------------------------------------------------------------------


class CommitWaker:
    """A stand-in for the loop's stop event whose ``wait(timeout)`` also returns as soon as a
    transaction that queued a delivery in our schema commits (PostgreSQL ``LISTEN``, through
    :class:`events.wakeup.PostgresListener`), so :func:`events.backoff.poll_until_stopped` polls at
    once instead of at the next interval. While the listener is down it waits on ``stop`` alone (a
    plain poll); the listener listens again after its backoff."""

    def __init__(self, engine: Engine, stop: threading.Event, channel: str = CHANNEL):
        self.stop = stop
        self.listener = PostgresListener(engine, channel, what="sandbox webhooks")

    def is_set(self) -> bool:
        return self.stop.is_set()

    def listen(self) -> bool:
        """Listen now (unless backing off after a failure); whether it listens."""
        return self.listener.listen()

    def wait(self, timeout: float) -> bool:
        """Until a notification, ``stop`` or ``timeout``; returns whether ``stop`` is set."""
        self.listener.wait(timeout, self.stop)
        return self.stop.is_set()

    def close(self) -> None:
        self.listener.close()


class DeliveryLoop:
    """``loop(session_factory, stop)``: deliver due rows every ``poll_interval`` until ``stop`` is set,
    and at once when a delivery is queued (PostgreSQL: :class:`CommitWaker`)."""

    name = "sandbox-webhooks"

    def __init__(self, gateway: SandboxGateway, url: str, http_post: HttpPost = post_over_http, *,
                 poll_interval: float = 0.5, clock: Callable[[], datetime] = utcnow):
        self.gateway = gateway
        self.url = url
        self.http_post = http_post
        self.poll_interval = poll_interval
        self.clock = clock
        #: Set once the loop listens (PostgreSQL) or is about to poll (SQLite): a delivery queued from
        #: then on wakes it.
        self.ready = threading.Event()

    def __call__(self, session_factory: SessionFactory, stop: threading.Event) -> None:
        log.info("sandbox gateway: delivering webhooks to %s", self.url)
        with session_factory() as probe:
            engine = probe.get_bind()
        waker = None if engine.dialect.name == "sqlite" else CommitWaker(engine, stop)  # type: ignore[arg-type]
        if waker is not None:
            waker.listen()  # before the first claim: a commit between the two still wakes the wait
        self.ready.set()
        try:
            poll_until_stopped(
                lambda: deliver_due(session_factory, self.http_post, self.clock(), gateway=self.gateway, url=self.url,
                                    stop=stop),
                waker or stop, interval=self.poll_interval, what="sandbox webhook delivery", log=log)  # type: ignore[arg-type]
        finally:
            if waker is not None:
                waker.close()
        log.info("sandbox gateway: webhook delivery stopped")
