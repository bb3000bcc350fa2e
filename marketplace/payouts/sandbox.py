"""The sandbox payout provider (``PAYOUT_PROVIDER=sandbox``, the default): offline, and honest about money.

It connects every shop at once (``sbx_acct_<shop id>``) and pays every transfer at once, but it keeps
what a real provider keeps: a durable record of each transfer by idempotency key, written on **its own
connection and committed at once** (:class:`DatabaseTransferStore`), outside the caller's transaction. A
worker killed after the transfer and before its own commit sends the same key again on redelivery and
gets the first transfer back: the artisan is never paid twice.

Where the record lives: the ``sandbox_payout_transfers`` table of the app's database on PostgreSQL
(row locks do not get in the worker's way); on SQLite a file beside the app's database
(``<name>.sandbox-payouts.db``), because SQLite has one writer at a time and the worker holds that lock
while it calls the provider: the same database would wait on itself. Tests of the services use
:class:`MemoryTransferStore`, the same contract without a second connection.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from marketplace.db import make_engine, normalise_url, utcnow
from marketplace.payouts.models import SandboxPayoutTransfer
from marketplace.payouts.providers import (
    AccountDetails,
    Connection,
    InvalidWebhook,
    PayoutProviderError,
    ProviderEvent,
    Transfer,
)

if TYPE_CHECKING:
    from marketplace.config import Settings


@dataclass(frozen=True)
class RecordedTransfer:
    idempotency_key: str
    transfer_id: str
    payout_id: int
    amount_idr: int
    account_ref: str
    transfer_group: str
    created_at: datetime


class TransferStore(Protocol):
    def record(self, transfer: RecordedTransfer) -> RecordedTransfer:
        """Keep ``transfer`` unless its key is known; return the one kept (the first, on a repeat)."""
        ...

    def all(self) -> list[RecordedTransfer]:
        ...


class MemoryTransferStore:
    """The store's contract in memory (one process): for service tests."""

    def __init__(self) -> None:
        self._by_key: dict[str, RecordedTransfer] = {}
        self._lock = threading.Lock()

    def record(self, transfer: RecordedTransfer) -> RecordedTransfer:
        with self._lock:
            return self._by_key.setdefault(transfer.idempotency_key, transfer)

    def all(self) -> list[RecordedTransfer]:
        return sorted(self._by_key.values(), key=lambda t: t.created_at)


def sandbox_store_url(database_url: str) -> str:
    """Where the sandbox keeps its transfers for the app database ``database_url`` (see the module doc)."""
    url = normalise_url(database_url)
    if not url.startswith("sqlite"):
        return url
    path = url.split("///", 1)[-1]
    if not path or path == ":memory:":
        return "sqlite://"
    target = Path(path)
    return f"sqlite:///{target.with_name(target.stem + '.sandbox-payouts.db')}"


class DatabaseTransferStore:
    """Transfers in ``sandbox_payout_transfers``, each committed on the store's own connection.

    The store is built lazily by whoever holds the provider (an app's ``extensions``, a worker) and is
    never told when that owner goes away, so it keeps no pool: each call opens its connection and closes
    it (``NullPool``). A pooled connection would outlive a discarded app until the garbage collector
    found it, and psycopg then warns of a connection deleted while still open. An in-memory SQLite
    database lives only as long as its one connection, so ``sqlite://`` keeps SQLAlchemy's default.
    """

    def __init__(self, url: str):
        self.url = url
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = make_engine(self.url, **({} if self.url == "sqlite://" else {"poolclass": NullPool}))
                if self._engine.dialect.name == "sqlite":  # its own file: the provider's schema is its own
                    SandboxPayoutTransfer.__table__.create(self._engine, checkfirst=True)
            return self._engine

    def _find(self, key: str) -> RecordedTransfer | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(SandboxPayoutTransfer.__table__)
                               .where(SandboxPayoutTransfer.idempotency_key == key)).mappings().first()
        if row is None:
            return None
        return RecordedTransfer(row["idempotency_key"], row["transfer_id"], row["payout_id"], row["amount_idr"],
                                row["account_ref"], row["transfer_group"], row["created_at"])

    def record(self, transfer: RecordedTransfer) -> RecordedTransfer:
        found = self._find(transfer.idempotency_key)
        if found is not None:
            return found
        try:
            with self.engine.begin() as conn:  # committed here, whatever the caller's transaction does
                conn.execute(SandboxPayoutTransfer.__table__.insert().values(
                    idempotency_key=transfer.idempotency_key, transfer_id=transfer.transfer_id,
                    payout_id=transfer.payout_id, amount_idr=transfer.amount_idr,
                    account_ref=transfer.account_ref, transfer_group=transfer.transfer_group,
                    description="", created_at=transfer.created_at,
                ))
        except IntegrityError:  # the same key at the same moment from another process: theirs is first
            pass
        found = self._find(transfer.idempotency_key)
        assert found is not None
        return found

    def all(self) -> list[RecordedTransfer]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(SandboxPayoutTransfer.__table__).order_by(SandboxPayoutTransfer.id)).mappings()
            return [RecordedTransfer(r["idempotency_key"], r["transfer_id"], r["payout_id"], r["amount_idr"],
                                     r["account_ref"], r["transfer_group"], r["created_at"]) for r in rows]

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


class SandboxPayoutProvider:
    """Connected at once, paid at once, never twice for one idempotency key (see the module doc)."""

    name = "sandbox"

    def __init__(self, store: TransferStore):
        self.store = store

    @classmethod
    def from_settings(cls, settings: "Settings") -> "SandboxPayoutProvider":
        return cls(DatabaseTransferStore(sandbox_store_url(settings.database_url)))

    def connect(self, *, shop_id: int, email: str, details: AccountDetails, existing_ref: str | None,
                return_url: str) -> Connection:
        return Connection(status="connected", account_ref=existing_ref or f"sbx_acct_{shop_id}")

    def transfer(self, *, payout_id: int, amount_idr: int, account_ref: str, details: AccountDetails,
                 transfer_group: str, idempotency_key: str, description: str) -> Transfer:
        if amount_idr <= 0:
            raise PayoutProviderError("the amount must be positive", transient=False, code="invalid_amount")
        kept = self.store.record(RecordedTransfer(
            idempotency_key=idempotency_key, transfer_id="tr_sbx_" + uuid.uuid4().hex[:20], payout_id=payout_id,
            amount_idr=amount_idr, account_ref=account_ref, transfer_group=transfer_group, created_at=utcnow(),
        ))
        if kept.amount_idr != amount_idr or kept.account_ref != account_ref:
            # As Stripe answers a reused key with other parameters: a bug on our side, never a payment.
            raise PayoutProviderError(f"idempotency key {idempotency_key} was used for another transfer",
                                      transient=False, code="idempotency_key_reused")
        return Transfer(transfer_id=kept.transfer_id, status="paid")

    def verify_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        raise InvalidWebhook("the sandbox payout provider sends no webhooks")

    def recorded_transfers(self) -> list[RecordedTransfer]:
        """What the sandbox paid (for reconciliation): the provider's own side of the books."""
        return self.store.all()
