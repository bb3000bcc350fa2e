"""``marketplace scheduler``: the time-driven steps of an order, in one loop that several copies can run.

Four jobs (each also a function the tests call directly): unpaid orders expire after
``ORDER_PAYMENT_TTL_MINUTES`` and are cancelled with their stock returned; shipped parcels are
confirmed delivered after ``AUTO_CONFIRM_DAYS``; payouts past their hold are released (and released
payouts whose retry time came are sent again) for the payouts worker
(:func:`marketplace.payouts.release.release_due_payouts`); sessions and API tokens that ended a month
ago are deleted (``marketplace.accounts.housekeeping``); programme events starting within a day get their
reminders queued (``marketplace.programme.triggers.queue_reminders``).

Each item is its own transaction; the transition locks the order and re-checks its state, so two copies
that pick the same item do it once (the second finds nothing to do) and a buyer paying at the last
second wins or loses cleanly. **One bad item never stops the others** (``marketplace.per_item``): an
item that raises is logged with its id, counted in the round's ``failed`` and, still due, tried again
next round. Only a database that cannot even list the due items ends a round early.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from marketplace.accounts import housekeeping
from marketplace.config import Settings
from marketplace.db import utcnow
from marketplace.errors import Conflict
from marketplace.follows import services as follows
from marketplace.orders.fulfilment import services as fulfilment
from marketplace.payouts.release import release_due_payouts
from marketplace.per_item import each_in_own_transaction
from marketplace.programme import triggers as programme_reminders

log = logging.getLogger(__name__)


@dataclass
class Tick:
    expired: int = 0
    confirmed: int = 0
    payouts: int = 0
    purged: int = field(default=0, compare=False)  # housekeeping, not an order's step
    reminded: int = field(default=0, compare=False)  # programme events whose day-before reminders went out
    digests: int = field(default=0, compare=False)  # followers' daily e-mail (marketplace.follows), not an order's
    failed: int = 0  # items that raised (each logged with its id), tried again next round


def expire_unpaid_orders(factory: Callable[[], Session], now: datetime, *,
                         failures: Counter[str] | None = None) -> int:
    """Cancel every unpaid order past its deadline; how many were cancelled now."""
    with factory() as session:
        due = fulfilment.due_unpaid_orders(session, now)
    return each_in_own_transaction(
        factory, due, lambda session, order_id: fulfilment.expire_unpaid(session, order_id, now=now),
        job="expire unpaid order", failures=failures)


def confirm_old_deliveries(factory: Callable[[], Session], now: datetime, after: timedelta, *,
                           failures: Counter[str] | None = None) -> int:
    """Confirm every parcel shipped more than ``after`` ago; how many were confirmed now. A ``Conflict``
    (the buyer confirmed it meanwhile, or another copy did) is not a failure."""
    with factory() as session:
        due = fulfilment.due_deliveries(session, now, after)
    return each_in_own_transaction(
        factory, due, lambda session, part_id: fulfilment.auto_confirm(session, part_id, now=now, after=after),
        job="confirm delivery", expected=(Conflict,), failures=failures)


def tick(factory: Callable[[], Session], settings: Settings, now: datetime | None = None) -> Tick:
    now = now or utcnow()
    failures: Counter[str] = Counter()
    return Tick(
        expired=expire_unpaid_orders(factory, now, failures=failures),
        confirmed=confirm_old_deliveries(factory, now, timedelta(days=settings.auto_confirm_days),
                                         failures=failures),
        payouts=release_due_payouts(factory, now, failures=failures),
        purged=purge_ended_logins(factory, settings, now),
        reminded=programme_reminders.queue_reminders(factory, settings, now, failures=failures),
        digests=follows.send_digests(factory, settings, now, failures=failures),
        failed=failures.total(),
    )


def purge_ended_logins(factory: Callable[[], Session], settings: Settings, now: datetime) -> int:
    return housekeeping.purge_ended(factory, now, idle=timedelta(hours=settings.session_idle_hours),
                                    lifetime=timedelta(days=settings.session_max_days))


def run(factory: Callable[[], Session], settings: Settings, stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        try:
            done = tick(factory, settings)
            if done.expired or done.confirmed or done.payouts or done.purged or done.reminded or done.failed:
                log.info("expired %d unpaid orders, confirmed %d deliveries, released %d payouts, purged %d ended "
                         "logins, reminded %d programme events; %d items failed (tried again next round)",
                         done.expired, done.confirmed, done.payouts, done.purged, done.reminded, done.failed)
        except OperationalError as exc:  # database away: try again next round
            log.warning("scheduler round failed: %s", exc)
        except Exception:  # a job that failed as a whole (not one item): the loop lives on, next round
            log.exception("scheduler round failed")
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
