"""A booth sale and an online checkout race for the last unit: exactly one gets it, on either database.

Each side is a thread with its own connection and transaction, released together by a barrier: the
artisan pressing "Show QRIS code" at the festival while a buyer presses "Pay" at home. The booth sale
reserves with the checkout's own conditional update (``orders.reservation``), so on PostgreSQL the
listing's row lock and re-check decide, on SQLite the write lock queues them; the loser is refused
(``out_of_stock``; or, when it read the stock after the winner's commit, the cart's ``cart_has_problems``
or the booth's 422 naming the line sold out).
Several rounds, each with a fresh last unit, so either side gets to win.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.cart import services as cart
from marketplace.db import transaction, utcnow
from marketplace.errors import DomainError
from marketplace.listings.models import Listing
from marketplace.orders.checkout import place_order
from marketplace.orders.models import Order, OrderItem
from marketplace.programme.booth import services as booth
from marketplace.programme.models import EventShop, ProgrammeEvent
from tests import factories
from tests.integration.orders.racing import ADDRESS, flat_quote, racing_factory
from tests.threads import race_all

ROUNDS = 6


class QrisGateway:
    """What ringing up reads of the gateway (the web never calls it): its name and methods."""

    name = "sandbox"
    methods = ("card", "qris")


@pytest.fixture
def factory(database_url):
    yield from racing_factory(database_url, 4)


def test_a_booth_sale_and_an_online_checkout_never_both_get_the_last_unit(factory):
    now = utcnow()
    with transaction(factory) as session:
        shop = factories.shop(session)
        artisan_id = shop.owner_id
        event = ProgrammeEvent(kind="festival", title="Festival Seni Tangsel", venue="Taman Kota 2",
                               city="Tangerang Selatan", starts_at=now - timedelta(hours=1),
                               ends_at=now + timedelta(hours=5), capacity=500,
                               registration_opens_at=now - timedelta(days=3), registration_closes_at=now)
        session.add(event)
        session.flush()
        session.add(EventShop(event_id=event.id, shop_id=shop.id, status="accepted", note=""))
        event_id = event.id
        rounds = []
        for _ in range(ROUNDS):
            listing_id = factories.listing(session, shop.owner, status="approved", stock=1).id
            buyer = factories.user(session, "buyer")
            cart.add_item(session, buyer, listing_id, 1)
            rounds.append((listing_id, buyer.id))

    def ring_up(listing_id: int) -> str:
        with transaction(factory) as session:
            booth.ring_up(session, QrisGateway(), session.get(User, artisan_id), event_id,
                          [booth.Wanted(listing_id, None, 1)], now=utcnow(), payment_ttl=timedelta(minutes=30))
        return "booth"

    def checkout(buyer_id: int) -> str:
        with transaction(factory) as session:
            place_order(session, session.get(User, buyer_id), ADDRESS, now=utcnow(),
                        payment_ttl=timedelta(hours=1), quote_shipping=flat_quote)
        return "online"

    winners = []
    for listing_id, buyer_id in rounds:
        outcomes = race_all([lambda: ring_up(listing_id), lambda: checkout(buyer_id)],
                            lambda err: err.code, DomainError)
        won = [o for o in outcomes if o in ("booth", "online")]
        assert len(won) == 1, outcomes
        # the loser: refused at the reservation, or (read after the winner's commit) seeing it sold out
        assert set(outcomes) - set(won) <= {"out_of_stock", "cart_has_problems", "validation_error"}, outcomes
        winners.append(won[0])
        with factory() as session:
            assert session.get(Listing, listing_id).stock == 0
            sold = session.scalar(select(func.sum(OrderItem.quantity)).where(OrderItem.listing_id == listing_id))
            assert sold == 1
    with factory() as session:
        booth_orders = session.scalar(select(func.count(Order.id)).where(Order.fulfilment == "pickup"))
        assert booth_orders == winners.count("booth")
