from __future__ import annotations

import pytest

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
