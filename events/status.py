"""How far behind is the pipeline? Undelivered events per consumer, outbox backlog, consumer lag, DLQ
sizes — for the CLI and /admin/events.

"Undelivered" comes from our own tables (``events.delivery``: sent outbox rows with no inbox row for a
consumer that handles them, after a grace period), so it stays true when a broker lost what it held and
Kafka's lag reads 0.

The outbox part only needs the database, so it is always shown; the broker part is best effort and
reports ``reachable: False`` (never raises) when Kafka is away — that is exactly when an operator looks.

Caveat for the embedded broker: Tansu answers ListOffsets(latest) with the base offset + 1 of the last
record batch, so a partition's end (and lag) can be under-stated there; Apache Kafka is exact.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from events.catalogue import TOPICS, dlq_topic
from events.delivery import Subscriptions, undelivered
from events.kafka import consumer_of_group, incarnation_group
from events.models import OutboxEvent
from marketplace.db import utcnow

log = logging.getLogger(__name__)


def outbox_backlog(session: Session) -> dict[str, Any]:
    """Unsent rows, the age of the oldest, and the rows that failed at least once."""
    unsent = OutboxEvent.sent_at.is_(None)
    count, oldest, failing = session.execute(
        select(func.count(OutboxEvent.id), func.min(OutboxEvent.occurred_at), func.count(OutboxEvent.last_error))
        .where(unsent)
    ).one()
    last_error = session.execute(
        select(OutboxEvent.last_error).where(unsent, OutboxEvent.last_error.is_not(None))
        .order_by(OutboxEvent.id).limit(1)
    ).scalar()
    if oldest is not None and oldest.tzinfo is None:  # func.min bypasses the UTC column type on SQLite
        from datetime import datetime, timezone

        oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=timezone.utc)
    return {
        "unsent": int(count),
        "oldest_unsent_at": oldest.isoformat() if oldest else None,
        "oldest_unsent_age_seconds": round((utcnow() - oldest).total_seconds(), 1) if oldest else None,
        "failing": int(failing),
        "last_error": last_error,
    }


def broker_status(
    bootstrap: str, timeout: float = 3.0, consumers: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, Any]:
    """Consumer lag per group and partition, and message counts of the ``.dlq`` topics.

    ``consumers`` (consumer → the topics it reads, from the subscriptions the caller hands in) are always
    listed, even before their group committed anything: a worker that never started or never committed
    is the lag an operator most needs to see, and Kafka alone knows nothing of it.
    """
    if not bootstrap:
        return {"reachable": False, "error": "KAFKA_BOOTSTRAP_SERVERS is not set", "groups": [], "dlq": []}
    from kafka.errors import KafkaError

    from events.kafka import broker_reachable, make_admin

    if not broker_reachable(bootstrap, timeout):
        return {"reachable": False, "error": f"no broker answered at {bootstrap}", "groups": [], "dlq": []}
    try:
        admin = make_admin(bootstrap, timeout)
    except (KafkaError, OSError) as exc:
        return {"reachable": False, "error": f"{type(exc).__name__}: {exc}", "groups": [], "dlq": []}
    try:
        return {
            "reachable": True, "error": None, "groups": _groups(admin, consumers or {}), "dlq": _dlq_counts(admin),
        }
    except (KafkaError, OSError) as exc:
        log.warning("broker status failed: %r", exc)
        return {"reachable": False, "error": f"{type(exc).__name__}: {exc}", "groups": [], "dlq": []}
    finally:
        admin.close()


def _offsets(admin: Any, partitions: list[Any], spec: Any) -> dict[Any, int]:
    if not partitions:
        return {}
    return {tp: int(o.offset) for tp, o in admin.list_partition_offsets({tp: spec for tp in partitions}).items()}


NO_OFFSETS = "no offsets committed yet"


def group_for(consumer: str, group_ids: Iterable[str], current: str | None = None) -> str | None:
    """The group a catalogue consumer reads as: ``current`` (the incarnation group its members join
    after the broker re-created its topics, ``events.kafka.incarnation_group``) when it exists, else
    the newest numbered ``<consumer>.r<N>``, else its own name; ``None`` if it has no group yet."""
    ids = list(group_ids)
    if current is not None and current in ids:
        return current
    numbered = re.compile(re.escape(consumer) + r"\.r(\d+)")
    best: tuple[int, str] | None = None
    for group in ids:
        match = numbered.fullmatch(group)
        rank = int(match.group(1)) if match else (0 if group == consumer else None)
        if rank is not None and (best is None or rank >= best[0]):
            best = (rank, group)
    if best is not None:
        return best[1]
    return next((g for g in ids if consumer_of_group(g) == (consumer, True)), None)


def _belongs(consumer: str, group: str) -> bool:
    """Whether ``group`` is one of ``consumer``'s groups, current or from an earlier broker life."""
    return consumer_of_group(group)[0] == consumer or group_for(consumer, [group]) == group


