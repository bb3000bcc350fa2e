"""Fixtures for payouts and the ledger: a paid two-shop order, the sandbox provider on its in-memory
store, a provider that fails on demand, and ``books``: after each test that moves money the
``marketplace ledger check`` rules run on what the test left (any problem fails the test)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from marketplace.ledger.check import check
from marketplace.payouts import accounts
from marketplace.payouts.providers import AccountDetails, PayoutProviderError, Transfer
from marketplace.payouts.sandbox import MemoryTransferStore, SandboxPayoutProvider
from tests import factories
from tests.unit.orders.test_checkout import NOW


@pytest.fixture
def books(tx) -> Iterator[None]:
    """Run the ledger check at the end of the test, on everything it wrote."""
    yield
    tx.flush()
    assert check(tx) == []


@pytest.fixture
def sandbox_provider() -> SandboxPayoutProvider:
    return SandboxPayoutProvider(MemoryTransferStore())


@dataclass
class ScriptedProvider:
    """A provider that answers each transfer with the next scripted outcome (an exception, or a
    Transfer status), recording every call; then pays. ``connect`` connects at once."""

    script: list[Any] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    name: str = "sandbox"
    connect_status: str = "connected"

    def connect(self, *, shop_id: int, **_: Any) -> Any:
        from marketplace.payouts.providers import Connection

        return Connection(status=self.connect_status, account_ref=f"acct_{shop_id}",
                          onboarding_url=None if self.connect_status == "connected" else "https://connect.test/x")

    def transfer(self, **kwargs: Any) -> Transfer:
        self.calls.append(kwargs)
        outcome = self.script.pop(0) if self.script else "paid"
        if isinstance(outcome, Exception):
            raise outcome
        return Transfer(transfer_id=f"tr_{kwargs['idempotency_key']}", status=outcome)

    def verify_webhook(self, payload: bytes, headers: Any) -> Any:  # pragma: no cover - not used here
        raise NotImplementedError


@pytest.fixture
def scripted() -> ScriptedProvider:
    return ScriptedProvider()


def transient(reason: str = "timeout") -> PayoutProviderError:
    return PayoutProviderError(reason, transient=True)


def permanent(reason: str = "account closed") -> PayoutProviderError:
    return PayoutProviderError(reason, transient=False, code="account_closed")


def connect(tx, provider, artisan) -> Any:
    return accounts.connect_account(tx, provider, artisan, AccountDetails(), return_url="http://x/", now=NOW)


@pytest.fixture
def admin(tx):
    return factories.user(tx, "admin")
