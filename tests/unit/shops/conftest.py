from __future__ import annotations

import pytest

import marketplace.catalog.fts  # noqa: F401  (registers the FTS DDL on Base.metadata before create_all)
from tests.unit.catalog.factories import Catalog


@pytest.fixture
def catalog(db_session) -> Catalog:
    return Catalog(db_session)
