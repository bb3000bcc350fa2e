"""50 buyers race for the last 5 units: nobody oversells, on either database, under real concurrency.

Each buyer is a thread with its own connection and its own transaction, released together by a
barrier, as 50 phones pressing "Pay" at once would be. On PostgreSQL the conditional update decides;
on SQLite the write lock queues them. Either way exactly 5 orders of one unit exist afterwards, the
stock is 0 and ``listing.sold_out`` was recorded once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from events.models import OutboxEvent
from marketplace.cart import services as cart
from marketplace.db import transaction, utcnow
from marketplace.listings.models import Listing
from marketplace.orders.checkout import place_order
from marketplace.orders.models import Order, OrderItem
from tests import factories
from tests.integration.orders.racing import ADDRESS, flat_quote, race_checkouts, racing_factory

BUYERS, UNITS = 50, 5




@pytest.fixture
def factory(database_url):
    yield from racing_factory(database_url, BUYERS)


def test_fifty_buyers_never_oversell_the_last_five_units(factory):
    with transaction(factory) as session:
        seller = factories.shop(session).owner
        listing_id = factories.listing(session, seller, status="approved", stock=UNITS).id
        buyers = [factories.user(session, "buyer") for _ in range(BUYERS)]
        for buyer in buyers:
            cart.add_item(session, buyer, listing_id, 1)

    outcomes = race_checkouts(factory, [b.id for b in buyers])
    assert outcomes.count("ordered") == UNITS
    assert set(outcomes) <= {"ordered", "out_of_stock", "cart_has_problems"}

    with factory() as session:
        assert session.get(Listing, listing_id).stock == 0
        assert session.scalar(select(func.count(Order.id))) == UNITS
        assert session.scalar(select(func.sum(OrderItem.quantity))) == UNITS
        sold_out = session.scalar(select(func.count(OutboxEvent.id)).where(OutboxEvent.type == "listing.sold_out"))
        assert sold_out == 1


@contextmanager
def _checkout_waiting_for(factory, buyer_id: int, held_listing_id: int) -> Iterator[list[object]]:
    """Another transaction holds ``held_listing_id``'s row lock while a checkout of ``buyer_id``'s cart
    runs in its own thread and transaction: inside the block the checkout is waiting for that lock; on
    leaving, the lock is released and the checkout finishes. Yields its outcome: [order id or error]."""
    import time

    from sqlalchemy import text

    from marketplace.accounts.models import User

    pids: list[int] = []
    outcome: list[object] = []

    def run() -> None:
        try:
            with transaction(factory) as session:
                pids.append(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
                order = place_order(session, session.get(User, buyer_id), ADDRESS, now=utcnow(),
                                    payment_ttl=timedelta(hours=1), quote_shipping=flat_quote)
                outcome.append(order.id)
        except Exception as err:  # noqa: BLE001 - the test asserts on it
            outcome.append(err)

    holder = factory()
    holder.execute(text("SELECT id FROM listings WHERE id = :i FOR UPDATE"), {"i": held_listing_id})
    thread = threading.Thread(target=run)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not _blocked(factory, pids):
            assert time.monotonic() < deadline and not outcome, f"the checkout never waited for the lock: {outcome}"
            time.sleep(0.02)
        yield outcome
    finally:
        holder.rollback()
        holder.close()
        thread.join(30)


def _blocked(factory, pids: list[int]) -> bool:
    from sqlalchemy import text

    if not pids:
        return False
    with factory() as session:
        return bool(session.execute(text("SELECT cardinality(pg_blocking_pids(:pid))"), {"pid": pids[0]}).scalar_one())


def _locked_elsewhere(factory, listing_id: int) -> bool:
    """Whether another transaction holds ``listing_id``'s row lock (tried with NOWAIT, then released)."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    with factory() as session:
        try:
            session.execute(text("SELECT id FROM listings WHERE id = :i FOR UPDATE NOWAIT"), {"i": listing_id})
            return False
        except OperationalError:
            return True
        finally:
            session.rollback()


