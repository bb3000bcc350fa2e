"""Readiness checks for ``/readyz``: the database and the Kafka broker."""

from __future__ import annotations

import socket
from typing import Any

from flask import Flask
from sqlalchemy import text


def check_database(app: Flask) -> dict[str, Any]:
    try:
        with app.extensions["db"].engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported, not raised
        return {"ok": False, "error": type(exc).__name__}


def check_broker(app: Flask) -> dict[str, Any]:
    servers = app.config["SETTINGS"].kafka_bootstrap_servers
    if not servers:
        return {"ok": False, "error": "KAFKA_BOOTSTRAP_SERVERS is not set"}
    for server in servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port or 9092)), timeout=1.0):
                return {"ok": True}
        except (OSError, ValueError):
            continue
    return {"ok": False, "error": "no bootstrap server answered"}


def readiness(app: Flask) -> dict[str, dict[str, Any]]:
    return {"database": check_database(app), "broker": check_broker(app)}
