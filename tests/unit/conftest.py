from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from marketplace.catalog.changes import CatalogChanges
from marketplace.db import Database
from tests.conftest import clean_database
from tests.unit.catalog.factories import Catalog
from tests.unit.listings.helpers import Market


@pytest.fixture
def catalog(db_session) -> Catalog:
    """Build shops and listings straight through the ORM (catalogue and shop tests)."""
    return Catalog(db_session)


@pytest.fixture
def market(api, db_session) -> Market:
    """Sellers, listings and decisions through the real API (``tests/unit/listings/helpers.py``)."""
    return Market(api, db_session)


@pytest.fixture
def buyer(api):
    """A buyer with an API token."""
    return api.make_user("buyer")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A writer on the test database, for code that runs its own transactions (the mail and posting
    loops); the tables are emptied afterwards."""
    database = Database(database_url, writer=True, hooks=[CatalogChanges()])
    yield database
    database.dispose()
    clean_database(database_url)


@pytest.fixture
def factory(db: Database) -> Any:
    return db.session_factory
