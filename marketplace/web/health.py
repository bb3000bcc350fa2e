"""Readiness checks for ``/readyz``: the database and the Kafka broker; and the outside services whose
circuit breaker is open (:mod:`marketplace.ops.breakers`), which make the system degraded, not unready."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import text
from marketplace.web import deps


def check_database(app: Flask) -> dict[str, Any]:
    try:
        with app.extensions["db"].engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported, not raised
        return {"ok": False, "error": type(exc).__name__}


def check_broker(app: Flask) -> dict[str, Any]:
    servers = deps.of(app).settings.kafka_bootstrap_servers
    if not servers:
        return {"ok": False, "error": "KAFKA_BOOTSTRAP_SERVERS is not set"}
    from events.kafka import broker_reachable

    if broker_reachable(servers, timeout=1.0):
        return {"ok": True}
    return {"ok": False, "error": "no Kafka broker answered"}


def check_outside(app: Flask) -> dict[str, Any]:
    """Outside services failing now (payment gateway, courier, WhatsApp, SMTP, S3…): the site still takes
    orders (the leased queues retry the calls), so this never makes ``/readyz`` fail; it names them."""
    from marketplace.db import utcnow
    from marketplace.ops.breakers import degraded

    try:
        with app.extensions["db"].new_session() as session:
            return {"ok": True, "degraded": degraded(session, utcnow())}
    except Exception as exc:  # noqa: BLE001 - the database check reports the database itself
        return {"ok": True, "degraded": [], "error": type(exc).__name__}


def readiness(app: Flask) -> dict[str, dict[str, Any]]:
    return {"database": check_database(app), "broker": check_broker(app), "outside_services": check_outside(app)}
