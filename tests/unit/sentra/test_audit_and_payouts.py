"""In the service layer: a suspended artisan's open order is still paid out; every admin action of the
older features (refund, payout retry, create-admin, moderation) lands in the audit log, in the same
transaction as the action."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.accounts import services as accounts
from marketplace.audit.models import AdminAction
from marketplace.errors import Conflict, ValidationFailed
from marketplace.orders.fulfilment import services as fulfilment
from marketplace.payments import refunds
from marketplace.payouts import release, transfers
from marketplace.sentra import services as sentra
from marketplace.shops import admin as shop_admin
from tests import factories
from tests.unit.orders.test_checkout import NOW
from tests.unit.orders.test_fulfilment import paid  # noqa: F401
from tests.unit.payments.test_refunds import _captured
from tests.unit.payouts.conftest import books, connect, permanent, sandbox_provider, scripted  # noqa: F401


def _log(tx, **where):
    tx.flush()
    stmt = select(AdminAction).order_by(AdminAction.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(AdminAction, key) == value)
    return list(tx.scalars(stmt))


def test_a_suspended_artisans_open_order_is_still_paid_out(tx, paid, sandbox_provider, books):  # noqa: F811
    _, sari_part, _, buyer, sari, *_ = paid
    admin = factories.user(tx, "admin")
    connect(tx, sandbox_provider, sari)
    sari.password_hash = accounts.hash_password("correct horse battery")
    fulfilment.ship(tx, sari, sari_part.id, courier="JNE", tracking_number="JNE-1", now=NOW)
    shop_admin.suspend(tx, admin, sari_part.shop_id, "Laporan produk palsu")
    assert accounts.authenticate(tx, sari.email, "correct horse battery") is sari  # to fulfil open orders

    fulfilment.confirm_delivery(tx, buyer, sari_part.id, now=NOW)
    payout = release.schedule_payout(tx, sari_part.id, hold_hours=0, now=NOW)
    assert release.release_payout(tx, payout.id, now=NOW) == "processing"
    assert transfers.pay_payout(tx, sandbox_provider, payout.id, now=NOW) == "paid"
    with pytest.raises(Conflict):
        shop_admin.suspend(tx, admin, sari_part.shop_id, "Lagi")
    assert [a.action for a in _log(tx, target_type="shop")] == ["shop.suspend"]


def test_refund_and_payout_retry_are_audited(tx, paid, scripted, books):  # noqa: F811
    order, sari_part, budi_part, buyer, sari, *_ = paid
    admin = factories.user(tx, "admin")
    _captured(tx, order)
    refunds.request_refund(tx, admin, order.id, seller_order_id=budi_part.id, reason="Pembeli batal", now=NOW)
    [refund_line] = _log(tx, action="order.refund")
    assert (refund_line.actor_id, refund_line.target_id) == (admin.id, order.id)
    assert refund_line.after["reason"] == "Pembeli batal" and refund_line.after["seller_order_id"] == budi_part.id

    connect(tx, scripted, sari)
    fulfilment.ship(tx, sari, sari_part.id, courier="JNE", tracking_number="JNE-2", now=NOW)
    fulfilment.confirm_delivery(tx, buyer, sari_part.id, now=NOW)
    payout = release.schedule_payout(tx, sari_part.id, hold_hours=0, now=NOW)
    scripted.script = [permanent("rekening ditutup")]
    transfers.pay_payout(tx, scripted, payout.id, now=NOW)
    release.retry_payout(tx, payout.id, now=NOW, actor=admin)
    [retry_line] = _log(tx, action="payout.retry")
    assert retry_line.before["status"] == "failed" and retry_line.target_id == payout.id


def test_create_admin_from_the_command_line_is_audited(tx):
    user = accounts.create_admin(tx, email="ops@pasar.test", password="a long enough passphrase")
    [line] = _log(tx, action="admin.create")
    assert (line.actor_id, line.actor_label, line.target_id) == (None, "cli", user.id)
    assert "password" not in str(line.after).replace("password_reset", "")


def test_a_refused_admin_action_writes_no_audit_line(tx):
    admin = factories.user(tx, "admin")
    shop = factories.shop(tx, kelurahan="Cipayung")
    centre = sentra.create_sentra(tx, admin, {"name": "Sentra Anyaman Margahayu", "city": "Bekasi",
                                             "kelurahan": "Margahayu", "focus": "anyaman", "story": ""})
    with pytest.raises(ValidationFailed):
        sentra.assign_shop(tx, admin, shop.id, centre.id)
    assert shop.sentra_id is None
    assert [a.action for a in _log(tx)] == ["sentra.create"]
