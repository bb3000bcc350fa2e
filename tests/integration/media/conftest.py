from __future__ import annotations

import pytest

from tests.unit.listings.helpers import Market


@pytest.fixture
def market(api, db_session) -> Market:
    return Market(api, db_session)
