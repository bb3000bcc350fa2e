"""Kafka clients, built by factories when a process needs them (never at import time).

One place decides the delivery settings so the relay, the workers' DLQ producer and the tools agree:

- producers wait for every in-sync replica (``acks="all"``), retry, and keep at most one request in
  flight with idempotence on, so a retry can neither duplicate nor reorder within a partition;
- consumers never auto-commit: the runner commits an offset only after the handler's transaction;
- topics are created explicitly with their ``.dlq`` twin and the catalogue's partition counts
  (``events.catalogue.partitions_for``), never by a broker's auto-creation;
- no client ever names a topic in a Metadata request. Tansu (the embedded broker) ignores
  ``allow_auto_topic_creation=False`` and creates any topic a Metadata request names, with its own
  default of 4 partitions: after a restart, the first client to reconnect would re-create ``listings``
  with 4 partitions instead of 3. So producers and consumers ask for the metadata of all topics
  (which names none). Apache
  Kafka has auto-creation switched off in docker-compose.yml as well.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from events.catalogue import DEFAULT_PARTITIONS, dlq_topic, partitions_for  # noqa: F401 - re-exported

log = logging.getLogger(__name__)

MAX_POLL_INTERVAL_MS = 60_000  # a poll's records (max_poll_records) must be handled within this


def _servers(bootstrap: str) -> list[str]:
    servers = [s.strip() for s in bootstrap.split(",") if s.strip()]
    if not servers:
        raise ValueError("KAFKA_BOOTSTRAP_SERVERS is empty")
    return servers


def _build(cls: Any, config: dict[str, Any]) -> Any:
    """Construct a kafka-python client, closing its network client if the constructor fails.

    kafka-python 3 bootstraps inside the constructors; when that fails (broker down) the exception
    leaves the half-built network client — and its I/O thread — running for ever. The relay and the
    status page retry during outages, so without this every retry would leak a thread.
    """
    from kafka.net.compat import KafkaNetClient

    created: list[Any] = []

    def tracked_client(**kwargs: Any) -> Any:
        client = KafkaNetClient(**kwargs)
        created.append(client)
        return client

    try:
        return cls(**config, kafka_client=tracked_client)
    except BaseException:
        for client in created:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - best effort on an already failed client
                log.debug("closing a half-built kafka client raised", exc_info=True)
        raise


def make_producer(bootstrap: str, **overrides: Any) -> Any:
    """A producer for at-least-once, in-order publishing; ``send(...).get()`` raises when not acked.

    ``max_block_ms`` bounds how long ``send`` waits for metadata when the broker is away, so the relay
    notices an outage in seconds rather than a minute.
    """
    from kafka import KafkaProducer

    config: dict[str, Any] = {
        "bootstrap_servers": _servers(bootstrap),
        "client_id": "pasar-kreatif",
        "acks": "all",
        "enable_idempotence": True,
        "retries": 5,
        "max_in_flight_requests_per_connection": 1,
        "linger_ms": 5,
        "retry_backoff_ms": 200,
        "request_timeout_ms": 10_000,
        "delivery_timeout_ms": 30_000,
        "max_block_ms": 10_000,
        "bootstrap_timeout_ms": 10_000,
        "reconnect_backoff_max_ms": 2_000,
        "allow_auto_create_topics": False,
    }
    config.update(overrides)
    producer = _build(KafkaProducer, config)
    _never_name_topics(producer)
    return producer


def _never_name_topics(producer: Any) -> None:
    """Make the producer's Metadata requests ask for all topics instead of naming the ones it sends to.

    kafka-python has no public switch for this (its consumer sets the same flag for pattern
    subscriptions); see the module docstring for why a named topic is a created topic on Tansu. A send
    to a missing topic then waits ``max_block_ms`` and fails, and the relay re-creates the topics.
    """
    cluster = getattr(producer, "_metadata", None)
    if cluster is not None and hasattr(cluster, "need_all_topic_metadata"):
        cluster.need_all_topic_metadata = True


def make_consumer(
    bootstrap: str,
    group_id: str,
    topics: Iterable[str] = (),
    *,
    session_timeout_ms: int = 10_000,
    listener: Any = None,
    **overrides: Any,
) -> Any:
    """A group consumer that reads from the beginning of a new group and commits only when told to.

    ``auto_offset_reset="earliest"`` also answers an offset that is out of range (a topic re-created
    empty by a restarted broker) or a group whose offsets are gone: read again from the start, which the
    inbox makes harmless. ``listener`` (a ``ConsumerRebalanceListener``) sees partitions assigned.
    """
    from kafka import KafkaConsumer

    config: dict[str, Any] = {
        "bootstrap_servers": _servers(bootstrap),
        "client_id": f"pasar-kreatif-{group_id}",
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": session_timeout_ms,
        "heartbeat_interval_ms": max(500, session_timeout_ms // 3),
        "max_poll_records": 50,
        # The broker answers a fetch when it has data or after this long. kafka-python's 500 ms default
        # showed as up to ~350 ms of extra event latency on the embedded broker; 50 ms bounds it, at the
        # price of 20 empty fetches a second per idle consumer.
        "fetch_max_wait_ms": 50,
        "request_timeout_ms": max(30_000, session_timeout_ms + 5_000),
        "bootstrap_timeout_ms": 10_000,
        "reconnect_backoff_max_ms": 2_000,
        "allow_auto_create_topics": False,
        # A topic re-created by a restarted broker is seen at the next metadata refresh: 5 s, not 5 min.
        "metadata_max_age_ms": 5_000,
        # Also the rebalance timeout: how long a (re-)join waits for members that do not answer. After
        # a broker restart every group re-joins; 5 min (the default) would stall it that long.
        "max_poll_interval_ms": MAX_POLL_INTERVAL_MS,
    }
    config.update(overrides)
    consumer = _build(KafkaConsumer, config)
    topics = list(topics)
    if topics:
        consumer.subscribe(topics, listener=listener)
        _never_name_topics_in(consumer)
    return consumer


def _never_name_topics_in(consumer: Any) -> None:
    """Make the consumer's Metadata requests ask for all topics instead of naming its subscription (the
    flag kafka-python sets for a pattern subscription; a real pattern subscription made the embedded
    broker's groups re-join for ever)."""
    cluster = getattr(consumer, "_cluster", None) or getattr(getattr(consumer, "_client", None), "cluster", None)
    if cluster is not None and hasattr(cluster, "need_all_topic_metadata"):
        cluster.need_all_topic_metadata = True