def _layout_of(admin: Any, topics: Iterable[str]) -> tuple[list[Any], dict[str, str]]:
    """The partitions of those of ``topics`` that exist, and their topic ids."""
    from kafka import TopicPartition

    existing = set(admin.list_topics())
    wanted = sorted(t for t in set(topics) if t in existing)  # a topic the relay has not created yet has no lag
    if not wanted:
        return [], {}
    described = admin.describe_topics(wanted)
    partitions = [TopicPartition(d["name"], p["partition_index"]) for d in described for p in d["partitions"]]
    return partitions, {d["name"]: str(d.get("topic_id")) for d in described}


def _groups(admin: Any, consumers: Mapping[str, Iterable[str]]) -> list[dict[str, Any]]:
    from kafka.admin import OffsetSpec

    group_ids = sorted(g["group_id"] for g in admin.list_groups())
    committed = admin.list_group_offsets({g: None for g in group_ids}) if group_ids else {}
    # Each catalogue consumer, under its current group; then any other group (tools, tests, old ids).
    rows: list[tuple[str | None, str, list[Any]]] = []
    claimed: set[str] = set()
    expected, topic_ids = _layout_of(admin, {t for topics in consumers.values() for t in topics})
    for consumer, topics in sorted(consumers.items()):
        current = incarnation_group(consumer, {t: topic_ids[t] for t in topics if t in topic_ids})
        group = group_for(consumer, group_ids, current)
        wanted = set(topics)
        tps = {tp for tp in expected if tp.topic in wanted} | set(committed.get(group, {}) if group else ())
        rows.append((consumer, group or consumer, sorted(tps)))
        claimed.update(g for g in group_ids if _belongs(consumer, g))  # older ids of it are history
    rows += [(None, g, sorted(committed.get(g, {}))) for g in group_ids if g not in claimed]
    ends = _offsets(admin, sorted({tp for _, _, tps in rows for tp in tps}), OffsetSpec.LATEST)
    out = []
    for consumer, group, tps in rows:
        offsets = committed.get(group, {})
        partitions = []
        for tp in tps:
            meta = offsets.get(tp)
            position = meta.offset if meta is not None and meta.offset >= 0 else None
            end = ends.get(tp)
            if end is not None and position is not None and position > end:
                end = position  # Tansu under-reports the end of multi-record batches; never show < committed
            partitions.append({
                "topic": tp.topic, "partition": tp.partition, "committed": position, "end": end,
                "lag": None if end is None else max(0, end - (position or 0)),
                "note": None if position is not None else NO_OFFSETS,
            })
        out.append({
            "group": group, "consumer": consumer, "partitions": partitions,
            "lag": sum(p["lag"] or 0 for p in partitions),
            "note": None if any(p["committed"] is not None for p in partitions) else NO_OFFSETS,
        })
    return out


def _dlq_counts(admin: Any) -> list[dict[str, Any]]:
    from kafka import TopicPartition
    from kafka.admin import OffsetSpec

    existing = set(admin.list_topics())
    dlqs = [dlq_topic(t) for t in TOPICS if dlq_topic(t) in existing]
    if not dlqs:
        return []
    partitions = [
        TopicPartition(d["name"], p["partition_index"]) for d in admin.describe_topics(dlqs) for p in d["partitions"]
    ]
    ends = _offsets(admin, partitions, OffsetSpec.LATEST)
    starts = _offsets(admin, partitions, OffsetSpec.EARLIEST)
    return [
        {"topic": d, "messages": sum(ends[tp] - starts.get(tp, 0) for tp in partitions if tp.topic == d)}
        for d in dlqs
    ]


def collect_status(
    session: Session, bootstrap: str, timeout: float = 3.0, *,
    subscriptions: Subscriptions | None = None, grace_seconds: float = 60.0,
) -> dict[str, Any]:
    """Everything an operator needs to know about the event pipeline, as plain JSON-able data."""
    return {
        "undelivered": undelivered(session, subscriptions or {}, grace_seconds),
        "grace_seconds": grace_seconds,
        "outbox": outbox_backlog(session),
        "broker": broker_status(bootstrap, timeout, {c: list(t) for c, t in (subscriptions or {}).items()}),
    }
