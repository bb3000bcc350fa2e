"""Shared helpers: an event as an admin creates it through the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from marketplace.db import utcnow


def event_body(*, starts_in: timedelta = timedelta(days=3), hours: int = 3, opens_ago: timedelta = timedelta(days=1),
               **overrides: Any) -> dict[str, Any]:
    now = utcnow()
    starts = (now + starts_in).replace(microsecond=0)
    return {"kind": "workshop", "title": "Membatik dengan canting", "description": "Belajar batik tulis; bawa kain.",
            "venue": "Balai Warga Cipayung", "city": "Tangerang Selatan", "capacity": 5,
            "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=hours)).isoformat(),
            "registration_opens_at": (now - opens_ago).isoformat(),
            "registration_closes_at": (starts - timedelta(hours=1)).isoformat(), **overrides}


def create_event(api: Any, admin: Any, **overrides: Any) -> dict[str, Any]:
    resp = api.post("/api/v1/admin/events", as_=admin, json=event_body(**overrides))
    assert resp.status_code == 201, resp.json
    return resp.json


def iso(value: datetime) -> str:
    return value.isoformat()