#: ``<consumer>.r<10 hex>``: the group a consumer re-joins under after its topics were re-created
_INCARNATION = re.compile(r"^(?P<consumer>.+)\.r[0-9a-f]{10}$")


def incarnation_group(group_id: str, topic_ids: dict[str, str]) -> str:
    """The group ``group_id``'s members join once the broker re-created their topics (``workers.rejoin``).

    Named after the topics' new ids, so every process of the consumer picks the same one, and a later
    restart (new ids again) a new one: no member of a previous broker's life is ever waited for in it.
    """
    import hashlib

    digest = hashlib.sha256(repr(sorted(topic_ids.items())).encode()).hexdigest()[:10]
    return f"{group_id}.r{digest}"


def consumer_of_group(group_id: str) -> tuple[str, bool]:
    """The consumer a group belongs to, and whether it is an incarnation group (``incarnation_group``)."""
    match = _INCARNATION.match(group_id)
    return (match["consumer"], True) if match else (group_id, False)


def make_admin(bootstrap: str, timeout: float = 10.0) -> Any:
    from kafka import KafkaAdminClient

    ms = int(timeout * 1000)
    return _build(KafkaAdminClient, {
        "bootstrap_servers": _servers(bootstrap), "client_id": "pasar-kreatif-admin",
        "bootstrap_timeout_ms": ms, "request_timeout_ms": ms,
    })


