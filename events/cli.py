"""``marketplace relay`` and ``marketplace events replay|status``: the event pipeline from a shell."""

from __future__ import annotations

import json
import logging
import signal
import threading
from datetime import datetime, timezone
from typing import Any

import click

from marketplace.config import Settings


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)


def require_bootstrap(settings: Settings) -> str:
    """The broker address, or a clear error: these commands are pointless without one.

    ``Settings.effective_bootstrap``: beside a ``marketplace run`` (same ``VAR_DIR``) its embedded broker.
    """
    bootstrap = settings.effective_bootstrap()
    if not bootstrap:
        raise click.ClickException(
            "KAFKA_BOOTSTRAP_SERVERS is not set (e.g. KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092) and no "
            f"`marketplace run` is running with VAR_DIR={settings.var_dir}."
        )
    return bootstrap


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, so a loop can finish its current step and exit cleanly."""
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        logging.getLogger(__name__).info("signal %d received: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return stop


@click.command("relay")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--poll-interval", default=5.0, show_default=True, type=float,
              help="Seconds between fallback polls: commits wake the relay at once "
                   "(PostgreSQL LISTEN/NOTIFY, SQLite's data_version).")
def relay(batch_size: int, poll_interval: float) -> None:
    """Publish committed outbox events to Kafka, in order, until stopped (SIGTERM/Ctrl-C)."""
    from events.catalogue import TOPICS
    from events.kafka import relay_producer_factory
    from events.recovery import BrokerWatch
    from events.relay import Relay
    from marketplace.catalog.changes import CatalogChanges
    from marketplace.db import Database
    from workers.registry import subscriptions

    settings = Settings.from_env()
    bootstrap = require_bootstrap(settings)
    configure_logging()
    stop = stop_on_signals()
    with Database(settings.database_url, writer=True, hooks=[CatalogChanges()]) as database:
        assert database.session_factory is not None
        watch = BrokerWatch(bootstrap, list(TOPICS), database.session_factory, subscriptions())
        Relay(
            database.session_factory, relay_producer_factory(bootstrap), batch_size, poll_interval, watch=watch,
        ).run_forever(stop)


@click.group("events")
def events_group() -> None:
    """The event log: replay from the outbox, pipeline status."""


def _parse_since(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO-8601 time: {value!r}") from exc
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@events_group.command("replay")
@click.option("--since", "since", default=None, help="ISO-8601 time (UTC unless an offset is given).")
@click.option("--type", "event_type", default=None, help="Only this event type, e.g. listing.approved.")
@click.option("--undelivered", is_flag=True,
              help="Exactly the events some consumer has not processed (see `events status`).")
def replay(since: str | None, event_type: str | None, undelivered: bool) -> None:
    """Re-publish events recorded since a time, or the undelivered ones; consumers skip duplicates."""
    from events.catalogue import UnknownEventType
    from events.delivery import mark_undelivered_for_replay
    from events.outbox import mark_for_replay
    from marketplace.db import Database

    if undelivered == (since is not None) or (undelivered and event_type):
        raise click.UsageError("give either --since (optionally with --type) or --undelivered")
    settings = Settings.from_env()
    with Database(settings.database_url) as database, database.new_session() as session:
        if undelivered:
            from workers.registry import subscriptions

            count = mark_undelivered_for_replay(
                session, subscriptions(), grace_seconds=settings.events_undelivered_grace_seconds
            )
        else:
            try:
                count = mark_for_replay(session, _parse_since(since or ""), event_type)
            except UnknownEventType as exc:
                raise click.BadParameter(str(exc), param_hint="--type") from exc
        session.commit()
    click.echo(f"{count} events queued for re-publishing (the relay sends them)")


@events_group.command("create-topics")
@click.option("--timeout", default=30.0, show_default=True, type=float, help="Seconds to wait for the broker.")
def create_topics(timeout: float) -> None:
    """Create the catalogue's topics (and their .dlq) with their partition counts, if missing."""
    import time

    from kafka.errors import KafkaError

    from events.catalogue import TOPICS
    from events.kafka import ensure_topics

    bootstrap = require_bootstrap(Settings.from_env())
    deadline = time.monotonic() + timeout
    while True:
        try:
            created = ensure_topics(bootstrap, list(TOPICS))
            break
        except (KafkaError, OSError) as exc:
            if time.monotonic() > deadline:
                raise click.ClickException(f"could not create the topics at {bootstrap}: {exc!r}") from exc
            time.sleep(1)
    click.echo(f"created {', '.join(created)}" if created else "all topics exist")


@events_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """Undelivered events per consumer (from our tables), outbox backlog, Kafka lag, dead letters."""
    from events.status import collect_status
    from marketplace.db import Database

    from workers.registry import subscriptions

    settings = Settings.from_env()
    with Database(settings.database_url) as database, database.new_session() as session:
        data = collect_status(
            session, settings.effective_bootstrap(),
            subscriptions=subscriptions(), grace_seconds=settings.events_undelivered_grace_seconds,
        )
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for consumer in data["undelivered"]:
        click.echo(f"consumer {consumer['consumer']}: {consumer['undelivered']} undelivered", nl=False)
        if consumer["oldest_occurred_at"]:
            click.echo(f" (oldest from {consumer['oldest_occurred_at']})", nl=False)
        click.echo("")
    out = data["outbox"]
    click.echo(f"outbox: {out['unsent']} unsent", nl=False)
    if out["oldest_unsent_age_seconds"] is not None:
        click.echo(f", oldest {out['oldest_unsent_age_seconds']:.0f}s old", nl=False)
    click.echo(f", {out['failing']} failing" + (f" (last error: {out['last_error']})" if out["last_error"] else ""))
    broker = data["broker"]
    if not broker["reachable"]:
        click.echo(f"broker: unreachable ({broker['error']})")
        return
    for group in broker["groups"]:
        click.echo(f"group {group['group']}: lag {group['lag']}" + (f" ({group['note']})" if group["note"] else ""))
        for p in group["partitions"]:
            committed = "-" if p["committed"] is None else p["committed"]
            click.echo(f"  {p['topic']}[{p['partition']}] committed {committed} end {p['end']} lag {p['lag']}")
    if not broker["groups"]:
        click.echo("no consumer groups yet")
    for dlq in broker["dlq"]:
        click.echo(f"dlq {dlq['topic']}: {dlq['messages']} messages")


def register(main: click.Group) -> None:
    main.add_command(relay)
    main.add_command(events_group)
