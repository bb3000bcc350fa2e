"""50 buyers race for the last 5 units: nobody oversells, on either database, under real concurrency.

Each buyer is a thread with its own connection and its own transaction, released together by a
barrier, as 50 phones pressing "Pay" at once would be. On PostgreSQL the conditional update decides;
on SQLite the write lock queues them. Either way exactly 5 orders of one unit exist afterwards, the
stock is 0 and ``listing.sold_out`` was recorded once.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from events.models import OutboxEvent
from marketplace.cart import services as cart
from marketplace.db import make_engine, transaction, utcnow
from marketplace.errors import Conflict
from marketplace.listings.models import Listing
from marketplace.orders.checkout import ShippingQuote, place_order
from marketplace.orders.models import Order, OrderItem
from tests import factories
from tests.conftest import clean_database

BUYERS, UNITS = 50, 5
ADDRESS = {"recipient": "Rina", "phone": "081234567890", "line1": "Jl. Melati 3", "city": "Bandung",
           "province": "Jawa Barat", "postal_code": "40111"}


@pytest.fixture
def factory(database_url):
    engine = make_engine(database_url, immediate=True, **({} if database_url.startswith("sqlite") else
                                                          {"pool_size": BUYERS, "max_overflow": 0}))
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()
    clean_database(database_url)


def test_fifty_buyers_never_oversell_the_last_five_units(factory):
    with transaction(factory) as session:
        seller = factories.shop(session).owner
        listing_id = factories.listing(session, seller, status="approved", stock=UNITS).id
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
                            payment_ttl=timedelta(hours=1),
                            quote_shipping=lambda shop, grams, city, province: ShippingQuote("rest_of_java", 15_000))
            outcome = "ordered"
        except Conflict as err:
            outcome = err.code
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=buy, args=(b.id,)) for b in buyers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == BUYERS, "every buyer got an answer"
    assert outcomes.count("ordered") == UNITS
    assert set(outcomes) <= {"ordered", "out_of_stock", "cart_has_problems"}

    with factory() as session:
        assert session.get(Listing, listing_id).stock == 0
        assert session.scalar(select(func.count(Order.id))) == UNITS
        assert session.scalar(select(func.sum(OrderItem.quantity))) == UNITS
        sold_out = session.scalar(select(func.count(OutboxEvent.id)).where(OutboxEvent.type == "listing.sold_out"))
        assert sold_out == 1
