"""The Xendit payout provider's real HTTP code against a loopback Xendit that checks the documented
request (``POST /v2/payouts``, Basic auth, ``Idempotency-key``, the JSON body, whole rupiah) and answers
as Xendit's reference does: the artisan's details checked before anything is sent, one payout per key
whatever fails in between, which errors are worth a retry, and callbacks verified by their token."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import marketplace
from marketplace.config import Settings
from marketplace.errors import ValidationFailed
from marketplace.payouts import xendit as xendit_module
from marketplace.payouts.providers import AccountDetails, InvalidWebhook, PayoutProviderError, provider_from_settings
from marketplace.payouts.xendit import XenditProvider
from tests.unit.payouts import xendit_server
from tests.unit.payouts.loopback import Loopback

TOKEN = "xendit-callback-token-loopback"
BCA = AccountDetails(channel_code="ID_BCA", account_number="1234 567 890", account_holder_name="Sari  Wulandari")
GOPAY = AccountDetails(channel_code="ID_GOPAY", account_number="+62 812-3456-7890", account_holder_name="Sari Wulandari")


@pytest.fixture
def stub() -> Iterator[Loopback]:
    with xendit_server.xendit() as stub:
        yield stub


def provider(stub: Loopback, **kw) -> XenditProvider:
    settings = Settings(xendit_secret_key=xendit_server.SECRET_KEY, xendit_callback_token=TOKEN,
                        xendit_api_base=stub.url)
    if not kw:
        made = provider_from_settings(replace(settings, payout_provider="xendit"))
        assert isinstance(made, XenditProvider)
        return made
    return XenditProvider(xendit_server.SECRET_KEY, TOKEN, api_base=stub.url, **kw)


def transfer(p: XenditProvider, details: AccountDetails = BCA, key: str = "payout-42-transfer-1",
             amount_idr: int = 247_500):
    return p.transfer(payout_id=42, amount_idr=amount_idr, account_ref="xendit:ID_BCA:7890", details=details,
                      transfer_group="order-9", idempotency_key=key, description="Pasar Kreatif payout 42")


def creates(stub: Loopback):
    return [r for r in stub.requests if r.method == "POST" and r.path == "/v2/payouts"]


# --- settings and connect --------------------------------------------------------------------------------


def test_settings_build_the_provider_and_its_secrets_are_required():
    assert Settings.from_env({}).xendit_api_base == "https://api.xendit.co"
    env = {"XENDIT_SECRET_KEY": "xnd_k", "XENDIT_CALLBACK_TOKEN": "t", "XENDIT_API_BASE": "http://127.0.0.1:9/"}
    made = XenditProvider.from_settings(Settings.from_env(env))
    assert made.api_base == "http://127.0.0.1:9"
    with pytest.raises(ValueError, match="XENDIT_SECRET_KEY"):
        XenditProvider.from_settings(Settings(xendit_callback_token="t"))
    with pytest.raises(ValueError, match="XENDIT_CALLBACK_TOKEN"):
        XenditProvider.from_settings(Settings(xendit_secret_key="k"))


def test_connect_checks_the_details_locally_and_is_connected_at_once(stub):
    p = provider(stub)
    bank = p.connect(shop_id=7, email="sari@example.id", details=BCA, existing_ref=None, return_url="/x")
    wallet = p.connect(shop_id=7, email="sari@example.id", details=GOPAY, existing_ref=bank.account_ref,
                       return_url="/x")
    assert bank.__dict__ == {"status": "connected", "account_ref": "xendit:ID_BCA:7890", "onboarding_url": None}
    assert wallet.account_ref == "xendit:ID_GOPAY:7890"
    assert stub.requests == []  # there is no account to create at Xendit


@pytest.mark.parametrize("details, fields", [
    (AccountDetails("ID_NOPE", "1234567890", "Sari"), {"channel_code"}),
    (AccountDetails(None, "1234567890", "Sari"), {"channel_code"}),
    (AccountDetails("ID_BCA", "12345", "Sari"), {"account_number"}),  # too short for a bank account
    (AccountDetails("ID_BCA", "1234567890123456789", "Sari"), {"account_number"}),  # too long
    (AccountDetails("ID_BNI", "12345abc90", "Sari"), {"account_number"}),
    (AccountDetails("ID_OVO", "1234567890", "Sari"), {"account_number"}),  # not a phone number
    (AccountDetails("ID_DANA", "0812345", "Sari"), {"account_number"}),
    (AccountDetails("ID_BCA", "1234567890", "   "), {"account_holder_name"}),
    (AccountDetails("ID_BCA", "1234567890", "S" * 101), {"account_holder_name"}),
    (AccountDetails("ID_SHOPEEPAY", "", None), {"account_number", "account_holder_name"}),
])
def test_details_xendit_would_refuse_are_a_validation_error_by_field(stub, details, fields):
    with pytest.raises(ValidationFailed) as err:
        provider(stub).connect(shop_id=7, email="sari@example.id", details=details, existing_ref=None, return_url="/x")
    assert set(err.value.fields) == fields
    assert stub.requests == []


def test_every_message_the_provider_can_show_has_an_indonesian_translation():
    catalog: dict[str, str] = {}
    for path in (Path(marketplace.__file__).parent / "translations" / "id").glob("*.json"):
        catalog.update(json.loads(path.read_text(encoding="utf-8")))
    shown = {v for k, v in vars(xendit_module).items() if k.endswith("_MESSAGE") or k.endswith("_REASON")}
    shown |= {reason for reason, _ in xendit_module.FAILURES.values()}
    assert len(shown) >= 10 and sorted(m for m in shown if m not in catalog) == []


# --- transfer --------------------------------------------------------------------------------------------


def test_a_transfer_posts_the_documented_payout_and_is_pending_until_the_callback(stub):
    result = transfer(provider(stub), amount_idr=247_500)

    [sent] = creates(stub)
    assert sent.headers["authorization"] == "Basic " + base64.b64encode(b"xnd_development_loopback:").decode()
    assert ("Idempotency-key", "payout-42-transfer-1") in sent.raw_headers  # spelled as Xendit documents it
    assert sent.headers["content-type"] == "application/json"
    assert sent.json == {
        "reference_id": "pasar-kreatif-payout-42",
        "channel_code": "ID_BCA",
        "channel_properties": {"account_number": "1234567890", "account_holder_name": "Sari Wulandari"},
        "amount": 247_500,  # whole rupiah: Xendit counts IDR without minor units
        "currency": "IDR",
        "description": "Pasar Kreatif payout 42",
        "metadata": {"payout_id": "42", "transfer_group": "order-9", "idempotency_key": "payout-42-transfer-1"},
    }
    assert result.status == "pending" and result.transfer_id.startswith("disb-") and len(result.transfer_id) == 29


def test_an_e_wallet_gets_the_phone_number_in_xendits_0_form(stub):
    transfer(provider(stub), details=GOPAY)
    assert creates(stub)[0].json["channel_properties"]["account_number"] == "081234567890"


def test_a_payout_xendit_reports_succeeded_at_once_is_paid(stub):
    stub.state["status"] = "SUCCEEDED"
    assert transfer(provider(stub)).status == "paid"


def test_a_retry_after_a_500_reuses_the_key_and_pays_once(stub):
    p = provider(stub)
    stub.script = ["500"]
    with pytest.raises(PayoutProviderError) as err:
        transfer(p)
    assert err.value.transient and err.value.code == "SERVER_ERROR"
    result = transfer(p)
    assert [r.headers["idempotency-key"] for r in creates(stub)] == ["payout-42-transfer-1"] * 2
    assert list(stub.state["payouts"]) == ["payout-42-transfer-1"] and result.status == "pending"


def test_a_lost_answer_then_duplicate_error_finds_the_payout_already_made(stub):
    stub.script, stub.timeout_seconds = ["slow"], 1.0  # Xendit made the payout; its answer came too late
    with pytest.raises(PayoutProviderError) as err:
        transfer(provider(stub, timeout=0.3))
    assert err.value.transient and err.value.code == "timeout"
    # the worker's retry (the usual timeout): DUPLICATE_ERROR, then the look-up by our reference
    result = transfer(provider(stub))
    made = stub.state["payouts"]["payout-42-transfer-1"]
    assert result.transfer_id == made["id"] and len(stub.state["payouts"]) == 1
    [lookup] = [r for r in stub.requests if r.method == "GET"]
    assert lookup.path == "/v2/payouts" and lookup.query == {"reference_id": "pasar-kreatif-payout-42"}


def test_a_replayed_key_that_returns_the_first_payout_pays_once_too(stub):
    stub.state["duplicates"] = "replay"
    p = provider(stub)
    assert transfer(p) == transfer(p) and len(stub.state["payouts"]) == 1


def test_a_timeout_with_nothing_done_is_transient_and_the_retry_makes_the_payout(stub):
    stub.script, stub.timeout_seconds = ["timeout"], 1.0
    with pytest.raises(PayoutProviderError) as err:
        transfer(provider(stub, timeout=0.3))
    assert err.value.transient
    assert transfer(provider(stub)).status == "pending" and len(stub.state["payouts"]) == 1


def test_rate_limits_and_a_wrong_key_are_transient(stub):
    stub.script = ["429"]
    with pytest.raises(PayoutProviderError) as err:
        transfer(provider(stub))
    assert err.value.transient and err.value.code == "RATE_LIMIT_EXCEEDED"
    with pytest.raises(PayoutProviderError) as err:
        transfer(XenditProvider("xnd_wrong", TOKEN, api_base=stub.url))
    assert err.value.transient and err.value.code == "INVALID_API_KEY"  # our configuration, not the artisan's


def test_an_amount_under_the_channel_minimum_is_a_permanent_failure_with_xendits_reason(stub):
    with pytest.raises(PayoutProviderError) as err:
        transfer(provider(stub), amount_idr=5_000)
    assert not err.value.transient and err.value.code == "MINIMUM_TRANSFER_LIMIT_ERROR"
    assert "under the minimum amount" in err.value.reason and stub.state.get("payouts", {}) == {}


def test_stored_details_that_no_longer_pass_fail_without_a_request(stub):
    with pytest.raises(PayoutProviderError) as err:
        transfer(provider(stub), details=AccountDetails("ID_BCA", "12", "Sari"))
    assert not err.value.transient and err.value.code == "INVALID_DESTINATION" and stub.requests == []


def test_replaying_the_key_of_a_failed_payout_is_an_error_not_a_pending_transfer(stub):
    stub.state["duplicates"] = "replay"
    p = provider(stub)
    transfer(p)
    stub.state["payouts"]["payout-42-transfer-1"].update(status="FAILED", failure_code="INVALID_DESTINATION")
    with pytest.raises(PayoutProviderError) as err:
        transfer(p)
    assert not err.value.transient and err.value.code == "INVALID_DESTINATION"


# --- callbacks -------------------------------------------------------------------------------------------


def _callback(event: str, status: str, failure_code: str | None = None,
              reference: str = "pasar-kreatif-payout-42") -> bytes:
    data = {"id": "disb-571f3644d2b4edf0745e9703", "amount": 247500, "channel_code": "ID_BCA", "currency": "IDR",
            "status": status, "description": "Pasar Kreatif payout 42", "reference_id": reference,
            "created": "2026-08-20T03:00:00Z", "updated": "2026-08-20T03:12:00Z",
            "estimated_arrival_time": "2026-08-20T03:15:00Z", "business_id": "6018306aa16ad90cb3c43ba7",
            "channel_properties": {"account_number": "1234567890", "account_holder_name": "Sari Wulandari"}}
    if failure_code:
        data["failure_code"] = failure_code
    return json.dumps({"event": event, "business_id": "5f27a14a9bf05c73dd040bc8",
                       "created": "2026-08-20T03:12:01Z", "data": data}).encode()


def test_a_succeeded_callback_with_the_right_token_pays_the_payout(stub):
    event = provider(stub).verify_webhook(_callback("payout.succeeded", "SUCCEEDED"), {"x-callback-token": TOKEN})
    assert (event.kind, event.transfer_id, event.payout_reference, event.event_id) == (
        "transfer.paid", "disb-571f3644d2b4edf0745e9703", "42", "xendit:payout.succeeded:disb-571f3644d2b4edf0745e9703")


@pytest.mark.parametrize("event_type, code, permanent", [
    ("payout.failed", "INVALID_DESTINATION", True),
    ("payout.failed", "DESTINATION_MAXIMUM_LIMIT", True),
    ("payout.failed", "TEMPORARY_TRANSFER_ERROR", False),
    ("payout.failed", "INSUFFICIENT_BALANCE", False),
    ("payout.failed", "SOMETHING_NEW", False),
    ("payout.reversed", None, True),
])
def test_failed_and_reversed_callbacks_fail_the_payout_permanent_only_when_the_account_is_at_fault(
        stub, event_type, code, permanent):
    status = "REVERSED" if event_type == "payout.reversed" else "FAILED"
    event = provider(stub).verify_webhook(_callback(event_type, status, code), {"X-Callback-Token": TOKEN})
    assert (event.kind, event.payout_reference, event.permanent) == ("transfer.failed", "42", permanent)
    assert event.reason


@pytest.mark.parametrize("headers", [{}, {"x-callback-token": "guess"}, {"x-callback-token": TOKEN + "x"},
                                     {"x-callback-token": ""}])
def test_a_callback_without_the_right_token_is_refused(stub, headers):
    with pytest.raises(InvalidWebhook):
        provider(stub).verify_webhook(_callback("payout.succeeded", "SUCCEEDED"), headers)


@pytest.mark.parametrize("payload", [b"not json", b"[]", b'{"event": "payout.succeeded"}', b"\xff\xfe"])
def test_a_callback_that_is_not_a_payout_event_is_refused(stub, payload):
    with pytest.raises(InvalidWebhook):
        provider(stub).verify_webhook(payload, {"x-callback-token": TOKEN})


def test_callbacks_for_payouts_made_elsewhere_or_unknown_events_are_ignored(stub):
    p, headers = provider(stub), {"x-callback-token": TOKEN}
    assert p.verify_webhook(_callback("payout.succeeded", "SUCCEEDED", reference="myref-1482928194"), headers).kind \
        == "ignored"
    assert p.verify_webhook(_callback("payout.requested", "REQUESTED"), headers).kind == "ignored"
