"""``POST /api/v1/seller/booth-orders`` (ARCHITECTURE.md §5): who may ring up a booth sale, when, and
what; the sale paid by QRIS on the sandbox is delivered at once, in the ledger and the payout."""

from __future__ import annotations

from datetime import timedelta

import json

from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.db import utcnow
from marketplace.ledger.check import check as ledger_check
from marketplace.listings.models import Listing
from marketplace.notifications.models import Notification
from marketplace.orders.models import Order, SellerOrder
from marketplace.payouts.release import schedule_payout
from tests.unit.listings.helpers import listing_body
from workers.notifications import handlers as notifications
from workers.worker import HandlerContext


def _sell(api, artisan, event_id, items):
    return api.post("/api/v1/seller/booth-orders", as_=artisan, json={"event_id": event_id, "items": items})


def _fresh(db_session):
    db_session.rollback()
    db_session.expire_all()


def _stock(db_session, listing_id) -> int:
    _fresh(db_session)
    return db_session.get(Listing, listing_id).stock


def test_a_booth_sale_is_a_pickup_order_paid_by_qris_and_delivered_at_once(api, market, db_session, booth, make,
                                                                          deliver, settings):
    artisan, event, item = booth()
    resp = _sell(api, artisan, event["id"], [{"listing_id": item["id"], "quantity": 2}])
    assert resp.status_code == 201, resp.json
    order = resp.json
    assert (order["fulfilment"], order["programme_event_id"], order["status"]) == ("pickup", event["id"], "pending_payment")
    assert (order["subtotal_idr"], order["shipping_idr"], order["total_idr"]) == (170_000, 0, 170_000)
    assert _stock(db_session, item["id"]) == 3  # taken as any checkout takes it
    assert make() == 1  # the payments worker makes the QRIS attempt
    shown = api.get(f"/api/v1/orders/{order['id']}", as_=artisan).json
    assert shown["payment"]["method"] == "qris" and shown["payment"]["action"]["type"] == "qr"
    assert shown["payment"]["action"]["qr_string"]
    # the artisan pays it on the sandbox as the scanning buyer would
    paid = api.post(f"/api/v1/orders/{order['id']}/sandbox-pay", as_=artisan, json={"method": "qris"})
    assert paid.status_code == 202, paid.json
    assert deliver() == 1
    _fresh(db_session)
    stored = db_session.get(Order, order["id"])
    part = db_session.scalar(select(SellerOrder).where(SellerOrder.order_id == order["id"]))
    assert (stored.status, part.status, part.shipping_idr) == ("completed", "delivered", 0)
    assert stored.paid_at is not None and part.delivered_at is not None
    types = list(db_session.scalars(select(OutboxEvent.type).where(OutboxEvent.key == str(order["id"]))
                                    .order_by(OutboxEvent.id)))
    assert types.index("order.paid") < types.index("order.delivered")
    assert ledger_check(db_session) == []
    # nobody is mailed "how to pay", "to ship by" or "review it": the artisan handed it over at the stand
    for envelope in db_session.scalars(select(OutboxEvent.payload).where(OutboxEvent.key == str(order["id"]),
                                                                         OutboxEvent.type.like("order.%"))):
        event_type = json.loads(envelope)["type"]
        if event_type in notifications.HANDLERS:
            with api.app.extensions["db"].transaction() as session:
                notifications.HANDLERS[event_type](HandlerContext(session=session, settings=settings,
                                                                  clock=utcnow), json.loads(envelope))
    _fresh(db_session)
    assert list(db_session.scalars(select(Notification.kind).where(Notification.kind.not_in(
        ["listing_approved"])))) == []
    # the payouts worker, on order.delivered, schedules the artisan's payout of the sale
    with api.app.extensions["db"].transaction() as session:
        payout = schedule_payout(session, part.id, hold_hours=72, now=utcnow())
        assert payout is not None
        assert (payout.amount_idr, payout.commission_idr) == (170_000 - 17_000, 17_000)  # no shipping
    _fresh(db_session)
    assert ledger_check(db_session) == []
    # impact counts it as sold at that event, and as an order of the shop's city like any other
    report = api.get("/api/v1/admin/impact?group_by=city", as_=market.admin).json
    assert [(b["event_id"], b["sales"], b["units"], b["shops"], b["gmv_idr"]) for b in report["booth_sales"]] == [
        (event["id"], 1, 2, 1, 170_000)]
    assert report["totals"]["orders"] == 1 and report["totals"]["gmv_idr"] == 170_000
    csv = api.get("/api/v1/admin/impact?format=csv&table=booth", as_=market.admin)
    assert csv.status_code == 200 and f"{event['id']},{event['title']}" in csv.get_data(as_text=True)


def test_only_a_participating_shop_may_ring_up_a_sale(api, market, booth, db_session):
    artisan, event, item = booth(accept=False)
    line = [{"listing_id": item["id"], "quantity": 1}]
    refused = _sell(api, artisan, event["id"], line)
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "not_participating")
    other = market.seller()  # a shop that takes part in no event
    assert _sell(api, other, event["id"], line).status_code == 403
    assert _sell(api, api.make_user("buyer"), event["id"], line).status_code == 403  # a buyer cannot
    assert _sell(api, artisan, 999_999, line).status_code == 404
    workshop_artisan, workshop, workshop_item = booth(kind="workshop", accept=False)
    assert _sell(api, workshop_artisan, workshop["id"], [{"listing_id": workshop_item["id"], "quantity": 1}]
                 ).status_code == 403
    assert _stock(db_session, item["id"]) == 5
    assert db_session.scalar(select(Order.id)) is None