def test_a_checkout_locks_its_listings_in_id_order(factory, backend):
    """Two checkouts sharing products cannot deadlock: each locks the listings lowest id first. Holding
    the lower one's lock makes a checkout wait with the higher one still free; holding the higher one,
    it waits holding the lower."""
    if backend == "sqlite":
        pytest.skip("SQLite writers are serial: there are no row locks to order")
    from sqlalchemy import text

    with transaction(factory) as session:
        seller = factories.shop(session).owner
        low, high = (factories.listing(session, seller, status="approved", stock=10).id for _ in range(2))
        buyers = [factories.user(session, "buyer") for _ in range(2)]
        for buyer in buyers:  # added highest first: the cart's order is not the lock order
            cart.add_item(session, buyer, high, 1)
            cart.add_item(session, buyer, low, 1)
    with transaction(factory) as session:  # a new row version: a scan of the table now meets the higher id first
        session.execute(text("UPDATE listings SET stock = stock WHERE id = :i"), {"i": low})

    for held, free_meanwhile, buyer in ((low, high, buyers[0]), (high, None, buyers[1])):
        with _checkout_waiting_for(factory, buyer.id, held) as outcome:
            if free_meanwhile is not None:
                assert not _locked_elsewhere(factory, free_meanwhile), "the higher id was locked before the lower"
            else:
                assert _locked_elsewhere(factory, low), "waiting for the higher id without holding the lower"
        assert len(outcome) == 1 and isinstance(outcome[0], int), outcome

    with factory() as session:
        assert [session.get(Listing, i).stock for i in (low, high)] == [8, 8]


def test_a_product_added_to_the_cart_during_a_checkout_stays_in_the_cart(factory, backend):
    """The checkout takes the cart rows it reads, and only those: a product the buyer adds (from another
    tab) while the checkout runs is not ordered, and not lost either."""
    if backend == "sqlite":
        pytest.skip("SQLite writers are serial: nothing can be added while a checkout writes")
    from marketplace.accounts.models import User
    from marketplace.cart.models import CartItem

    with transaction(factory) as session:
        seller = factories.shop(session).owner
        ordered, added = (factories.listing(session, seller, status="approved", stock=10).id for _ in range(2))
        buyer_id = factories.user(session, "buyer").id
        cart.add_item(session, session.get(User, buyer_id), ordered, 2)

    # The checkout waits for this lock after it has read (and taken) the cart.
    with _checkout_waiting_for(factory, buyer_id, ordered) as outcome:
        with transaction(factory) as session:
            cart.add_item(session, session.get(User, buyer_id), added, 1)
    assert len(outcome) == 1 and isinstance(outcome[0], int), outcome

    with factory() as session:
        items = session.execute(select(OrderItem.listing_id, OrderItem.quantity)).all()
        assert [tuple(item) for item in items] == [(ordered, 2)]
        left = session.execute(select(CartItem.listing_id, CartItem.quantity).where(CartItem.user_id == buyer_id)).all()
        assert [tuple(row) for row in left] == [(added, 1)]


def test_a_checkout_tells_other_processes_its_stock_changed(factory, backend):
    """The stock reservation carries the catalogue's announcement (no NOTIFY of its own at the commit):
    another process hears a stock-only change once the checkout commits, not before and not after a
    rollback; a full change later in the same transaction is still announced as full."""
    if backend == "sqlite":
        pytest.skip("SQLite has no notifications: the caches there keep answers only briefly")
    import psycopg
    from sqlalchemy import text

    from marketplace.accounts.models import User
    from marketplace.catalog import changes

    with transaction(factory) as session:
        seller = factories.shop(session).owner
        listings = [factories.listing(session, seller, status="approved", stock=10).id for _ in range(2)]
        buyers = [factories.user(session, "buyer").id for _ in range(3)]
        for buyer_id in buyers:
            for listing_id in listings:
                cart.add_item(session, session.get(User, buyer_id), listing_id, 1)

    engine = factory.kw["bind"]
    args, kwargs = engine.dialect.create_connect_args(engine.url)
    with psycopg.connect(*args, **{**kwargs, "autocommit": True}) as listener:
        listener.execute(f'LISTEN "{changes.CHANNEL}"')
        schema = listener.execute("SELECT current_schema()").fetchone()[0]

        def heard() -> list[str]:
            return sorted(n.payload for n in listener.notifies(timeout=0.5) if n.payload.endswith(":" + schema))

        def place(session, buyer_id: int) -> None:
            place_order(session, session.get(User, buyer_id), ADDRESS, now=utcnow(), payment_ttl=timedelta(hours=1),
                        quote_shipping=flat_quote)

        with factory() as probe:  # what the factory's engine announces (its CatalogChanges' origin)
            conn = probe.connection()
            stock_only = f"{changes.announcement_params(conn, changes.STOCK)['pk_catalog_payload']}:{schema}"
            full = f"{changes.announcement_params(conn, changes.FULL)['pk_catalog_payload']}:{schema}"
        with transaction(factory) as session:
            place(session, buyers[0])
            assert heard() == [], "nothing is heard before the commit"
        assert heard() == [stock_only]

        with pytest.raises(RuntimeError):
            with transaction(factory) as session:
                place(session, buyers[1])
                raise RuntimeError("the entry point fails after the reservation")
        assert heard() == []

        with transaction(factory) as session:
            place(session, buyers[2])
            session.execute(text("UPDATE listings SET title = 'Batik Baru' WHERE id = :i"), {"i": listings[0]})
        assert heard() == sorted([stock_only, full])


