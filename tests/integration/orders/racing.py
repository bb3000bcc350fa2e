"""Many buyers checking out at the same instant, each in its own transaction on its own connection: the
races of stock (per listing and per variant) and of a voucher's last use are run by this one helper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import sessionmaker

from marketplace.accounts.models import User
from marketplace.catalog.changes import CatalogChanges
from marketplace.db import make_engine, make_session_factory, transaction, utcnow
from marketplace.errors import DomainError
from marketplace.orders.checkout import ShippingQuote, place_order
from tests.conftest import clean_database
from tests.threads import race_all

ADDRESS = {"recipient": "Rina", "phone": "081234567890", "line1": "Jl. Melati 3", "city": "Bandung",
           "province": "Jawa Barat", "postal_code": "40111"}


def flat_quote(shop, grams, city, province) -> ShippingQuote:
    return ShippingQuote("rest_of_java", 15_000)


def racing_factory(database_url: str, connections: int) -> Iterator[sessionmaker]:
    """A writer's session factory with a connection for every racer (PostgreSQL), its catalogue
    listener installed as the web app's is; the database is cleaned after."""
    engine = make_engine(database_url, immediate=True, **({} if database_url.startswith("sqlite") else
                                                          {"pool_size": connections, "max_overflow": 0}))
    catalog_changes = CatalogChanges()
    catalog_changes.install(engine)
    yield make_session_factory(engine, expire_on_commit=False)
    engine.dispose()
    catalog_changes.close()
    clean_database(database_url)


def race_checkouts(factory: sessionmaker, buyer_ids: list[int],
                   outcome_of: Callable[[DomainError], str] = lambda err: err.code, **place: Any) -> list[str]:
    """Every buyer checks out their cart at once (a barrier releases them together); each one's
    outcome: ``"ordered"`` or what refused it (``outcome_of`` the domain error, its code by default)."""
    def buy(buyer_id: int) -> str:
        with transaction(factory) as session:
            place_order(session, session.get(User, buyer_id), ADDRESS, now=utcnow(),
                        payment_ttl=timedelta(hours=1), quote_shipping=flat_quote, **place)
        return "ordered"

    return race_all([partial(buy, b) for b in buyer_ids], outcome_of, DomainError)