def test_only_during_the_events_hours(api, market, booth, db_session):
    for starts_in in (timedelta(hours=2), -timedelta(hours=8)):  # not started yet; over
        artisan, event, item = booth(starts_in=starts_in, hours=6)
        resp = _sell(api, artisan, event["id"], [{"listing_id": item["id"], "quantity": 1}])
        assert (resp.status_code, resp.json["error"]["code"]) == (422, "outside_event_hours"), starts_in
        assert _stock(db_session, item["id"]) == 5
    artisan, event, item = booth()
    cancelled = api.post(f"/api/v1/admin/events/{event['id']}/cancel", as_=market.admin, json={"reason": "Hujan deras"})
    assert cancelled.status_code == 200, cancelled.json
    resp = _sell(api, artisan, event["id"], [{"listing_id": item["id"], "quantity": 1}])
    assert (resp.status_code, resp.json["error"]["code"]) == (409, "event_cancelled")
    assert db_session.scalar(select(Order.id)) is None


def test_bad_items_are_422_naming_the_line_and_nothing_is_written(api, market, booth, db_session):
    artisan, event, item = booth()
    stranger = market.approved_listing(market.seller())
    draft = market.listing(artisan, title="Tas anyaman pandan")  # not approved
    cases = [
        ([{"listing_id": stranger["id"], "quantity": 1}], "items.0"),
        ([{"listing_id": item["id"], "quantity": 1}, {"listing_id": draft["id"], "quantity": 1}], "items.1"),
        ([{"listing_id": item["id"], "quantity": 6}], "items.0"),  # only 5 left
        ([{"listing_id": item["id"], "quantity": 3}, {"listing_id": item["id"], "quantity": 3}], "items.0"),
        ([{"listing_id": item["id"], "variant_id": 999_999, "quantity": 1}], "items.0"),
        ([{"listing_id": 999_999, "quantity": 1}], "items.0"),
        ([{"listing_id": item["id"], "quantity": 0}], "items"),
        ([{"listing_id": item["id"], "quantity": "2"}], "items"),
        ([{"listing_id": item["id"]}], "items"),
        ([], "items"),
        ("semua", "items"),
    ]
    for items, field in cases:
        resp = _sell(api, artisan, event["id"], items)
        assert resp.status_code == 422, (items, resp.json)
        assert field in resp.json["error"]["fields"], (items, resp.json)
    for body in ({"items": [{"listing_id": item["id"], "quantity": 1}]}, {"event_id": "x", "items": []},
                 {"event_id": event["id"], "items": [{"listing_id": item["id"], "quantity": 1}], "note": "x"}):
        resp = api.post("/api/v1/seller/booth-orders", as_=artisan, json=body)
        assert resp.status_code == 422, (body, resp.json)
    assert api.post("/api/v1/seller/booth-orders", as_=artisan, data="{", content_type="application/json"
                    ).status_code == 400
    assert _stock(db_session, item["id"]) == 5
    assert db_session.scalar(select(Order.id)) is None


def test_a_booth_sale_of_variants_takes_the_variants_stock(api, market, booth, db_session):
    artisan, event, _ = booth()
    body = listing_body(title="Kaos sablon Pamulang", variants=[
        {"options": {"ukuran": "M"}, "price_idr": 90_000, "stock": 2},
        {"options": {"ukuran": "L"}, "price_idr": 95_000, "stock": 1}])
    del body["price_idr"], body["stock"]
    created = api.post("/api/v1/listings", as_=artisan, json=body)
    assert created.status_code == 201, created.json
    market.approve(created.json["id"])
    listing = created.json
    by_size = {v["options"]["ukuran"]: v for v in listing["variants"]}
    no_variant = _sell(api, artisan, event["id"], [{"listing_id": listing["id"], "quantity": 1}])
    assert no_variant.status_code == 422 and "items.0" in no_variant.json["error"]["fields"]
    resp = _sell(api, artisan, event["id"], [{"listing_id": listing["id"], "variant_id": by_size["L"]["id"], "quantity": 1},
                                             {"listing_id": listing["id"], "variant_id": by_size["M"]["id"], "quantity": 2}])
    assert resp.status_code == 201, resp.json
    assert resp.json["total_idr"] == 95_000 + 2 * 90_000
    assert _stock(db_session, listing["id"]) == 0
    again = _sell(api, artisan, event["id"], [{"listing_id": listing["id"], "variant_id": by_size["L"]["id"], "quantity": 1}])
    assert again.status_code == 422


def test_the_order_is_the_artisans_to_read_and_nobody_elses(api, market, booth):
    artisan, event, item = booth()
    order = _sell(api, artisan, event["id"], [{"listing_id": item["id"], "quantity": 1}]).json
    assert api.get(f"/api/v1/orders/{order['id']}", as_=artisan).status_code == 200
    assert api.get(f"/api/v1/orders/{order['id']}", as_=market.seller()).status_code == 404
    assert api.get(f"/api/v1/orders/{order['id']}", as_=api.make_user("buyer")).status_code == 404
    assert api.post(f"/api/v1/orders/{order['id']}/sandbox-pay", as_=api.make_user("buyer"),
                    json={"method": "qris"}).status_code == 404
