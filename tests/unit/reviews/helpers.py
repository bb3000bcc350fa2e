"""A delivered order to review: a seller, an approved listing, a buyer who bought it, shipped and confirmed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update

from marketplace.db import utcnow
from marketplace.orders import services as orders
from marketplace.orders.models import SellerOrder
from tests.unit.orders.test_api import ADDRESS


@dataclass
class Bought:
    seller: Any
    buyer: Any
    listing: dict[str, Any]
    order: dict[str, Any]

    @property
    def item_id(self) -> int:
        return self.order["seller_orders"][0]["items"][0]["id"]

    @property
    def part_id(self) -> int:
        return self.order["seller_orders"][0]["id"]


def buy(api: Any, app: Any, market: Any, *, seller: Any = None, listing: dict[str, Any] | None = None,
        buyer: Any = None, deliver: bool = True) -> Bought:
    seller = seller or market.seller()
    listing = listing or market.approved_listing(seller, stock=50)
    buyer = buyer or api.make_user("buyer")
    assert api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"], "quantity": 1}).status_code == 200
    order = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS}).json
    with app.extensions["db"].transaction() as session:
        orders.mark_paid(session, order["id"], now=utcnow())
    bought = Bought(seller, buyer, listing, api.get(f"/api/v1/orders/{order['id']}", as_=buyer).json)
    if deliver:
        assert api.post(f"/api/v1/seller/orders/{bought.part_id}/ship", as_=seller,
                        json={"courier": "JNE", "tracking_number": f"JNE-{order['id']}"}).status_code == 200
        assert api.post(f"/api/v1/seller-orders/{bought.part_id}/confirm-delivery", as_=buyer).status_code == 200
    return bought


def delivered_at(app: Any, part_id: int, when: datetime) -> None:
    with app.extensions["db"].transaction() as session:
        session.execute(update(SellerOrder).where(SellerOrder.id == part_id).values(delivered_at=when))


def review(api: Any, bought: Bought, rating: int = 5, text: str = "Rapi sekali, warnanya cantik.") -> Any:
    return api.post(f"/api/v1/listings/{bought.listing['id']}/reviews", as_=bought.buyer,
                    json={"order_item_id": bought.item_id, "rating": rating, "text": text})
