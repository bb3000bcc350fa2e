"""20 buyers race for a voucher's last use: exactly one order gets it, on either database.

Each buyer is a thread with its own connection and transaction, released together by a barrier. The
voucher has 1 use left of 5; each buyer's checkout names the code. The conditional update of the
voucher's ``uses_count`` decides (PostgreSQL's row lock re-checks it as committed; SQLite's write lock
queues the writers): one order carries the discount, the others are refused ``used_up`` and leave
nothing behind (no order, no stock taken).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.cart import services as cart
from marketplace.catalog.changes import CatalogChanges
from marketplace.db import make_engine, make_session_factory, transaction, utcnow
from marketplace.errors import DomainError
from marketplace.listings.models import Listing
from marketplace.orders.checkout import place_order
from marketplace.orders.models import Order
from marketplace.vouchers import services as vouchers
from marketplace.vouchers.models import Voucher, VoucherUse
from tests import factories
from tests.conftest import clean_database
from tests.integration.orders.test_checkout_race import ADDRESS, flat_quote

BUYERS = 20


@pytest.fixture
def factory(database_url):
    engine = make_engine(database_url, immediate=True, **({} if database_url.startswith("sqlite") else
                                                          {"pool_size": BUYERS, "max_overflow": 0}))
    catalog_changes = CatalogChanges()
    catalog_changes.install(engine)
    yield make_session_factory(engine, expire_on_commit=False)
    engine.dispose()
    catalog_changes.close()
    clean_database(database_url)


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

    barrier = threading.Barrier(BUYERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy(buyer_id: int) -> None:
        barrier.wait(timeout=30)
        try:
            with transaction(factory) as session:
                place_order(session, session.get(type(buyers[0]), buyer_id), ADDRESS, now=utcnow(),
                            payment_ttl=timedelta(hours=1), quote_shipping=flat_quote, voucher_code="terakhir")
            outcome = "ordered"
        except vouchers.VoucherInvalid as err:
            outcome = err.reason
        except DomainError as err:
            outcome = err.code
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=buy, args=(b.id,)) for b in buyers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == BUYERS, "every buyer got an answer"
    assert outcomes.count("ordered") == 1
    assert set(outcomes) == {"ordered", "used_up"}

    with factory() as session:
        assert session.get(Voucher, voucher_id).uses_count == 5
        [order] = session.scalars(select(Order)).all()
        assert (order.discount_idr, order.subtotal_idr) == (25_000, 75_000)
        assert session.scalar(select(func.count(VoucherUse.id))) == 1
        assert session.get(Listing, listing_id).stock == BUYERS - 1  # the refused checkouts took nothing
