"""Versioned marshmallow schemas, one per (event type, version). PLACEHOLDER until the events issue."""

from __future__ import annotations

from typing import Any


def validate_data(event_type: str, version: int, data: dict[str, Any]) -> dict[str, Any]:
    return dict(data)
