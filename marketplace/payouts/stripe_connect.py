"""``PAYOUT_PROVIDER=stripe_connect``: Express connected accounts, account links and transfers.

Through the real ``stripe`` library, one ``StripeClient`` per process, built as the payment gateway
builds its own (``marketplace.payments.gateways``): ``STRIPE_API_KEY`` (the platform's key: the
transfers come out of the balance the charges went into), ``STRIPE_API_BASE`` for the loopback server
in tests, the library's own network retries (they resend the same ``Idempotency-Key``).

- ``connect``: an Express account (``capabilities.transfers`` requested, country
  ``STRIPE_CONNECT_COUNTRY``, default ``SG``) is created on the first call and an Account Link
  (``account_onboarding``) sends the artisan to Stripe's form; later calls read the account back. The
  account is ``connected`` once its ``transfers`` capability is ``active``; ``restricted`` when the
  artisan has submitted the form but Stripe stopped transfers (a new link lets them fix it).
  Why ``SG`` and not ``ID``: Stripe has no self-serve Connect accounts in Indonesia, and cross-border
  payouts reach only the US, UK, EEA, Canada and Switzerland; an Indonesian artisan with no account
  abroad is paid by the ``xendit`` provider instead (ARCHITECTURE.md §7). A platform paying accounts
  in another country than its own must use Stripe's ``recipient`` service agreement: not done here.
- ``transfer``: ``transfers.create`` with rupiah × 100 (Stripe counts IDR in hundredths; this is the
  only conversion), ``transfer_group`` and our idempotency key; a transfer is final when created, so
  it is ``paid``.
- ``verify_webhook``: Stripe's signature scheme with ``STRIPE_CONNECT_WEBHOOK_SECRET`` (a Connect
  endpoint has its own secret), through ``marketplace.payments.stripe_events`` (the one reader of Stripe's
  signature and event envelope, shared with the payment webhooks).

Errors: the network, timeouts, 409 (a concurrent request with the same key), 429, 5xx and
``balance_insufficient`` (the charge's money is not available yet) are transient; an authentication or
permission error too (our configuration is wrong, the artisan's account is not: the payout must wait,
not fail). Other refusals (an account that cannot receive transfers…) are permanent, with Stripe's
message as the reason.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from marketplace.ops import breakers
from marketplace.payments.gateways import STRIPE_IDR_FACTOR
from marketplace.payments.stripe_events import InvalidPayload, InvalidSignature, event_object, verify_stripe_signature
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

log = logging.getLogger(__name__)

#: Stripe error codes that waiting can cure (the platform's available balance grows as charges settle).
TRANSIENT_CODES = frozenset({"balance_insufficient", "lock_timeout", "rate_limit"})


class StripeConnectProvider:
    """Payouts to artisans' Express accounts (see the module docstring)."""

    name = "stripe_connect"

    def __init__(self, api_key: str, webhook_secret: str, *, country: str = "SG", api_base: str = "",
                 timeout: float = 20.0, max_network_retries: int = 2):
        import stripe

        if not api_key:
            raise ValueError("PAYOUT_PROVIDER=stripe_connect needs STRIPE_API_KEY")
        if not webhook_secret:
            raise ValueError("PAYOUT_PROVIDER=stripe_connect needs STRIPE_CONNECT_WEBHOOK_SECRET")
        self.webhook_secret = webhook_secret
        self.country = country.upper()
        base_addresses: dict[str, str] = {"api": api_base.rstrip("/")} if api_base else {}
        self._client = stripe.StripeClient(
            api_key,
            base_addresses=base_addresses,  # type: ignore[arg-type]
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout, session=breakers.session("stripe_connect")),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeConnectProvider:
        return cls(settings.stripe_api_key, settings.stripe_connect_webhook_secret,
                   country=settings.stripe_connect_country or "SG", api_base=settings.stripe_api_base)

    # --- calls ------------------------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        """``fn`` (a client method) as a plain dict; a ``stripe.StripeError`` as a ``PayoutProviderError``."""
        import stripe

        try:
            return fn(*args, **kwargs).to_dict()
        except stripe.StripeError as exc:
            log.warning("stripe connect: %s failed: %r", what, exc)
            raise translate_error(what, exc) from exc

    def connect(self, *, shop_id: int, email: str, details: AccountDetails, existing_ref: str | None,
                return_url: str) -> Connection:
        if existing_ref is None:
            account = self._call(
                "create the payout account", self._client.v1.accounts.create,
                params={
                    "type": "express",
                    "country": self.country,
                    "email": email,
                    "capabilities": {"transfers": {"requested": True}},
                    "metadata": {"shop_id": str(shop_id)},
                },
                # A retried connect (timeout, double click) gets the same account back, not a second one
                # (the e-mail is in the key: the same key with other parameters is refused by Stripe).
                options={"idempotency_key": f"shop-{shop_id}-connect-{_digest(email)}"},
            )
        else:
            account = self._call("read the payout account", self._client.v1.accounts.retrieve, existing_ref)
        status = account_status(account)
        if status == "connected":
            return Connection(status="connected", account_ref=account["id"])
        link = self._call(
            "start the onboarding", self._client.v1.account_links.create,
            params={"account": account["id"], "type": "account_onboarding",
                    "refresh_url": return_url, "return_url": return_url},
        )
        return Connection(status=status, account_ref=account["id"], onboarding_url=link["url"])

    def transfer(self, *, payout_id: int, amount_idr: int, account_ref: str, details: AccountDetails,
                 transfer_group: str, idempotency_key: str, description: str) -> Transfer:
        if amount_idr <= 0:
            raise ValueError(f"a transfer needs a positive amount, not {amount_idr}")
        transfer = self._call(
            "send the payout", self._client.v1.transfers.create,
            params={
                "amount": amount_idr * STRIPE_IDR_FACTOR,
                "currency": "idr",
                "destination": account_ref,
                "transfer_group": transfer_group,
                "description": description,
                "metadata": {"payout_id": str(payout_id)},
            },
            options={"idempotency_key": idempotency_key},
        )
        return Transfer(transfer_id=transfer["id"], status="paid")

    # --- webhooks ---------------------------------------------------------------------------------------

    def verify_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        try:
            event = verify_stripe_signature(payload, headers, self.webhook_secret)
        except (InvalidSignature, InvalidPayload) as exc:
            raise InvalidWebhook(exc.message) from exc
        return translate_event(event)


