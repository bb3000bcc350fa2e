"""Voucher tests: the ledger check runs after each service test (``ledger_books``)."""

from tests.unit.ledger_books import ledger_books  # noqa: F401
