"""Reviews and hides committed at the same instant: the figures a listing and shop show stay right.

Each racer is a thread with its own connection and transaction, released together by a barrier (the
house's race helper, ``tests.integration.orders.racing``). Twenty buyers post their reviews while an
admin hides five older ones; the listing's and shop's average and count must then be exactly those of
the visible rows — they are computed from the rows, so no update can be lost. Two tabs posting the same
item's review at once get one review and one 409; two replies at once, one reply.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.db import transaction, utcnow
from marketplace.errors import DomainError
from marketplace.orders.models import Order, OrderItem, SellerOrder
from marketplace.reviews import services
from marketplace.reviews.models import Review
from tests import factories
from tests.integration.orders.racing import racing_factory
from tests.threads import race_all

BUYERS = 20
HIDDEN = 5


@pytest.fixture
def factory(database_url):
    yield from racing_factory(database_url, BUYERS + HIDDEN + 2)


def _delivered_item(session: Any, buyer: User, shop: Any, listing: Any) -> int:
    now = utcnow()
    order = Order(buyer_id=buyer.id, status="completed", subtotal_idr=50_000, shipping_idr=10_000, total_idr=60_000,
                  recipient="Rina", phone="081234567890", line1="Jl. Melati 3", city="Bandung",
                  province="Jawa Barat", postal_code="40111", payment_due_at=now, paid_at=now)
    part = SellerOrder(shop_id=shop.id, status="delivered", subtotal_idr=50_000, shipping_idr=10_000,
                       shipping_zone="rest_of_java", weight_grams=500, delivered_at=now - timedelta(days=1))
    part.items.append(OrderItem(listing_id=listing.id, title=listing.title, unit_price_idr=50_000, quantity=1,
                                weight_grams=500))
    order.seller_orders.append(part)
    session.add(order)
    session.flush()
    return part.items[0].id


def _race(jobs: list[Callable[[Any], Any]]) -> list[str]:
    """Run every job at once, each in its own transaction; each one's outcome: "ok" or the error's code."""
    def run(job: Callable[[Any], Any]) -> str:
        job()
        return "ok"

    return race_all([partial(run, job) for job in jobs], lambda err: err.code, DomainError)


def test_concurrent_reviews_and_hides_leave_the_right_average_and_count(factory):
    with transaction(factory) as session:
        shop = factories.shop(session)
        listing = factories.listing(session, shop.owner, status="approved", stock=100, price_idr=50_000)
        listing_id, shop_id = listing.id, shop.id
        admin_id = factories.user(session, "admin").id
        old_ids = []
        for _ in range(HIDDEN):  # five 1-star reviews the admin will hide during the race
            buyer = factories.user(session, "buyer")
            item_id = _delivered_item(session, buyer, shop, listing)
            old_ids.append(services.post_review(session, buyer, listing_id, {"order_item_id": item_id, "rating": 1},
                                                now=utcnow(), window_days=60).id)
        racers = []
        for i in range(BUYERS):
            buyer = factories.user(session, "buyer")
            racers.append((buyer.id, _delivered_item(session, buyer, shop, listing), 5 if i % 2 else 4))

    def post(buyer_id: int, item_id: int, rating: int) -> Callable[[], Any]:
        def job() -> None:
            with transaction(factory) as session:
                services.post_review(session, session.get(User, buyer_id), listing_id,
                                     {"order_item_id": item_id, "rating": rating, "text": "Bagus"},
                                     now=utcnow(), window_days=60)
        return job

    def hide(review_id: int) -> Callable[[], Any]:
        def job() -> None:
            with transaction(factory) as session:
                services.hide(session, session.get(User, admin_id), review_id, "Spam", now=utcnow())
        return job

    outcomes = _race([post(*r) for r in racers] + [hide(r) for r in old_ids])
    assert outcomes == ["ok"] * (BUYERS + HIDDEN)

    expected = sum(r for _, _, r in racers) / BUYERS  # 4.5: the hidden 1-star reviews count no more
    with factory() as session:
        for figures in (services.summary(session, listing_id=listing_id), services.summary(session, shop_id=shop_id)):
            assert (figures.count, figures.average) == (BUYERS, round(expected, 2))
            assert figures.distribution[5] == BUYERS // 2 and figures.distribution[1] == 0
        assert services.averages(session, [listing_id])[listing_id].count == BUYERS
        assert session.scalar(select(func.count(Review.id))) == BUYERS + HIDDEN  # hidden ones are kept


def test_the_same_item_reviewed_twice_at_once_and_two_replies_at_once_land_once(factory):
    with transaction(factory) as session:
        shop = factories.shop(session)
        listing = factories.listing(session, shop.owner, status="approved", stock=10, price_idr=50_000)
        listing_id, owner_id = listing.id, shop.owner_id
        buyer = factories.user(session, "buyer")
        buyer_id, item_id = buyer.id, _delivered_item(session, buyer, shop, listing)

    def post(rating: int) -> Callable[[], Any]:
        def job() -> None:
            with transaction(factory) as session:
                services.post_review(session, session.get(User, buyer_id), listing_id,
                                     {"order_item_id": item_id, "rating": rating}, now=utcnow(), window_days=60)
        return job

    assert sorted(_race([post(5), post(2)])) == ["already_reviewed", "ok"]
    with factory() as session:
        review_id = session.scalar(select(Review.id))

    def reply(text: str) -> Callable[[], Any]:
        def job() -> None:
            with transaction(factory) as session:
                services.reply(session, session.get(User, owner_id), review_id, text, now=utcnow())
        return job

    assert sorted(_race([reply("Terima kasih"), reply("Makasih")])) == ["already_replied", "ok"]
    with factory() as session:
        assert session.get(Review, review_id).reply_text in ("Terima kasih", "Makasih")
        assert services.summary(session, listing_id=listing_id).count == 1
