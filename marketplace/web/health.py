"""Readiness checks for ``/readyz``: the database and the Kafka broker."""

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


def readiness(app: Flask) -> dict[str, dict[str, Any]]:
    return {"database": check_database(app), "broker": check_broker(app)}
