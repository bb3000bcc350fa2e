"""The ``PayoutProvider`` interface (ARCHITECTURE.md §7) and the factory that picks one by ``PAYOUT_PROVIDER``.

Provider specifics stay behind this interface: the ledger, the payout services and the payouts worker
only see ``Connection``, ``Transfer``, ``ProviderEvent`` and ``PayoutProviderError``. Implementations:

- ``sandbox`` (default, offline): ``marketplace/payouts/sandbox.py`` — connects at once, transfers are
  recorded durably by idempotency key (like a real provider) so a retried transfer is never paid twice.
- ``stripe_connect``: ``marketplace/payouts/stripe_connect.py`` — Express accounts + account links, transfers
  with ``transfer_group`` = order id and the idempotency key; ``account.updated`` webhooks.
- ``xendit``: ``marketplace/payouts/xendit.py`` — Payouts API v2 to Indonesian banks and e-wallets with the
  ``Idempotency-key`` header; payout status callbacks verified with the callback token.

No module here imports Flask. Amounts are integer rupiah; a provider converts at its own boundary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from marketplace.config import Settings

PROVIDERS: Mapping[str, str] = MappingProxyType({
    "sandbox": "marketplace.payouts.sandbox:SandboxPayoutProvider",
    "stripe_connect": "marketplace.payouts.stripe_connect:StripeConnectProvider",
    "xendit": "marketplace.payouts.xendit:XenditProvider",
})

#: A payout account's states: ``onboarding`` (the artisan must finish the provider's form), ``connected``
#: (can receive transfers), ``restricted`` (the provider stopped transfers: fix the account).
ACCOUNT_STATUSES = ("onboarding", "connected", "restricted")


@dataclass(frozen=True)
class AccountDetails:
    """What the artisan entered for a bank or e-wallet payout (Xendit); empty for sandbox and Stripe."""

    channel_code: str | None = None  # e.g. "ID_BCA", "ID_GOPAY"
    account_number: str | None = None
    account_holder_name: str | None = None


@dataclass(frozen=True)
class Connection:
    """The answer to ``connect``: the provider's account reference and whether it can be paid yet."""

    status: str  # one of ACCOUNT_STATUSES
    account_ref: str  # e.g. Stripe "acct_…"; for Xendit a reference of ours (no remote account exists)
    onboarding_url: str | None = None  # where to send the artisan while ``onboarding``


@dataclass(frozen=True)
class Transfer:
    """The answer to ``transfer``. ``paid``: the money moved (Stripe transfer, sandbox); ``pending``: the
    provider accepted it and a webhook will settle it (Xendit ``ACCEPTED``)."""

    transfer_id: str
    status: str  # "paid" | "pending"


@dataclass(frozen=True)
class ProviderEvent:
    """A verified provider webhook, in our terms.

    kind: ``account.updated`` (``account_ref``, ``can_receive``), ``transfer.paid`` or ``transfer.failed``
    (``transfer_id`` and/or ``payout_reference`` = the payout id we sent, ``reason`` when failed,
    ``permanent`` when retrying cannot help, e.g. a closed bank account), or ``ignored`` for an event
    type that needs nothing from us.
    """

    kind: str
    event_id: str  # the provider's id for this delivery, recorded once (a redelivery changes nothing)
    account_ref: str | None = None
    can_receive: bool | None = None
    transfer_id: str | None = None
    payout_reference: str | None = None
    reason: str | None = None
    permanent: bool = False


class PayoutProviderError(Exception):
    """A transfer or connect call that did not succeed.

    ``transient`` (timeout, 5xx, 429): retry later with the same idempotency key. Otherwise permanent
    (closed account, invalid destination): the payout is marked failed with ``reason`` and the artisan is
    asked to fix the account.
    """

    def __init__(self, reason: str, *, transient: bool, code: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.code = code


class InvalidWebhook(Exception):
    """A provider webhook whose signature or token does not verify, or whose body is not the provider's
    format. The web layer answers 400 and changes nothing."""


class PayoutProvider(Protocol):
    name: str

    def connect(self, *, shop_id: int, email: str, details: AccountDetails, existing_ref: str | None,
                return_url: str) -> Connection:
        """Create (or resume onboarding of) the shop's payout account. Raises
        ``marketplace.errors.ValidationFailed`` (with ``fields``) for details the provider would refuse
        (unknown channel code, malformed account number), ``PayoutProviderError`` when the call fails."""
        ...

    def transfer(self, *, payout_id: int, amount_idr: int, account_ref: str, details: AccountDetails,
                 transfer_group: str, idempotency_key: str, description: str) -> Transfer:
        """Send ``amount_idr`` (> 0) to the account. The same ``idempotency_key`` never pays twice."""
        ...

    def verify_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Check the signature / callback token and translate the body; ``InvalidWebhook`` otherwise."""
        ...


def provider_from_settings(settings: "Settings") -> PayoutProvider:
    """The provider ``PAYOUT_PROVIDER`` names, built from settings (a factory: nothing at import time)."""
    name = getattr(settings, "payout_provider", "sandbox") or "sandbox"
    try:
        target = PROVIDERS[name]
    except KeyError:
        raise ValueError(f"PAYOUT_PROVIDER={name!r}: expected one of {', '.join(PROVIDERS)}") from None
    module_name, class_name = target.split(":")
    cls = getattr(import_module(module_name), class_name)
    return cls.from_settings(settings)
