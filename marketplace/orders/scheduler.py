"""``marketplace scheduler``: the time-driven steps of an order, in one loop that several copies can run.

Four jobs (each also a function the tests call directly): unpaid orders expire after
``ORDER_PAYMENT_TTL_MINUTES`` and are cancelled with their stock returned; shipped parcels are
confirmed delivered after ``AUTO_CONFIRM_DAYS``; payouts past their hold are released (and released
payouts whose retry time came are sent again) for the payouts worker (``marketplace.payouts.services``);
sessions and API tokens that ended a month ago are deleted (``marketplace.accounts.housekeeping``). Each item is its own transaction; the transition
locks the order and re-checks its state, so two copies that pick the same item do it once (the
second finds nothing to do) and a buyer paying at the last second wins or loses cleanly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from sqlalchemy.orm import Session

from marketplace.config import Settings
from marketplace.db import transaction, utcnow
from marketplace.errors import Conflict
from marketplace.orders import fulfilment

log = logging.getLogger(__name__)


@dataclass
class Tick:
    expired: int = 0
    confirmed: int = 0
    payouts: int = 0
    purged: int = field(default=0, compare=False)  # housekeeping, not an order's step


def expire_unpaid_orders(factory: Callable[[], Session], now: datetime) -> int:
    """Cancel every unpaid order past its deadline; how many were cancelled now."""
    with factory() as session:
        due = fulfilment.due_unpaid_orders(session, now)
    done = 0
    for order_id in due:
        with transaction(factory) as session:
            done += fulfilment.expire_unpaid(session, order_id, now=now)
    return done


def confirm_old_deliveries(factory: Callable[[], Session], now: datetime, after: timedelta) -> int:
    """Confirm every parcel shipped more than ``after`` ago; how many were confirmed now."""
    with factory() as session:
        due = fulfilment.due_deliveries(session, now, after)
    done = 0
    for seller_order_id in due:
        try:
            with transaction(factory) as session:
                done += fulfilment.auto_confirm(session, seller_order_id, now=now, after=after)
        except Conflict:  # the buyer confirmed it meanwhile, or another copy did
            continue
    return done


def release_due_payouts(factory: Callable[[], Session], now: datetime) -> int:
    """Release every payout past its hold, and send again those whose retry time came; how many."""
    from marketplace.payouts import services as payouts

    with factory() as session:
        due, resends = payouts.due_releases(session, now), payouts.due_resends(session, now)
    done = 0
    for payout_id in due:
        with transaction(factory) as session:
            done += payouts.release_payout(session, payout_id, now=now) != "scheduled"
    for payout_id in resends:
        with transaction(factory) as session:
            done += payouts.resend(session, payout_id, now=now)
    return done


def tick(factory: Callable[[], Session], settings: Settings, now: datetime | None = None) -> Tick:
    now = now or utcnow()
    return Tick(
        expired=expire_unpaid_orders(factory, now),
        confirmed=confirm_old_deliveries(factory, now, timedelta(days=settings.auto_confirm_days)),
        payouts=release_due_payouts(factory, now),
        purged=purge_ended_logins(factory, settings, now),
    )


def purge_ended_logins(factory: Callable[[], Session], settings: Settings, now: datetime) -> int:
    from marketplace.accounts import housekeeping

    return housekeeping.purge_ended(factory, now, idle=timedelta(hours=settings.session_idle_hours),
                                    lifetime=timedelta(days=settings.session_max_days))


def run(factory: Callable[[], Session], settings: Settings, stop: threading.Event, interval: float) -> None:
    from sqlalchemy.exc import OperationalError

    while not stop.is_set():
        try:
            done = tick(factory, settings)
            if done.expired or done.confirmed or done.payouts or done.purged:
                log.info("expired %d unpaid orders, confirmed %d deliveries, released %d payouts, purged %d ended logins",
                         done.expired, done.confirmed, done.payouts, done.purged)
        except OperationalError as exc:  # database away: try again next round
            log.warning("scheduler round failed: %s", exc)
        stop.wait(interval)


def register(main: click.Group) -> None:
    @main.command("scheduler")
    @click.option("--interval", default=30.0, show_default=True, type=click.FloatRange(0.1, 3600),
                  help="Seconds between rounds.")
    def scheduler(interval: float) -> None:
        """Expire unpaid orders, confirm old deliveries, release due payouts and purge ended logins, every INTERVAL seconds."""
        from events.cli import configure_logging, stop_on_signals
        from marketplace.catalog.changes import CatalogChanges
        from marketplace.db import Database

        settings = Settings.from_env()
        configure_logging()
        stop = stop_on_signals()
        with Database(settings.database_url, writer=True, hooks=[CatalogChanges()]) as database:
            assert database.session_factory is not None
            log.info("scheduler running every %.1fs", interval)
            run(database.session_factory, settings, stop, interval)
