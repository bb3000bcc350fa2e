"""``PAYOUT_PROVIDER=xendit``: Xendit's Payouts API v2 to Indonesian banks and e-wallets.

Why Xendit: Stripe Connect has no self-serve accounts in Indonesia (ARCHITECTURE.md §7); Xendit pays
an Indonesian bank account or e-wallet directly, with no account of the artisan's at the provider.

Why plain HTTP (``requests``) and not the ``xendit-python`` client: we make two calls (create a payout,
list payouts by reference) and read one callback; the client is a generated OpenAPI package (its own
models, configuration object and exceptions) whose version 7 would be a new dependency to track for
two requests, and whose error types we would still have to translate. ``requests`` is already in every
install (the ``stripe`` library's HTTP client, which the payment gateway uses), so the calls, headers and
errors here are exactly those of Xendit's API reference, visible in one screen.

- ``connect``: no remote account exists. The artisan's bank or e-wallet details are checked here
  (:func:`check_details`: a known channel code, digits of a sensible length, an e-wallet's phone
  number, the holder's name); bad ones raise ``ValidationFailed`` with ``fields``. The reference is
  ours: ``xendit:<channel>:<last 4 digits>`` (it changes when the account does).
- ``transfer``: ``POST /v2/payouts`` (Basic auth: the secret key as the user name, no password), the
  ``Idempotency-key`` header, amount in whole rupiah (IDR has no minor unit at Xendit). Xendit answers
  ``ACCEPTED`` and settles by callback, so the transfer is ``pending`` (``paid`` if it already says
  ``SUCCEEDED``). A ``DUPLICATE_ERROR`` (the key was used) is answered by looking the payout up by our
  ``reference_id`` and the key we put in its metadata: a retry after a lost answer gets the payout it
  made, never a second one.
- ``verify_webhook``: the ``x-callback-token`` header compared in constant time with
  ``XENDIT_CALLBACK_TOKEN``; ``payout.succeeded`` → ``transfer.paid``, ``payout.failed`` and
  ``payout.reversed`` → ``transfer.failed`` (permanent when the destination is the problem).
  The body has no event id: ours is ``xendit:<event>:<payout id>`` (a payout succeeds, fails or is
  reversed once, so a redelivery has the same id).

Errors: timeouts, connection errors, 5xx, 429, 401/403 (our key, not the artisan's account) are
transient; a 400 (invalid destination, amount outside the channel's limits…) is permanent with Xendit's
message as the reason.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from marketplace.ops import breakers
from marketplace.errors import ValidationFailed
from marketplace.payouts.providers import (
    AccountDetails,
    Connection,
    InvalidWebhook,
    PayoutProviderError,
    ProviderEvent,
    Transfer,
)

if TYPE_CHECKING:
    import requests

    from marketplace.config import Settings

log = logging.getLogger(__name__)

CALLBACK_TOKEN_HEADER = "x-callback-token"
#: Our ``reference_id`` of a payout: the prefix tells our payouts from others on the same Xendit account.
REFERENCE_PREFIX = "pasar-kreatif-payout-"
MAX_IDEMPOTENCY_KEY = 100  # Xendit's limit on ``Idempotency-key``

BANK, EWALLET = "bank", "ewallet"
#: The channels an artisan can choose: code → (name shown, kind). Xendit's Indonesian payout channels.
CHANNELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "ID_BCA": ("BCA", BANK),
    "ID_BNI": ("BNI", BANK),
    "ID_BRI": ("BRI", BANK),
    "ID_MANDIRI": ("Mandiri", BANK),
    "ID_PERMATA": ("Permata", BANK),
    "ID_CIMB": ("CIMB Niaga", BANK),
    "ID_BSI": ("Bank Syariah Indonesia", BANK),
    "ID_DANAMON": ("Danamon", BANK),
    "ID_BTN": ("BTN", BANK),
    "ID_MAYBANK": ("Maybank", BANK),
    "ID_MEGA": ("Bank Mega", BANK),
    "ID_DBS": ("DBS", BANK),
    "ID_OVO": ("OVO", EWALLET),
    "ID_GOPAY": ("GoPay", EWALLET),
    "ID_DANA": ("DANA", EWALLET),
    "ID_SHOPEEPAY": ("ShopeePay", EWALLET),
    "ID_LINKAJA": ("LinkAja", EWALLET),
})
BANK_DIGITS = (6, 18)  # Indonesian account numbers: 10 (BCA, BNI) to 16 (BTN) digits, a margin each side
HOLDER_NAME_MAX = 100  # Xendit's limit
_PHONE = re.compile(r"08\d{8,11}")  # 10 to 13 digits, the form Xendit asks for (prefix 0)
_SEPARATORS = re.compile(r"[\s.\-()]")

# The messages (message ids; Indonesian in translations/id/payout_providers.json).
CHANNEL_MESSAGE = "Choose a bank or e-wallet from the list."
BANK_NUMBER_MESSAGE = "Enter the account number as 6 to 18 digits."
EWALLET_NUMBER_MESSAGE = "Enter the phone number of the e-wallet account, e.g. 0812 3456 7890."
HOLDER_NAME_MESSAGE = "Enter the account holder's name as the bank or e-wallet knows it (up to 100 characters)."

#: ``failure_code`` of a failed payout → (reason shown, permanent: only a change of account can help).
FAILURES: Mapping[str, tuple[str, bool]] = MappingProxyType({
    "INVALID_DESTINATION": ("The bank or e-wallet account does not exist or cannot receive money.", True),
    "ACCOUNT_NAME_MISMATCH": ("The account holder's name does not match the bank's records.", True),
    "DESTINATION_MAXIMUM_LIMIT": ("The account cannot receive this amount (its limit is lower).", True),
    "TRANSFER_ERROR": ("The payout was refused by the payment provider.", True),
    "INSUFFICIENT_BALANCE": ("The payout is delayed on our side; it will be sent again.", False),
    "REJECTED_BY_CHANNEL": ("The bank or e-wallet rejected the payout for now; it will be sent again.", False),
    "TEMPORARY_TRANSFER_ERROR": ("The bank network had a temporary problem; the payout will be sent again.", False),
    "UNKNOWN_BANK_NETWORK_ERROR": ("The bank network had a problem; the payout will be sent again.", False),
})
REVERSED_REASON = "The bank or e-wallet returned the payout (the account may be closed or dormant)."
UNKNOWN_FAILURE_REASON = "The payout failed at the payment provider; it will be sent again."


# --- the artisan's details -----------------------------------------------------------------------------


def normalize_account_number(channel_code: str, number: str) -> str:
    """Digits only; an e-wallet's ``+62 812…`` / ``62812…`` becomes ``0812…`` (Xendit's standard form)."""
    raw = _SEPARATORS.sub("", number or "")
    if CHANNELS.get(channel_code, ("", BANK))[1] == EWALLET:
        if raw.startswith("+62"):
            raw = "0" + raw[3:]
        elif raw.startswith("62"):
            raw = "0" + raw[2:]
    return raw


def check_details(details: AccountDetails) -> dict[str, list[str]]:
    """What is wrong with ``details`` for a Xendit payout, by field (empty when nothing is).

    The one definition of these rules: a payout-account schema can call it too."""
    errors: dict[str, list[str]] = {}
    channel = (details.channel_code or "").strip().upper()
    if channel not in CHANNELS:
        errors["channel_code"] = [CHANNEL_MESSAGE]
    else:
        number = normalize_account_number(channel, details.account_number or "")
        if CHANNELS[channel][1] == EWALLET:
            if not _PHONE.fullmatch(number):
                errors["account_number"] = [EWALLET_NUMBER_MESSAGE]
        elif not (number.isdigit() and BANK_DIGITS[0] <= len(number) <= BANK_DIGITS[1]):
            errors["account_number"] = [BANK_NUMBER_MESSAGE]
    name = " ".join((details.account_holder_name or "").split())
    if not name or len(name) > HOLDER_NAME_MAX or "\x00" in name:
        errors["account_holder_name"] = [HOLDER_NAME_MESSAGE]
    return errors


def _clean(details: AccountDetails) -> tuple[str, str, str]:
    channel = (details.channel_code or "").strip().upper()
    return (channel, normalize_account_number(channel, details.account_number or ""),
            " ".join((details.account_holder_name or "").split()))


# --- the provider --------------------------------------------------------------------------------------


class XenditProvider:
    """Payouts through Xendit (see the module docstring)."""

    name = "xendit"

    def __init__(self, secret_key: str, callback_token: str, *, api_base: str = "https://api.xendit.co",
                 timeout: float = 20.0, http: requests.Session | None = None):
        if not secret_key:
            raise ValueError("PAYOUT_PROVIDER=xendit needs XENDIT_SECRET_KEY")
        if not callback_token:
            raise ValueError("PAYOUT_PROVIDER=xendit needs XENDIT_CALLBACK_TOKEN")
        self._key = secret_key
        self._token = callback_token.encode("utf-8")
        self.api_base = (api_base or "https://api.xendit.co").rstrip("/")
        self.timeout = timeout
        self._http = http or breakers.session("xendit_payouts")

    @classmethod
    def from_settings(cls, settings: Settings) -> XenditProvider:
        return cls(settings.xendit_secret_key, settings.xendit_callback_token, api_base=settings.xendit_api_base)

    def connect(self, *, shop_id: int, email: str, details: AccountDetails, existing_ref: str | None,
                return_url: str) -> Connection:
        errors = check_details(details)
        if errors:
            raise ValidationFailed(fields=errors)
        channel, number, _ = _clean(details)
        return Connection(status="connected", account_ref=f"xendit:{channel}:{number[-4:]}")

    def transfer(self, *, payout_id: int, amount_idr: int, account_ref: str, details: AccountDetails,
                 transfer_group: str, idempotency_key: str, description: str) -> Transfer:
        if amount_idr <= 0:
            raise ValueError(f"a transfer needs a positive amount, not {amount_idr}")
        if check_details(details):  # the stored details no longer pass: the artisan must fix them
            raise PayoutProviderError(FAILURES["INVALID_DESTINATION"][0], transient=False, code="INVALID_DESTINATION")
        channel, number, holder = _clean(details)
        key = idempotency_key if len(idempotency_key) <= MAX_IDEMPOTENCY_KEY else hashlib.sha256(
            idempotency_key.encode()).hexdigest()
        reference = f"{REFERENCE_PREFIX}{payout_id}"
        body = {
            "reference_id": reference,
            "channel_code": channel,
            "channel_properties": {"account_number": number, "account_holder_name": holder},
            "amount": amount_idr,
            "currency": "IDR",
            "description": (description or f"Pasar Kreatif payout {payout_id}")[:100],
            "metadata": {"payout_id": str(payout_id), "transfer_group": transfer_group, "idempotency_key": key},
        }
        status, answer = self._request("POST", "/v2/payouts", json_body=body, headers={"Idempotency-key": key})
        if status in (200, 201) and isinstance(answer, dict) and answer.get("id"):
            return _transfer_of(answer)
        code = str(answer.get("error_code") or "") if isinstance(answer, dict) else ""
        if code in ("DUPLICATE_ERROR", "DUPLICATE_TRANSACTION_ERROR"):
            return self._find(reference, key)
        raise _error(status, answer)

    def _find(self, reference: str, key: str) -> Transfer:
        """The payout an earlier request with ``key`` made (Xendit refused to make it twice)."""
        status, answer = self._request("GET", "/v2/payouts", params={"reference_id": reference})
        if status != 200 or not isinstance(answer, list):
            raise _error(status, answer)
        for payout in answer:
            if isinstance(payout, dict) and (payout.get("metadata") or {}).get("idempotency_key") == key:
                return _transfer_of(payout)
        raise PayoutProviderError("Xendit says the payout exists but does not list it yet.", transient=True,
                                  code="DUPLICATE_ERROR")

    def _request(self, method: str, path: str, *, json_body: Any = None, params: Mapping[str, str] | None = None,
                 headers: Mapping[str, str] | None = None) -> tuple[int, Any]:
        import requests

        try:
            resp = self._http.request(method, self.api_base + path, json=json_body, params=params,
                                      headers=dict(headers or {}), auth=(self._key, ""), timeout=self.timeout)
        except requests.Timeout as exc:
            raise PayoutProviderError("Xendit did not answer in time.", transient=True, code="timeout") from exc
        except requests.RequestException as exc:
            log.warning("xendit %s %s failed: %r", method, path, exc)
            raise PayoutProviderError("Xendit could not be reached.", transient=True, code="connection") from exc
        try:
            return resp.status_code, resp.json()
        except ValueError:
            return resp.status_code, None

    def verify_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        token = _header(headers, CALLBACK_TOKEN_HEADER)
        if not token or not hmac.compare_digest(token.encode("utf-8"), self._token):
            raise InvalidWebhook("The callback token is missing or wrong.")
        try:
            body = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidWebhook("The callback body is not JSON.") from exc
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(body.get("event"), str) or not isinstance(data, dict) \
                or not isinstance(data.get("id"), str):
            raise InvalidWebhook("The callback is not a Xendit payout event (no event or data.id).")
        return translate_callback(body["event"], data)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # a plain dict from a test or a worker: HTTP header names are case-insensitive
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def _payout_id(reference: Any) -> str | None:
    if isinstance(reference, str) and reference.startswith(REFERENCE_PREFIX):
        rest = reference[len(REFERENCE_PREFIX):]
        return rest if rest.isdigit() else None
    return None


def _failure(code: str | None) -> tuple[str, bool]:
    return FAILURES.get(code or "", (UNKNOWN_FAILURE_REASON, False))


def _transfer_of(payout: Mapping[str, Any]) -> Transfer:
    status = str(payout.get("status") or "")
    if status == "SUCCEEDED":
        return Transfer(transfer_id=payout["id"], status="paid")
    if status in ("FAILED", "CANCELLED", "REVERSED", "COMPLIANCE_REJECTED"):
        # Only a replay of an old key shows these: that payout is over, the caller needs a new key.
        reason, permanent = _failure(payout.get("failure_code"))
        if status == "REVERSED":
            reason, permanent = REVERSED_REASON, True
        raise PayoutProviderError(reason, transient=not permanent, code=str(payout.get("failure_code") or status))
    return Transfer(transfer_id=payout["id"], status="pending")  # ACCEPTED, REQUESTED, under review…


def _error(status: int, answer: Any) -> PayoutProviderError:
    body = answer if isinstance(answer, dict) else {}
    code = str(body.get("error_code") or f"HTTP_{status}")
    message = str(body.get("error_message") or body.get("message") or f"Xendit answered HTTP {status}.")
    transient = status >= 500 or status in (401, 403, 404, 408, 409, 429)
    log.warning("xendit refused the payout: %s %s %s", status, code, message)
    return PayoutProviderError(message, transient=transient, code=code)


def translate_callback(event: str, data: Mapping[str, Any]) -> ProviderEvent:
    """A verified payout callback in our terms (``ignored`` for events or payouts that are not ours)."""
    payout_id = _payout_id(data.get("reference_id"))
    event_id = f"xendit:{event}:{data['id']}"
    if payout_id is None:
        return ProviderEvent(kind="ignored", event_id=event_id)  # a payout made outside this marketplace
    if event == "payout.succeeded":
        return ProviderEvent(kind="transfer.paid", event_id=event_id, transfer_id=data["id"],
                             payout_reference=payout_id)
    if event in ("payout.failed", "payout.reversed"):
        reason, permanent = (REVERSED_REASON, True) if event == "payout.reversed" else _failure(data.get("failure_code"))
        return ProviderEvent(kind="transfer.failed", event_id=event_id, transfer_id=data["id"],
                             payout_reference=payout_id, reason=reason, permanent=permanent)
    return ProviderEvent(kind="ignored", event_id=event_id)
