"""The Stripe Connect payout provider through the real ``stripe`` library against a loopback Stripe that
answers with Stripe's own fixtures: the account and onboarding link an artisan gets, the transfer we
send (rupiah × 100, IDR, destination, group, our idempotency key), which failures are worth a retry,
and Connect webhooks verified with Stripe's signature scheme."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from marketplace.config import Settings
from marketplace.payments.stripe_events import sign_payload
from marketplace.payouts.providers import AccountDetails, InvalidWebhook, PayoutProviderError, provider_from_settings
from marketplace.payouts.stripe_connect import StripeConnectProvider
from tests.unit.payments.stripe_server import _fixtures
from tests.unit.payouts import stripe_connect_server
from tests.unit.payouts.loopback import Loopback

SECRET = "whsec_connect_loopback"
RETURN = "https://pasar.example/seller/payouts/account"


@pytest.fixture
def stub() -> Iterator[Loopback]:
    with stripe_connect_server.stripe_connect() as stub:
        yield stub


def provider(stub: Loopback, **kw) -> StripeConnectProvider:
    settings = Settings(stripe_api_key=stripe_connect_server.API_KEY, stripe_connect_webhook_secret=SECRET,
                        stripe_api_base=stub.url)
    if not kw:
        made = provider_from_settings(replace(settings, payout_provider="stripe_connect"))
        assert isinstance(made, StripeConnectProvider)
        return made
    return StripeConnectProvider(stripe_connect_server.API_KEY, SECRET, api_base=stub.url, **kw)


def connect(p: StripeConnectProvider, existing_ref: str | None = None, shop_id: int = 7):
    return p.connect(shop_id=shop_id, email="sari@example.id", details=AccountDetails(), existing_ref=existing_ref,
                     return_url=RETURN)


def transfer(p: StripeConnectProvider, account_ref: str, key: str = "payout-42-transfer", amount_idr: int = 247_500):
    return p.transfer(payout_id=42, amount_idr=amount_idr, account_ref=account_ref, details=AccountDetails(),
                      transfer_group="order-9", idempotency_key=key, description="Pasar Kreatif payout 42")


def posts(stub: Loopback, path: str):
    return [r for r in stub.requests if r.method == "POST" and r.path == path]


def connected_account(stub: Loopback) -> str:
    ref = connect(provider(stub)).account_ref
    stripe_connect_server.activate(stub, ref)
    return ref


# --- connect ---------------------------------------------------------------------------------------------


def test_a_first_connect_creates_an_express_account_and_sends_the_artisan_to_onboarding(stub):
    connection = connect(provider(stub))

    [created] = posts(stub, "/v1/accounts")
    assert created.headers["authorization"] == f"Bearer {stripe_connect_server.API_KEY}"
    assert created.form == {"type": "express", "country": "SG", "email": "sari@example.id",
                            "capabilities[transfers][requested]": "true", "metadata[shop_id]": "7"}
    assert created.headers["idempotency-key"].startswith("shop-7-connect-")
    [link] = posts(stub, "/v1/account_links")
    assert link.form == {"account": connection.account_ref, "type": "account_onboarding",
                         "refresh_url": RETURN, "return_url": RETURN}
    assert connection.status == "onboarding" and connection.account_ref.startswith("acct_")
    assert connection.onboarding_url.startswith(f"https://connect.stripe.com/setup/e/{connection.account_ref}/")


def test_the_country_comes_from_settings_and_keys_are_required():
    made = StripeConnectProvider.from_settings(Settings(stripe_api_key="sk", stripe_connect_webhook_secret=SECRET,
                                                        stripe_connect_country="us"))
    assert made.country == "US"
    assert Settings.from_env({}).stripe_connect_country == "SG"
    with pytest.raises(ValueError, match="STRIPE_API_KEY"):
        StripeConnectProvider.from_settings(Settings(stripe_connect_webhook_secret=SECRET))
    with pytest.raises(ValueError, match="STRIPE_CONNECT_WEBHOOK_SECRET"):
        StripeConnectProvider.from_settings(Settings(stripe_api_key="sk"))


def test_a_retried_first_connect_gets_the_same_account_back(stub):
    p = provider(stub)
    first, again = connect(p), connect(p)  # a double click, or a retry after a lost answer
    assert first.account_ref == again.account_ref and len(stub.state["accounts"]) == 1


def test_resuming_an_unfinished_onboarding_reads_the_account_and_gives_a_fresh_link(stub):
    p = provider(stub)
    ref = connect(p).account_ref
    resumed = connect(p, existing_ref=ref)
    assert [r.path for r in stub.requests if r.method == "GET"] == [f"/v1/accounts/{ref}"]
    assert len(posts(stub, "/v1/accounts")) == 1  # no second account
    assert resumed.status == "onboarding" and resumed.account_ref == ref and resumed.onboarding_url


def test_an_account_whose_transfers_are_active_is_connected_without_a_link(stub):
    p = provider(stub)
    ref = connected_account(stub)
    links_before = len(posts(stub, "/v1/account_links"))
    assert connect(p, existing_ref=ref).__dict__ == {"status": "connected", "account_ref": ref, "onboarding_url": None}
    assert len(posts(stub, "/v1/account_links")) == links_before


def test_a_submitted_account_with_transfers_stopped_is_restricted_with_a_link_to_fix_it(stub):
    p = provider(stub)
    ref = connect(p).account_ref
    stub.state["accounts"][ref].update(details_submitted=True, capabilities={"transfers": "inactive"})
    restricted = connect(p, existing_ref=ref)
    assert restricted.status == "restricted" and restricted.onboarding_url


def test_an_unknown_account_is_a_permanent_error_with_stripes_message(stub):
    with pytest.raises(PayoutProviderError) as err:
        connect(provider(stub), existing_ref="acct_gone")
    assert not err.value.transient and "No such account: 'acct_gone'" in err.value.reason


# --- transfer --------------------------------------------------------------------------------------------


def test_a_transfer_sends_idr_hundredths_to_the_account_with_our_key_and_group(stub):
    ref = connected_account(stub)
    result = transfer(provider(stub), ref, amount_idr=247_500)

    [sent] = posts(stub, "/v1/transfers")
    assert sent.form == {"amount": "24750000", "currency": "idr", "destination": ref, "transfer_group": "order-9",
                         "description": "Pasar Kreatif payout 42", "metadata[payout_id]": "42"}
    assert sent.headers["idempotency-key"] == "payout-42-transfer"
    assert result.status == "paid" and result.transfer_id.startswith("tr_")
    assert stub.state["transfers"]["payout-42-transfer"]["amount"] == 24_750_000  # the fixture, adjusted


def test_a_retry_after_a_500_reuses_the_key_and_pays_once(stub):
    ref = connected_account(stub)
    p = provider(stub, max_network_retries=0)
    stub.script = ["500"]
    with pytest.raises(PayoutProviderError) as err:
        transfer(p, ref)
    assert err.value.transient
    first = transfer(p, ref)  # the worker's retry
    again = transfer(p, ref)  # a redelivered event that got this far
    assert [r.headers["idempotency-key"] for r in posts(stub, "/v1/transfers")] == ["payout-42-transfer"] * 3
    assert first == again and len(stub.state["transfers"]) == 1


def test_the_librarys_own_retry_after_a_500_sends_the_same_key(stub):
    ref = connected_account(stub)
    stub.script = ["500"]
    result = transfer(provider(stub, max_network_retries=1), ref)
    assert {r.headers["idempotency-key"] for r in posts(stub, "/v1/transfers")} == {"payout-42-transfer"}
    assert len(posts(stub, "/v1/transfers")) == 2 and result.status == "paid"


def test_a_timeout_is_transient_and_the_retry_pays_once(stub):
    ref = connected_account(stub)
    stub.script, stub.timeout_seconds = ["timeout"], 1.0
    with pytest.raises(PayoutProviderError) as err:
        transfer(provider(stub, max_network_retries=0, timeout=0.3), ref)
    assert err.value.transient
    # The retry (the next attempt of the payout, with the same idempotency key) waits as production
    # does: a 0.3 s budget for it too failed a loaded CI run while the stub still slept on the first.
    retried = transfer(provider(stub, max_network_retries=0), ref)
    assert retried.status == "paid" and len(stub.state["transfers"]) == 1


@pytest.mark.parametrize("what, code", [("429", "rate_limit"), ("balance", "balance_insufficient")])
def test_rate_limits_and_a_balance_not_yet_available_are_transient(stub, what, code):
    ref = connected_account(stub)
    stub.script = [what]
    with pytest.raises(PayoutProviderError) as err:
        transfer(provider(stub, max_network_retries=0), ref)
    assert err.value.transient and err.value.code == code


def test_an_account_that_cannot_receive_transfers_is_a_permanent_failure_with_stripes_reason(stub):
    ref = connect(provider(stub)).account_ref  # onboarding unfinished: transfers inactive
    with pytest.raises(PayoutProviderError) as err:
        transfer(provider(stub), ref)
    assert not err.value.transient and err.value.code == "insufficient_capabilities_for_transfer"
    assert "needs to have at least one of the following capabilities enabled: transfers" in err.value.reason
    assert stub.state["transfers"] == {}


def test_a_wrong_api_key_waits_rather_than_failing_the_artisans_payout(stub):
    p = StripeConnectProvider("sk_test_wrong", SECRET, api_base=stub.url, max_network_retries=0)
    with pytest.raises(PayoutProviderError) as err:
        transfer(p, "acct_x")
    assert err.value.transient and err.value.code == "AuthenticationError"


# --- webhooks --------------------------------------------------------------------------------------------


def _event(type_: str, obj: dict, **extra) -> bytes:
    event = copy.deepcopy(_fixtures()["event"])
    event.update(id=f"evt_{type_.replace('.', '_')}", type=type_, data={"object": obj}, **extra)
    return json.dumps(event).encode()


def _account(transfers: str) -> dict:
    account = copy.deepcopy(_fixtures()["account"])
    account.update(id="acct_sari", capabilities={"card_payments": "inactive", "transfers": transfers})
    return account


def _signed(payload: bytes, secret: str = SECRET, age: int = 0) -> dict[str, str]:
    return {"Stripe-Signature": sign_payload(payload, secret, int(time.time()) - age)}


@pytest.mark.parametrize("transfers, can_receive", [("active", True), ("inactive", False), ("pending", False)])
def test_a_signed_account_updated_says_whether_the_account_can_receive(stub, transfers, can_receive):
    payload = _event("account.updated", _account(transfers), account="acct_sari")
    event = provider(stub).verify_webhook(payload, _signed(payload))
    assert (event.kind, event.event_id, event.account_ref, event.can_receive) == (
        "account.updated", "evt_account_updated", "acct_sari", can_receive)


@pytest.mark.parametrize("case", ["wrong_secret", "tampered", "stale", "missing", "payments_secret"])
def test_forged_tampered_stale_or_missing_signatures_are_refused(stub, case):
    payload = _event("account.updated", _account("active"))
    headers = {
        "wrong_secret": _signed(payload, "whsec_attacker"),
        "tampered": _signed(payload.replace(b'"inactive"', b'"active"').replace(b"acct_sari", b"acct_evil")),
        "stale": _signed(payload, age=301),  # beyond Stripe's 300 s tolerance
        "missing": {},
        "payments_secret": _signed(payload, "whsec_payments_endpoint"),  # the other endpoint's secret
    }[case]
    with pytest.raises(InvalidWebhook):
        provider(stub).verify_webhook(payload, headers)


def test_a_signed_body_that_is_not_an_event_is_refused(stub):
    payload = b'{"hello": "world"}'
    with pytest.raises(InvalidWebhook):
        provider(stub).verify_webhook(payload, _signed(payload))


def test_a_fully_reversed_transfer_fails_the_payout_for_good_and_a_partial_one_is_left_alone(stub):
    tr = copy.deepcopy(_fixtures()["transfer"])
    tr.update(id="tr_1", amount=24_750_000, amount_reversed=24_750_000, destination="acct_sari",
              metadata={"payout_id": "42"}, reversed=True)
    payload = _event("transfer.reversed", tr)
    event = provider(stub).verify_webhook(payload, _signed(payload))
    assert (event.kind, event.transfer_id, event.payout_reference, event.permanent) == (
        "transfer.failed", "tr_1", "42", True)
    assert event.reason

    tr.update(amount_reversed=1_000_000, reversed=False)
    payload = _event("transfer.reversed", tr)
    assert provider(stub).verify_webhook(payload, _signed(payload)).kind == "ignored"


def test_a_deauthorized_account_can_no_longer_receive_and_other_events_are_ignored(stub):
    payload = _event("account.application.deauthorized", {"id": "ca_app", "object": "application"},
                     account="acct_sari")
    event = provider(stub).verify_webhook(payload, _signed(payload))
    assert (event.kind, event.account_ref, event.can_receive) == ("account.updated", "acct_sari", False)

    payload = _event("transfer.created", copy.deepcopy(_fixtures()["transfer"]))
    assert provider(stub).verify_webhook(payload, _signed(payload)).kind == "ignored"
