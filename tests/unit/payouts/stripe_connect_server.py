"""The Stripe API as far as Connect payouts use it, on loopback, answering with Stripe's own fixtures
(``../shared/stripe/fixtures3.json``: ``account``, ``account_link``, ``transfer``) adjusted to the request.

It checks what a real Stripe checks and our tests rely on: the API key, the idempotency key (the same
key gives the same account or transfer back), that a transfer goes to an account whose ``transfers``
capability is active (otherwise Stripe's own ``insufficient_capabilities_for_transfer`` refusal).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.unit.payments.stripe_server import _fixtures
from tests.unit.payouts.loopback import Answer, Loopback, Recorded, serve

API_KEY = "sk_test_loopback"


def _error(status: int, message: str, *, type_: str = "invalid_request_error", code: str | None = None,
           param: str | None = None, headers: dict[str, str] | None = None) -> Answer:
    error: dict[str, Any] = {"type": type_, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return status, {"error": error}, headers or {}


def failure(what: str) -> Answer:
    if what == "500":
        return _error(500, "Stripe had a hiccup", type_="api_error", headers={"Stripe-Should-Retry": "true"})
    if what == "429":
        return _error(429, "Too many requests hit the API too quickly.", code="rate_limit")
    if what == "balance":
        return _error(400, "You have insufficient available funds in your Stripe account.", code="balance_insufficient")
    raise AssertionError(f"unknown failure {what!r}")


def _metadata(form: dict[str, str]) -> dict[str, str]:
    return {k[len("metadata["):-1]: v for k, v in form.items() if k.startswith("metadata[")}


def _id(prefix: str, key: str) -> str:
    return prefix + hashlib.sha256(key.encode()).hexdigest()[:16]


def route(stub: Loopback, req: Recorded) -> Answer:
    resources = stub.state.setdefault("fixtures", _fixtures())
    accounts: dict[str, dict[str, Any]] = stub.state.setdefault("accounts", {})
    transfers: dict[str, dict[str, Any]] = stub.state.setdefault("transfers", {})
    if req.headers.get("authorization") != f"Bearer {API_KEY}":
        return _error(401, "Invalid API Key provided: sk_****", type_="invalid_request_error")
    form, key = req.form, req.headers.get("idempotency-key", "")
    if req.method == "POST" and req.path == "/v1/accounts":
        account_id = _id("acct_", key or str(len(accounts)))
        if account_id not in accounts:
            account = copy.deepcopy(resources["account"])
            account.update(id=account_id, type=form.get("type"), country=form.get("country"), email=form.get("email"),
                           capabilities={"transfers": "inactive"}, details_submitted=False, charges_enabled=False,
                           payouts_enabled=False, metadata=_metadata(form))
            accounts[account_id] = account
        return 200, accounts[account_id], {}
    if req.method == "GET" and req.path.startswith("/v1/accounts/"):
        account_id = req.path.rsplit("/", 1)[1]
        if account_id not in accounts:
            return _error(404, f"No such account: '{account_id}'", code="resource_missing", param="account")
        return 200, accounts[account_id], {}
    if req.method == "POST" and req.path == "/v1/account_links":
        if form.get("account") not in accounts:
            return _error(400, f"No such account: '{form.get('account')}'", code="resource_missing", param="account")
        link = copy.deepcopy(resources["account_link"])
        link["url"] = f"https://connect.stripe.com/setup/e/{form['account']}/{len(stub.requests)}"
        return 200, link, {}
    if req.method == "POST" and req.path == "/v1/transfers":
        if key and key in transfers:  # Stripe's idempotency: the same key, the same transfer
            return 200, transfers[key], {}
        destination = accounts.get(form.get("destination", ""))
        if destination is None or (destination.get("capabilities") or {}).get("transfers") != "active":
            return _error(400, "Your destination account needs to have at least one of the following capabilities "
                               "enabled: transfers, crypto_transfers, legacy_payments",
                          code="insufficient_capabilities_for_transfer", param="destination")
        transfer = copy.deepcopy(resources["transfer"])
        transfer.update(id=_id("tr_", key), amount=int(form["amount"]), currency=form["currency"],
                        destination=form["destination"], transfer_group=form.get("transfer_group"),
                        description=form.get("description"), metadata=_metadata(form))
        transfers[key] = transfer
        return 200, transfer, {}
    return _error(404, f"Unrecognized request URL ({req.method}: {req.path})")


@contextmanager
def stripe_connect() -> Iterator[Loopback]:
    with serve(route, failure) as stub:
        yield stub


def activate(stub: Loopback, account_id: str) -> None:
    """What Stripe does when the artisan finishes onboarding."""
    account = stub.state["accounts"][account_id]
    account.update(details_submitted=True, payouts_enabled=True, capabilities={"transfers": "active"})
