from __future__ import annotations

import pytest

from tests.unit.catalog.factories import Catalog


@pytest.fixture
def catalog(db_session) -> Catalog:
    """Build shops and listings straight through the ORM (catalogue and shop tests)."""
    return Catalog(db_session)
