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
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from events.catalogue import TOPICS, dlq_topic
from events.delivery import Subscriptions, undelivered
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


def broker_status(bootstrap: str, timeout: float = 3.0) -> dict[str, Any]:
    """Consumer lag per group and partition, and message counts of the ``.dlq`` topics."""
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
        return {"reachable": True, "error": None, "groups": _groups(admin), "dlq": _dlq_counts(admin)}
    except (KafkaError, OSError) as exc:
        log.warning("broker status failed: %r", exc)
        return {"reachable": False, "error": f"{type(exc).__name__}: {exc}", "groups": [], "dlq": []}
    finally:
        admin.close()


def _offsets(admin: Any, partitions: list[Any], spec: Any) -> dict[Any, int]:
    if not partitions:
        return {}
    return {tp: int(o.offset) for tp, o in admin.list_partition_offsets({tp: spec for tp in partitions}).items()}


def _groups(admin: Any) -> list[dict[str, Any]]:
    from kafka.admin import OffsetSpec

    group_ids = sorted(g["group_id"] for g in admin.list_groups())
    if not group_ids:
        return []
    committed = admin.list_group_offsets({g: None for g in group_ids})
    all_tps = sorted({tp for offsets in committed.values() for tp in offsets})
    ends = _offsets(admin, all_tps, OffsetSpec.LATEST)
    from events.kafka import consumer_of_group

    out: dict[str, dict[str, Any]] = {}
    # A consumer that re-joined after its topics were re-created is in an incarnation group: reported
    # under the consumer's name, and in place of the old-named group (whose offsets are stale) if both.
    for group in sorted(group_ids, key=lambda g: consumer_of_group(g)[1]):
        partitions = []
        for tp, meta in sorted(committed.get(group, {}).items()):
            end = ends.get(tp)
            if end is not None and meta.offset > end:
                end = meta.offset  # Tansu under-reports the end of multi-record batches; never show < committed
            partitions.append({
                "topic": tp.topic, "partition": tp.partition, "committed": meta.offset, "end": end,
                "lag": max(0, end - meta.offset) if end is not None and meta.offset >= 0 else None,
            })
        consumer, _ = consumer_of_group(group)
        out[consumer] = {
            "group": consumer, "group_id": group, "partitions": partitions,
            "lag": sum(p["lag"] or 0 for p in partitions),
        }
    return [out[name] for name in sorted(out)]


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
        "broker": broker_status(bootstrap, timeout),
    }
