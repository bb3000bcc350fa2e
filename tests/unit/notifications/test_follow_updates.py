"""``listing.approved`` through the notifications worker: each follower of the shop gets the new product
(in-app), once, even when the event is redelivered or the listing is approved again after an edit."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.follows.models import FollowUpdate, ShopFollow
from marketplace.listings.models import Listing
from marketplace.shops.models import Shop
from tests.unit.notifications.conftest import NOW, envelope, make_user, place_paid_order
from tests.unit.notifications.test_worker_flow import handle


def test_followers_get_the_new_product_once(factory, mail_settings):
    with factory() as session:
        placed = place_paid_order(session, shops=1)
        shop_id = session.scalar(select(Shop.id).where(Shop.owner_id == placed.artisan_ids[0]))
        listing_id = session.scalar(select(Listing.id).where(Listing.shop_id == shop_id))
        followers = [make_user(session, "buyer").id for _ in range(2)]
        bystander = make_user(session, "buyer").id
        for user_id in followers:
            session.add(ShopFollow(user_id=user_id, shop_id=shop_id, created_at=NOW))
        session.commit()
    approved = envelope("listing.approved", {"listing_id": listing_id, "shop_id": shop_id, "title": "Kain",
                                             "price_idr": 150_000, "category": "batik", "city": "Bandung",
                                             "kelurahan": "Cipayung", "path": f"/listings/{listing_id}"})
    handle(factory, mail_settings, approved)
    handle(factory, mail_settings, approved)  # redelivered
    handle(factory, mail_settings, {**approved, "id": "00000000-0000-4000-8000-000000000001"})  # approved again
    with factory() as session:
        got = sorted(session.execute(select(FollowUpdate.user_id, FollowUpdate.listing_id)).all())
    assert got == sorted((user_id, listing_id) for user_id in followers)
    assert bystander not in [u for u, _ in got]
