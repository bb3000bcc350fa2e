"""The sandbox provider's durable record: one transfer per idempotency key, across processes (two
stores on one database stand for the worker before and after a crash), kept outside any transaction
of ours."""

from __future__ import annotations

import pytest

from marketplace.payouts.providers import AccountDetails, InvalidWebhook, PayoutProviderError
from marketplace.payouts.sandbox import DatabaseTransferStore, SandboxPayoutProvider, sandbox_store_url


def _send(provider: SandboxPayoutProvider, key: str, amount: int = 150_000):
    return provider.transfer(payout_id=7, amount_idr=amount, account_ref="sbx_acct_3", details=AccountDetails(),
                             transfer_group="42", idempotency_key=key, description="payout #7")


def test_one_transfer_per_key_across_store_instances(tmp_path):
    url = sandbox_store_url(f"sqlite:///{tmp_path}/app.db")
    assert url.endswith("app.sandbox-payouts.db")  # beside the app's database, not in it (one SQLite writer)
    before, after = DatabaseTransferStore(url), DatabaseTransferStore(url)
    try:
        first = _send(SandboxPayoutProvider(before), "payout-7")
        again = _send(SandboxPayoutProvider(after), "payout-7")  # "after the crash": a new process
        assert (first.status, again.transfer_id) == ("paid", first.transfer_id)
        other = _send(SandboxPayoutProvider(after), "payout-7-1")  # an admin's retry: a new transfer
        assert other.transfer_id != first.transfer_id
        assert [t.idempotency_key for t in after.all()] == ["payout-7", "payout-7-1"]
        with pytest.raises(PayoutProviderError) as refused:  # the key reused for another amount: a bug
            _send(SandboxPayoutProvider(after), "payout-7", amount=1)
        assert not refused.value.transient and refused.value.code == "idempotency_key_reused"
    finally:
        before.dispose()
        after.dispose()


def test_postgres_keeps_the_record_in_the_apps_database():
    assert sandbox_store_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_connect_is_immediate_and_no_webhook_verifies(tmp_path):
    provider = SandboxPayoutProvider(DatabaseTransferStore(f"sqlite:///{tmp_path}/s.db"))
    connection = provider.connect(shop_id=3, email="a@b.id", details=AccountDetails(), existing_ref=None,
                                  return_url="http://x/")
    assert (connection.status, connection.account_ref, connection.onboarding_url) == ("connected", "sbx_acct_3", None)
    with pytest.raises(PayoutProviderError):
        _send(provider, "payout-8", amount=0)
    with pytest.raises(InvalidWebhook):
        provider.verify_webhook(b"{}", {})



def test_an_app_dropped_after_reconciling_leaves_no_connection_open(settings, database_url):
    """The app's sandbox store (built on first use, kept on the app) holds no connection between calls.
    A pooled one outlived the discarded app until the garbage collector closed it, and psycopg's
    ``ResourceWarning`` then failed whichever test was running (warnings are errors here)."""
    import gc
    import warnings

    from marketplace.web.app import create_app
    from tests.conftest import Api, clean_database

    app = create_app(settings)
    api = Api(app.test_client(), app)
    resp = api.get("/api/v1/admin/reconciliation", as_=api.make_user("admin"))
    assert resp.status_code == 200 and resp.json["source"] == "sandbox transfers"
    app.extensions["db"].dispose()  # all the app fixture closes
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del app, api, resp
        gc.collect()
    clean_database(database_url)
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], [str(w.message) for w in caught]
