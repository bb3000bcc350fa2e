"""Operations use cases: the state of the event pipeline for the admin page, the API and the CLI."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from marketplace.config import Settings


def events_status(session: Session, settings: Settings, timeout: float = 2.0) -> dict[str, Any]:
    """Undelivered events per consumer and the outbox backlog (always, from the database), consumer lag
    and DLQ sizes (when the broker answers within ``timeout``).

    Same data as ``marketplace events status``; a missing broker is reported, never raised.
    """
    from events.status import collect_status
    from workers.subscriptions import subscriptions

    return collect_status(
        session, settings.kafka_bootstrap_servers, timeout,
        subscriptions=subscriptions(), grace_seconds=settings.events_undelivered_grace_seconds,
    )
