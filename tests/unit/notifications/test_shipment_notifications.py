"""Courier steps (``shipment.updated``, issue #25): the buyer hears when the courier picked the parcel up,
every active admin when it went back to the shop; other steps send nothing, and a redelivery nothing twice."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.orders.models import SellerOrder
from tests.unit.notifications.conftest import envelope, make_user, place_paid_order
from tests.unit.notifications.test_worker_flow import by_kind, handle


def _event(placed, part_id, status):
    return envelope("shipment.updated", {"order_id": placed.order_id, "seller_order_id": part_id, "shop_id": 1,
                                         "status": status, "waybill": "SBXJNE000000000042",
                                         "occurred_at": "2026-12-07T03:00:00+00:00"})


def test_picked_up_tells_the_buyer_and_returned_tells_every_admin(factory, mail_settings):
    with factory() as session:
        placed = place_paid_order(session, shops=1)
        admins = [make_user(session, "admin").id, make_user(session, "admin").id]
        part = session.scalar(select(SellerOrder).where(SellerOrder.order_id == placed.order_id))
        part.courier = "jne"
        session.commit()
        part_id = part.id
    picked = _event(placed, part_id, "picked_up")
    handle(factory, mail_settings, picked)
    handle(factory, mail_settings, picked)  # redelivered: nothing twice
    handle(factory, mail_settings, _event(placed, part_id, "in_transit"))
    handle(factory, mail_settings, _event(placed, part_id, "returned"))
    kinds = by_kind(factory)
    [to_buyer] = kinds["shipment_picked_up"]
    assert to_buyer.subject == f"Paket pesanan #{placed.order_id} sudah diambil kurir"
    assert "SBXJNE000000000042" in to_buyer.body_text and "JNE" in to_buyer.body_text
    assert [r.recipient_id for r in kinds["shipment_returned"]] == admins
    assert "dikembalikan" in kinds["shipment_returned"][0].subject
    assert set(kinds) == {"shipment_picked_up", "shipment_returned"}
