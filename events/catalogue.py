"""Topics and event types (ARCHITECTURE.md §3). Schemas per (type, version) live in ``events.schemas``."""

from __future__ import annotations

TOPICS: dict[str, tuple[str, ...]] = {
    "listings": ("listing.submitted", "listing.approved", "listing.rejected", "listing.updated", "listing.sold_out"),
    "orders": (
        "order.placed",
        "order.paid",
        "order.payment_failed",
        "order.cancelled",
        "order.shipped",
        "order.delivered",
        "order.refund_requested",
        "order.refunded",
        "shipment.updated",
        "order.payment_method_chosen",
        "order.late_payment_received",
        "dispute.opened",
        "dispute.resolved",
    ),
    "payments": ("payment.intent_created", "payment.succeeded", "payment.failed", "payment.refunded"),
    "payouts": ("payout.scheduled", "payout.released", "payout.paid", "payout.failed"),
    "promotions": ("promotion.posted", "promotion.failed"),
    "messages": ("message.sent", "offer.sent", "offer.accepted"),
    "programme": (
        "programme_event.published",
        "programme_event.cancelled",
        "programme_event.rescheduled",
        "registration.created",
        "registration.cancelled",
        "registration.promoted",
        "attendance.recorded",
    ),
    "reviews": ("review.posted", "review.replied", "review.hidden"),
}

#: Partitions per topic. Topics are created with these counts before anything is published to them
#: (``marketplace events create-topics``, the relay, the workers); a broker must never pick its own
#: default (Tansu's is 4), or keys would land on other partitions than the ones consumers have read.
PARTITIONS: dict[str, int] = {topic: 3 for topic in TOPICS}
DEFAULT_PARTITIONS = 3  # a topic outside the catalogue (the tests' own topics)
DLQ_PARTITIONS = 1

_TYPE_TO_TOPIC = {event_type: topic for topic, types in TOPICS.items() for event_type in types}


class InvalidEvent(ValueError):
    """An event (envelope or data) that does not match its contract; ``messages`` says why, per field."""

    def __init__(self, message: str, messages: dict | None = None):
        super().__init__(message)
        self.messages = messages or {}


class UnknownEventType(InvalidEvent):
    """The type is not in the catalogue (a typo in a producer, or a consumer older than the producer)."""


def topic_for(event_type: str) -> str:
    try:
        return _TYPE_TO_TOPIC[event_type]
    except KeyError:
        raise UnknownEventType(f"unknown event type {event_type!r}") from None


def dlq_topic(topic: str) -> str:
    """Where a consumer parks what it cannot process: ``orders`` → ``orders.dlq``."""
    return f"{topic}.dlq"


def partitions_for(topic: str) -> int:
    """How many partitions ``topic`` is created with: the catalogue's count, 1 for a ``.dlq``."""
    if topic.endswith(".dlq"):
        return DLQ_PARTITIONS
    return PARTITIONS.get(topic, DEFAULT_PARTITIONS)


def all_event_types() -> tuple[str, ...]:
    return tuple(_TYPE_TO_TOPIC)