def _digest(text: str) -> str:
    return hashlib.sha256(text.strip().lower().encode("utf-8")).hexdigest()[:16]


def account_status(account: Mapping[str, Any]) -> str:
    """``connected`` when Stripe lets us transfer to it; ``restricted`` when the artisan finished the
    form but transfers are off; ``onboarding`` while the form is unfinished."""
    if can_receive(account):
        return "connected"
    return "restricted" if account.get("details_submitted") else "onboarding"


def can_receive(account: Mapping[str, Any]) -> bool:
    """Whether a transfer to the account would be accepted: its ``transfers`` capability is ``active``.
    Not ``payouts_enabled``: that is the account's own payouts to its bank, which Stripe runs on the
    account's schedule; money we transfer waits in its balance until then, it is not lost."""
    capabilities = account.get("capabilities") or {}
    return capabilities.get("transfers") == "active"


def translate_event(event: Mapping[str, Any]) -> ProviderEvent:
    """A verified Stripe event in our terms.

    - ``account.updated``: the account's ``transfers`` capability decides ``can_receive``.
    - ``account.application.deauthorized``: the artisan disconnected the account from our platform;
      it can no longer be paid (the event's ``account`` names it).
    - ``transfer.reversed`` when the whole amount came back: ``transfer.failed``, permanent (someone
      reversed it in the Dashboard; the payout is owed again). A partial reversal cannot be told as one
      of our events (the payout would be owed in full again): ignored here and logged, for the
      reconciliation to show.
    - anything else (``transfer.created``: ``transfer`` already answered ``paid``): ``ignored``.
    """
    obj = event_object(event)
    kind = event["type"]
    if kind == "account.updated":
        return ProviderEvent(kind="account.updated", event_id=event["id"], account_ref=obj.get("id"),
                             can_receive=can_receive(obj))
    if kind == "account.application.deauthorized" and isinstance(event.get("account"), str):
        return ProviderEvent(kind="account.updated", event_id=event["id"], account_ref=event["account"],
                             can_receive=False)
    if kind == "transfer.reversed":
        amount, reversed_amount = obj.get("amount") or 0, obj.get("amount_reversed") or 0
        if reversed_amount >= amount > 0:
            return ProviderEvent(
                kind="transfer.failed", event_id=event["id"], transfer_id=obj.get("id"),
                payout_reference=(obj.get("metadata") or {}).get("payout_id"),
                account_ref=obj.get("destination"), reason="The transfer was reversed at Stripe.", permanent=True,
            )
        log.warning("stripe connect: transfer %s partly reversed (%s of %s hundredths): reconcile by hand",
                    obj.get("id"), reversed_amount, amount)
    return ProviderEvent(kind="ignored", event_id=event["id"])


def translate_error(what: str, exc: Exception) -> PayoutProviderError:
    """A ``stripe.StripeError`` as a ``PayoutProviderError``: transient when retrying can help."""
    import stripe

    body = getattr(exc, "json_body", None)
    error = body.get("error") if isinstance(body, dict) else None
    code = getattr(exc, "code", None) or (error.get("code") if isinstance(error, dict) else None) or ""
    status = getattr(exc, "http_status", None)
    message = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
    transient = (
        isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError,
                         stripe.AuthenticationError, stripe.PermissionError))
        or status is None or status >= 500 or status in (409, 429)
        or code in TRANSIENT_CODES
    )
    if isinstance(exc, stripe.IdempotencyError):
        transient = False  # the same key with other parameters: a bug, retrying repeats it
    return PayoutProviderError(f"Stripe could not {what}: {message}", transient=transient,
                               code=code or type(exc).__name__)