VARIANT_UNITS = 3


def test_fifty_buyers_never_oversell_the_last_three_units_of_a_variant(factory):
    """The same race for one size of a shirt: exactly 3 orders, that size at 0, the other sizes (and
    so the listing, which still has stock) untouched, and no ``listing.sold_out``."""
    from marketplace.listings.models import ListingVariant

    sizes = [{"options": {"ukuran": "M"}, "price_idr": 200_000, "stock": VARIANT_UNITS},
             {"options": {"ukuran": "L"}, "price_idr": 220_000, "stock": 7},
             {"options": {"ukuran": "XL"}, "price_idr": 250_000, "stock": 4}]
    with transaction(factory) as session:
        seller = factories.shop(session).owner
        listing = factories.listing(session, seller, status="approved", variants=sizes)
        listing_id = listing.id
        variant_ids = {v.options["ukuran"]: v.id for v in listing.variants}
        buyers = [factories.user(session, "buyer") for _ in range(BUYERS)]
        for buyer in buyers:
            cart.add_item(session, buyer, listing_id, 1, variant_ids["M"])

    outcomes = race_checkouts(factory, [b.id for b in buyers])
    assert outcomes.count("ordered") == VARIANT_UNITS
    assert set(outcomes) <= {"ordered", "out_of_stock", "cart_has_problems"}

    with factory() as session:
        stock = {v.options["ukuran"]: v.stock for v in session.scalars(
            select(ListingVariant).where(ListingVariant.listing_id == listing_id))}
        assert stock == {"M": 0, "L": 7, "XL": 4}
        assert session.get(Listing, listing_id).stock == 11
        assert session.get(Listing, listing_id).price_idr == 220_000, "the lowest price in stock"
        assert session.scalar(select(func.sum(OrderItem.quantity)).where(
            OrderItem.variant_id == variant_ids["M"])) == VARIANT_UNITS
        assert session.scalar(select(func.count(Order.id))) == VARIANT_UNITS
        sold_out = session.scalar(select(func.count(OutboxEvent.id)).where(OutboxEvent.type == "listing.sold_out"))
        assert sold_out == 0


def test_buyers_of_two_sizes_at_once_leave_the_listings_totals_equal_to_its_variants(factory):
    """Checkouts of different sizes of one shirt commit in any order: each takes its size's units and
    the listing's stock falls by exactly what was taken, so it stays the sum of its sizes; when both
    cheap sizes are gone the listing's price is the one left in stock."""
    from marketplace.listings.models import ListingVariant

    sizes = [{"options": {"ukuran": "M"}, "price_idr": 200_000, "stock": 3},
             {"options": {"ukuran": "L"}, "price_idr": 220_000, "stock": 4},
             {"options": {"ukuran": "XL"}, "price_idr": 250_000, "stock": 30}]
    with transaction(factory) as session:
        seller = factories.shop(session).owner
        listing = factories.listing(session, seller, status="approved", variants=sizes)
        listing_id = listing.id
        variant_ids = {v.options["ukuran"]: v.id for v in listing.variants}
        buyers = [factories.user(session, "buyer") for _ in range(30)]
        for n, buyer in enumerate(buyers):
            cart.add_item(session, buyer, listing_id, 1, variant_ids["M" if n % 2 else "L"])

    outcomes = race_checkouts(factory, [b.id for b in buyers])
    assert outcomes.count("ordered") == 3 + 4
    with factory() as session:
        stock = {v.options["ukuran"]: v.stock for v in session.scalars(
            select(ListingVariant).where(ListingVariant.listing_id == listing_id))}
        assert stock == {"M": 0, "L": 0, "XL": 30}
        assert session.get(Listing, listing_id).stock == 30
        assert session.get(Listing, listing_id).price_idr == 250_000, "the lowest price in stock"
