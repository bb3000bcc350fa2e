"""``ledger_books``: the ``marketplace ledger check`` rules run at the end of every service test (``tx``)
of a directory that imports it (orders, payments, payouts: the tests that move money). A test that
leaves the books unbalanced, or out of step with its orders, refunds or payouts, fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from marketplace.ledger.check import check


@pytest.fixture(autouse=True)
def ledger_books(request: pytest.FixtureRequest) -> Iterator[None]:
    session = request.getfixturevalue("tx") if "tx" in request.fixturenames else None  # set up before: torn down after
    yield
    if session is not None and session.is_active:
        session.flush()
        assert check(session) == [], "the ledger check failed after this test"