def ensure_topics(
    bootstrap: str, topics: Iterable[str], *, partitions: int | None = None, with_dlq: bool = True,
    timeout: float = 10.0,
) -> list[str]:
    """Create each topic (and ``<topic>.dlq``) if missing; return the names that were created.

    Partition counts come from the catalogue (``partitions_for``) unless ``partitions`` is given. "Already
    exists" is success: several workers start at once and race to create the same topics.
    """
    wanted: list[str] = []
    for topic in topics:
        wanted.append(topic)
        if with_dlq and not topic.endswith(".dlq"):
            wanted.append(dlq_topic(topic))
    admin = make_admin(bootstrap, timeout)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in dict.fromkeys(wanted) if t not in existing]
        if not missing:
            return []
        spec = {
            t: {"num_partitions": partitions_for(t) if partitions is None or t.endswith(".dlq") else partitions,
                "replication_factor": 1}
            for t in missing
        }
        result = admin.create_topics(spec, raise_errors=False)
        created = []
        for item in result.get("topics", []):
            code = item.get("error_code", 0)
            if code == 0:
                created.append(item["name"])
            elif code != 36:  # 36 = TOPIC_ALREADY_EXISTS: someone else won the race
                from kafka.errors import KafkaError

                raise KafkaError(f"could not create topic {item['name']}: {item.get('error_message') or code}")
        admin.wait_for_topics(missing, timeout_ms=int(timeout * 1000))
        if created:
            log.info("created topics %s", created)
        return created
    finally:
        admin.close()


def relay_producer_factory(
    bootstrap: str, topics: Iterable[str] | None = None, *, timeout: float = 10.0, **overrides: Any
) -> Any:
    """A factory for the relay: make sure the topics exist, then build the producer.

    The relay calls it again after every broker failure, so topics lost with a restarted in-memory
    broker are re-created before publishing resumes.
    """
    from events.catalogue import TOPICS

    wanted = list(topics) if topics is not None else list(TOPICS)

    def factory() -> Any:
        ensure_topics(bootstrap, wanted, timeout=timeout)
        return make_producer(bootstrap, **overrides)

    return factory


def topic_ids(bootstrap: str, timeout: float = 5.0) -> dict[str, str]:
    """Every topic's id (KIP-516), by name. A topic deleted and created again (or lost with an in-memory
    broker and created again) has a new id, which is how the relay and the workers notice."""
    return {name: topic_id for name, (topic_id, _) in topic_layout(bootstrap, timeout).items()}


def topic_layout(bootstrap: str, timeout: float = 5.0) -> dict[str, tuple[str, int]]:
    """Every topic's id and partition count, by name (a Metadata request for all topics: none named)."""
    admin = make_admin(bootstrap, timeout)
    try:
        return {t["name"]: (str(t.get("topic_id")), len(t.get("partitions") or ())) for t in admin.describe_topics()}
    finally:
        admin.close()


def group_ids(bootstrap: str, timeout: float = 5.0) -> list[str]:
    """The ids of the broker's consumer groups (``workers.rejoin.Membership`` follows a moved kind)."""
    admin = make_admin(bootstrap, timeout)
    try:
        return [g["group_id"] for g in admin.list_groups()]
    finally:
        admin.close()


def _any_port_open(servers: list[str], timeout: float) -> bool:
    import socket

    for server in servers:
        host, _, port = server.rpartition(":")
        try:
            with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port or 9092)), timeout=timeout):
                return True
        except (OSError, ValueError):
            continue
    return False


def broker_reachable(bootstrap: str, timeout: float = 2.0) -> bool:
    """True when a Kafka client can bootstrap and list topics within ``timeout`` (for ``/readyz``)."""
    if not bootstrap or not bootstrap.strip():
        return False
    if not _any_port_open(_servers(bootstrap), timeout):
        return False  # refused or silent: answer at once instead of waiting for a Kafka bootstrap
    from kafka.errors import KafkaError

    try:
        admin = make_admin(bootstrap, timeout)
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()
