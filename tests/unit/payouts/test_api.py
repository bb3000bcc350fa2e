"""The payouts API and pages as an artisan and an admin see them: connect, earnings, statement,
admin list, retry, reconciliation; bad input is a clear 4xx that changes nothing. The payouts
worker's steps are called directly (its own tests run it); the sandbox keeps transfers in memory."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from marketplace.cli import make_cli
from marketplace.db import utcnow
from marketplace.formatting import TIMEZONE
from marketplace.orders import services as orders
from marketplace.payouts import release, transfers
from marketplace.payouts.models import PayoutAccount
from marketplace.payouts.sandbox import MemoryTransferStore, SandboxPayoutProvider
from tests.unit.orders.test_api import ADDRESS
from marketplace.web import deps


@pytest.fixture
def provider(app) -> SandboxPayoutProvider:
    """The app's payout provider: the sandbox, on a store of this test's own."""
    deps.override(app, payout_provider=SandboxPayoutProvider(MemoryTransferStore()))
    return deps.of(app).payout_provider


def _delivered(api, app, market, seller, price_idr: int = 200_000):
    listing = market.approved_listing(seller, stock=4, price_idr=price_idr)
    buyer = api.make_user("buyer")
    api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"], "quantity": 1})
    order = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS}).json
    with app.extensions["db"].transaction() as session:
        orders.mark_paid(session, order["id"], now=utcnow(), commission_bps=1000)
    part = order["seller_orders"][0]
    assert api.post(f"/api/v1/seller/orders/{part['id']}/ship", as_=seller,
                    json={"courier": "JNE", "tracking_number": "JNE-1"}).status_code == 200
    assert api.post(f"/api/v1/seller-orders/{part['id']}/confirm-delivery", as_=buyer).status_code == 200
    return order, part


def _worker_pays(app, provider, part_id: int) -> None:
    """What the payouts worker does for ``order.delivered`` then ``payout.released`` (hold 0)."""
    with app.extensions["db"].transaction() as session:
        payout = release.schedule_payout(session, part_id, hold_hours=0, now=utcnow())
        payout_id = payout.id
    with app.extensions["db"].transaction() as session:
        transfers.pay_payout(session, provider, payout_id, now=utcnow())


def _ledger_check(database_url: str) -> None:
    result = CliRunner().invoke(make_cli(), ["ledger", "check"], env={"DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output


def test_connect_earn_and_read_the_statement(api, app, market, provider, database_url):
    seller = market.seller()
    resp = api.post("/api/v1/seller/payout-account", as_=seller, json={})
    assert resp.status_code == 200
    assert (resp.json["status"], resp.json["onboarding_url"], resp.json["provider"]) == ("connected", None, "sandbox")

    order, part = _delivered(api, app, market, seller)
    payable = 200_000 - 20_000 + part["shipping_idr"]
    before = api.get("/api/v1/seller/payouts", as_=seller).json
    assert before["items"] == [] and before["balance_idr"] == payable and before["pending_idr"] == payable
    _worker_pays(app, provider, part["id"])
    body = api.get("/api/v1/seller/payouts", as_=seller).json
    [transfer] = provider.recorded_transfers()
    [item] = body["items"]
    assert {k: item[k] for k in ("amount_idr", "commission_idr", "status", "transfer_id", "seller_order_ids")} == {
        "amount_idr": payable, "commission_idr": 20_000, "status": "paid", "transfer_id": transfer.transfer_id,
        "seller_order_ids": [part["id"]]}
    assert (body["balance_idr"], body["pending_idr"], body["scheduled_idr"], body["paid_idr"]) == (0, 0, 0, payable)
    assert body["orders"][0]["commission_idr"] == 20_000

    other = market.seller()
    assert api.get("/api/v1/seller/payouts", as_=other).json["items"] == []  # only one's own

    month = utcnow().astimezone(TIMEZONE).strftime("%Y-%m")
    resp = api.get(f"/api/v1/seller/statements/{month}.csv", as_=seller)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [r["kind"] for r in rows] == ["opening_balance", "sale", "payout_sent", "closing_balance"]
    sale = rows[1]
    assert (int(sale["gross_idr"]), int(sale["commission_idr"]), int(sale["amount_idr"])) == (
        200_000 + part["shipping_idr"], 20_000, payable)
    assert int(rows[2]["amount_idr"]) == -payable and rows[-1]["balance_idr"] == "0"
    _ledger_check(database_url)


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "november", "1999-12"])
def test_a_bad_statement_month_is_422(api, market, month):
    seller = market.seller()
    resp = api.get(f"/api/v1/seller/statements/{month}.csv", as_=seller)
    assert resp.status_code == 422 and resp.json["error"]["fields"]["month"]


@pytest.mark.parametrize("body", [
    {"channel_code": "ID_BCA"},  # not all three
    {"channel_code": "bca", "account_number": "1234567890", "account_holder_name": "Sari"},
    {"channel_code": "ID_BCA", "account_number": "12-34", "account_holder_name": "Sari"},
    {"nope": 1},
])
def test_bad_account_details_are_422_and_nothing_is_stored(api, market, db_session, provider, body):
    seller = market.seller()
    resp = api.post("/api/v1/seller/payout-account", as_=seller, json=body)
    assert resp.status_code == 422 and resp.json["error"]["fields"]
    assert db_session.scalars(select(PayoutAccount)).all() == []


def test_an_artisan_without_a_shop_is_409(api, provider):
    resp = api.post("/api/v1/seller/payout-account", as_=api.make_user("artisan"), json={})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "no_shop"


def test_details_are_stored_and_shown_masked(api, market, provider):
    seller = market.seller()
    resp = api.post("/api/v1/seller/payout-account", as_=seller, json={
        "channel_code": "ID_BCA", "account_number": "1234567890", "account_holder_name": "Sari  Wulandari"})
    assert resp.status_code == 200
    assert (resp.json["account_number"], resp.json["account_holder_name"]) == ("••••••7890", "Sari Wulandari")


def test_admin_lists_retries_and_reconciles(api, app, market, provider, database_url):
    seller = market.seller()
    api.post("/api/v1/seller/payout-account", as_=seller, json={})
    _, part = _delivered(api, app, market, seller)
    _worker_pays(app, provider, part["id"])
    admin = market.admin
    [paid] = api.get("/api/v1/admin/payouts?status=paid", as_=admin).json["items"]
    assert paid["seller_order_ids"] == [part["id"]]
    assert api.get("/api/v1/admin/payouts?status=failed", as_=admin).json["items"] == []
    assert api.get("/api/v1/admin/payouts?status=bogus", as_=admin).status_code == 422
    assert api.post(f"/api/v1/admin/payouts/{paid['id']}/retry", as_=admin).status_code == 409
    assert api.post("/api/v1/admin/payouts/999999/retry", as_=admin).status_code == 404
    recon = api.get("/api/v1/admin/reconciliation", as_=admin).json
    assert (recon["source"], recon["transfers"], recon["mismatches"], recon["ledger_problems"]) == (
        "sandbox transfers", 1, [], [])
    assert recon["transferred_idr"] == recon["paid_idr"] == recon["ledger_paid_idr"] == paid["amount_idr"]

    provider.store.record(provider.recorded_transfers()[0].__class__(  # a transfer nobody asked for
        idempotency_key="stray", transfer_id="tr_stray", payout_id=424242, amount_idr=5_000, account_ref="x",
        transfer_group="1", created_at=utcnow()))
    recon = api.get("/api/v1/admin/reconciliation", as_=admin).json
    assert [(m["kind"], m["transfer_id"]) for m in recon["mismatches"]] == [("transfer_without_payout", "tr_stray")]
    _ledger_check(database_url)


def test_the_pages(client, auth, api, app, market, provider):
    seller = market.seller()
    auth.login(seller.email, seller.password)
    page = client.get("/seller/payouts")
    assert page.status_code == 200 and "Hubungkan rekening pencairan" in page.get_data(as_text=True)
    token = auth.csrf_token("/seller/payouts")
    assert client.post("/seller/payout-account", data={"csrf_token": token}).status_code == 302
    _, part = _delivered(api, app, market, seller)
    _worker_pays(app, provider, part["id"])
    text = client.get("/seller/payouts").get_data(as_text=True)
    assert "status-paid" in text
    month = utcnow().astimezone(TIMEZONE).strftime("%Y-%m")
    assert client.get(f"/seller/statement?month={month}").mimetype == "text/csv"
    assert client.get("/seller/statement?month=bad").status_code == 422
    auth.logout()
    auth.login(market.admin.email, market.admin.password)
    assert client.get("/admin/payouts").status_code == 200
    recon = client.get("/admin/reconciliation")
    assert recon.status_code == 200 and 'id="no-mismatches"' in recon.get_data(as_text=True)


def test_ledger_check_fails_loudly_on_a_forged_entry(api, app, market, provider, database_url):
    from sqlalchemy import insert

    from marketplace.ledger.models import LedgerEntry, LedgerTransaction

    seller = market.seller()
    _delivered(api, app, market, seller)
    _ledger_check(database_url)
    with app.extensions["db"].transaction() as session:  # behind the ledger's back: one leg only
        tx_id = session.scalar(select(LedgerTransaction.id))
        session.execute(insert(LedgerEntry).values(transaction_id=tx_id, account="platform_commission", amount_idr=1))
    result = CliRunner().invoke(make_cli(), ["ledger", "check"], env={"DATABASE_URL": database_url})
    assert result.exit_code == 1
    assert f"transaction {tx_id} does not balance: its entries sum to 1" in result.output
