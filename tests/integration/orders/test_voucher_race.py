"""20 buyers race for a voucher's last use: exactly one order gets it, on either database.

Each buyer is a thread with its own connection and transaction, released together by a barrier. The
voucher has 1 use left of 5; each buyer's checkout names the code. The conditional update of the
voucher's ``uses_count`` decides (PostgreSQL's row lock re-checks it as committed; SQLite's write lock
queues the writers): one order carries the discount, the others are refused ``used_up`` and leave
nothing behind (no order, no stock taken).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.cart import services as cart
from marketplace.db import transaction, utcnow
from marketplace.listings.models import Listing
from marketplace.orders.models import Order
from marketplace.vouchers import services as vouchers
from marketplace.vouchers.models import Voucher, VoucherUse
from tests import factories
from tests.integration.orders.racing import race_checkouts, racing_factory

BUYERS = 20


@pytest.fixture
def factory(database_url):
    yield from racing_factory(database_url, BUYERS)


def test_twenty_buyers_for_the_last_use_exactly_one_gets_it(factory):
    now = utcnow()
    with transaction(factory) as session:
        shop = factories.shop(session)
        listing_id = factories.listing(session, shop.owner, status="approved", stock=BUYERS, price_idr=100_000).id
        admin = factories.user(session, "admin")
        voucher = vouchers.create(session, admin, {
            "code": "TERAKHIR", "kind": "amount", "value": 25_000, "min_subtotal_idr": 0, "max_uses": 5,
            "starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=1)}, shop_id=None, now=now)
        voucher.uses_count = 4  # four used already: one left
        voucher_id = voucher.id
        buyers = [factories.user(session, "buyer") for _ in range(BUYERS)]
        for buyer in buyers:
            cart.add_item(session, buyer, listing_id, 1)

    outcomes = race_checkouts(factory, [b.id for b in buyers], voucher_code="terakhir",
                              outcome_of=lambda err: getattr(err, "reason", None) or err.code)
    assert outcomes.count("ordered") == 1
    assert set(outcomes) == {"ordered", "used_up"}

    with factory() as session:
        assert session.get(Voucher, voucher_id).uses_count == 5
        [order] = session.scalars(select(Order)).all()
        assert (order.discount_idr, order.subtotal_idr) == (25_000, 75_000)
        assert session.scalar(select(func.count(VoucherUse.id))) == 1
        assert session.get(Listing, listing_id).stock == BUYERS - 1  # the refused checkouts took nothing
