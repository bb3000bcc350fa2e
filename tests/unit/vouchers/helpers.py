"""Vouchers for service tests, made by the real service in the caller's session."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from marketplace.vouchers import services
from marketplace.vouchers.models import Voucher
from tests import factories
from marketplace.orders.checkout import place_order
from marketplace.orders.models import Order
from tests.unit.orders.test_checkout import ADDRESS, NOW, flat_fee

_n = itertools.count(1)


def voucher(session: Session, *, shop_id: int | None = None, **overrides: Any) -> Voucher:
    """A live voucher (started a day ago, ending in a week): a shop's with ``shop_id``, else the programme's."""
    data = {"code": f"KODE{next(_n)}",
            "kind": "percent", "value": 10, "min_subtotal_idr": 0, "max_discount_idr": None, "max_uses": None,
            "per_buyer": None, "starts_at": NOW - timedelta(days=1), "ends_at": NOW + timedelta(days=7),
            "paused": False, **overrides}
    return services.create(session, factories.user(session, "admin"), data, shop_id=shop_id, now=NOW)


def checkout_with(session: Session, buyer: Any, code: str | None) -> Order:
    """The checkout as the API runs it, with ``voucher_code`` (None: the cart's applied code)."""
    return place_order(session, buyer, ADDRESS, quote_shipping=flat_fee, now=NOW, payment_ttl=timedelta(minutes=60),
                       voucher_code=code)
