"""Booth sale fixtures: a festival on now with a participating shop, and the payments worker's steps
(make the QRIS attempt; deliver the sandbox's callback) run in the test."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from marketplace.db import utcnow
from tests.unit.payments.conftest import deliver, sandbox  # noqa: F401  (the payments tests' fixtures)
from tests.unit.payments.test_pay_methods import make  # noqa: F401  (the payments worker's step)
from tests.unit.programme.helpers import create_event


@pytest.fixture
def booth(api, market):
    """``booth(**event)`` → (artisan, event, listing): a festival on now (started an hour ago) whose
    accepted shop has one approved listing (stock 5, Rp 85.000)."""

    def set_up(*, kind: str = "festival", starts_in: timedelta = -timedelta(hours=1), hours: int = 6,
             accept: bool = True, **listing: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        artisan = market.seller()
        event = create_event(api, market.admin, kind=kind, capacity=500, starts_in=starts_in, hours=hours,
                             opens_ago=timedelta(days=3),
                             registration_closes_at=(utcnow() + starts_in + timedelta(hours=hours - 1)).isoformat())
        if accept:
            resp = api.post(f"/api/v1/admin/events/{event['id']}/shops", as_=market.admin,
                            json={"shop_id": artisan.shop_id})
            assert resp.status_code == 200, resp.json
        item = market.approved_listing(artisan, **{"price_idr": 85_000, "stock": 5, **listing})
        return artisan, event, item

    return set_up
