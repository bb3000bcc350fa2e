"""Variants in the cart, at checkout and when stock comes back (cancellation, expiry, an artisan's cancel).

One batik shirt in three sizes: stock is per size, the order item keeps the size as bought, and a
size at 0 is sold out while the others sell.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.cart import services as cart
from marketplace.db import utcnow
from marketplace.errors import Conflict, ValidationFailed
from marketplace.listings import services as listings
from marketplace.listings.models import Listing, ListingVariant
from marketplace.orders import services as orders
from marketplace.orders.checkout import ShippingQuote, place_order
from marketplace.orders.fulfilment import services as fulfilment
from tests import factories

ADDRESS = {"recipient": "Rina", "phone": "081234567890", "line1": "Jl. Melati 3", "city": "Makassar",
           "province": "Sulawesi Selatan", "postal_code": "90111"}
NOW = utcnow()
SIZES = [{"options": {"ukuran": "M"}, "price_idr": 200_000, "stock": 3},
         {"options": {"ukuran": "L"}, "price_idr": 220_000, "stock": 1},
         {"options": {"ukuran": "XL"}, "price_idr": 250_000, "stock": 2}]


def flat_fee(shop, weight_grams, city, province) -> ShippingQuote:
    return ShippingQuote(zone="outside_java", shipping_idr=20_000)


def checkout(tx, buyer):
    return place_order(tx, buyer, ADDRESS, quote_shipping=flat_fee, now=NOW, payment_ttl=timedelta(minutes=60))


def events(tx, type_):
    return [json.loads(p)["data"] for p in tx.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == type_))]


@pytest.fixture
def shirt(tx):
    seller = factories.shop(tx).owner
    listing = factories.listing(tx, seller, status="approved", variants=SIZES)
    return listing, {v.options["ukuran"]: v for v in listing.variants}


def stocks(tx, listing) -> tuple[int, dict[str, int]]:
    tx.expire_all()
    row = tx.get(Listing, listing.id)
    return row.stock, {v.options["ukuran"]: v.stock for v in tx.scalars(
        select(ListingVariant).where(ListingVariant.listing_id == listing.id))}


def test_a_listing_with_variants_cannot_be_added_without_one(tx, shirt):
    listing, _sizes = shirt
    buyer = factories.user(tx, "buyer")
    with pytest.raises(ValidationFailed) as err:
        cart.add_item(tx, buyer, listing.id, 1)
    assert err.value.code == "variant_required" and "variant_id" in err.value.fields


def test_another_listings_variant_or_an_unknown_one_is_refused(tx, shirt):
    listing, sizes = shirt
    other = factories.listing(tx, factories.shop(tx).owner, status="approved")
    buyer = factories.user(tx, "buyer")
    for listing_id, variant_id in ((other.id, sizes["M"].id), (listing.id, 999_999), (listing.id, None)):
        with pytest.raises(ValidationFailed) as err:
            cart.add_item(tx, buyer, listing_id, 1, variant_id)
        assert "variant_id" in err.value.fields


def test_checkout_reserves_per_variant_and_the_item_keeps_its_options(tx, shirt):
    listing, sizes = shirt
    buyer = factories.user(tx, "buyer")
    cart.add_item(tx, buyer, listing.id, 2, sizes["M"].id)
    lines = cart.add_item(tx, buyer, listing.id, 1, sizes["XL"].id).lines
    assert [(line.unit_price_idr, line.quantity) for line in lines] == [(200_000, 2), (250_000, 1)]
    order = checkout(tx, buyer)
    [part] = order.seller_orders
    assert part.subtotal_idr == 650_000
    assert [(i.variant_id, i.variant_label, i.unit_price_idr) for i in part.items] == [
        (sizes["M"].id, "ukuran: M", 200_000), (sizes["XL"].id, "ukuran: XL", 250_000)]
    assert stocks(tx, listing) == (3, {"M": 1, "L": 1, "XL": 1})
    [placed] = events(tx, "order.placed")
    assert [(i["variant_id"], i["options"]) for i in placed["seller_orders"][0]["items"]] == [
        (sizes["M"].id, {"ukuran": "M"}), (sizes["XL"].id, {"ukuran": "XL"})]

    # the artisan renames the size later: the order still says what was bought
    seller = listing.shop.owner
    renamed = [{**SIZES[0], "options": {"ukuran": "Medium"}}, *SIZES[1:]]
    listings.update_listing(tx, seller, listing.id, {"variants": renamed})
    tx.expire_all()
    assert [i.variant_label for i in orders.get_for_buyer(tx, buyer, order.id).seller_orders[0].items] == [
        "ukuran: M", "ukuran: XL"]


def test_a_variant_at_zero_is_sold_out_while_the_others_sell(tx, shirt):
    listing, sizes = shirt
    first, second = factories.user(tx, "buyer"), factories.user(tx, "buyer")
    cart.add_item(tx, first, listing.id, 1, sizes["L"].id)
    cart.add_item(tx, second, listing.id, 1, sizes["L"].id)
    checkout(tx, first)
    assert cart.get_cart(tx, second).lines[0].problems == ["sold_out"]
    with pytest.raises(Conflict) as err:
        cart.add_item(tx, second, listing.id, 1, sizes["L"].id)
    assert err.value.code == "sold_out"
    cart.add_item(tx, second, listing.id, 1, sizes["M"].id)  # another size still sells
    assert events(tx, "listing.sold_out") == []


def test_listing_sold_out_when_every_variant_is_at_zero_and_the_lowest_price_follows_stock(tx, shirt):
    listing, sizes = shirt
    buyer = factories.user(tx, "buyer")
    cart.add_item(tx, buyer, listing.id, 3, sizes["M"].id)
    checkout(tx, buyer)
    tx.expire_all()
    assert tx.get(Listing, listing.id).price_idr == 220_000, "the cheapest size is gone: the price starts higher"
    cart.add_item(tx, buyer, listing.id, 1, sizes["L"].id)
    cart.add_item(tx, buyer, listing.id, 2, sizes["XL"].id)
    checkout(tx, buyer)
    assert stocks(tx, listing) == (0, {"M": 0, "L": 0, "XL": 0})
    assert events(tx, "listing.sold_out") == [{"listing_id": listing.id, "shop_id": listing.shop_id}]


def test_a_stale_variant_price_is_refused_at_checkout(tx, shirt):
    listing, sizes = shirt
    buyer = factories.user(tx, "buyer")
    cart.add_item(tx, buyer, listing.id, 1, sizes["M"].id)
    listings.update_listing(tx, listing.shop.owner, listing.id, {"variants": [{**SIZES[0], "price_idr": 210_000},
                                                                           *SIZES[1:]]})
    assert listing.status == "pending_review"
    listing.status = "approved"  # the moderator approves the new price
    tx.flush()
    assert cart.get_cart(tx, buyer).lines[0].problems == ["price_changed"]
    with pytest.raises(Conflict) as err:
        checkout(tx, buyer)
    assert err.value.code == "cart_has_problems"


def test_a_removed_variant_makes_its_cart_line_unavailable(tx, shirt):
    listing, sizes = shirt
    buyer = factories.user(tx, "buyer")
    cart.add_item(tx, buyer, listing.id, 1, sizes["XL"].id)
    listings.update_listing(tx, listing.shop.owner, listing.id, {"variants": SIZES[:2]})
    assert cart.get_cart(tx, buyer).lines[0].problems == ["unavailable"]


def test_cancellation_and_expiry_give_the_stock_back_to_the_variant(tx, shirt):
    listing, sizes = shirt
    buyer = factories.user(tx, "buyer")
    cart.add_item(tx, buyer, listing.id, 2, sizes["M"].id)
    first = checkout(tx, buyer)
    assert stocks(tx, listing) == (4, {"M": 1, "L": 1, "XL": 2})
    assert orders.cancel_unpaid(tx, first.id, "card declined", now=NOW, payment_failed=True)
    assert stocks(tx, listing) == (6, {"M": 3, "L": 1, "XL": 2})

    cart.add_item(tx, buyer, listing.id, 1, sizes["L"].id)
    second = checkout(tx, buyer)
    assert stocks(tx, listing) == (5, {"M": 3, "L": 0, "XL": 2})
    assert fulfilment.expire_unpaid(tx, second.id, now=NOW + timedelta(hours=2))
    assert stocks(tx, listing) == (6, {"M": 3, "L": 1, "XL": 2})


def test_an_artisans_cancel_of_a_paid_part_gives_the_stock_back_to_the_variant(tx, shirt):
    listing, sizes = shirt
    buyer = factories.user(tx, "buyer")
    cart.add_item(tx, buyer, listing.id, 2, sizes["XL"].id)
    order = checkout(tx, buyer)
    orders.mark_paid(tx, order.id, now=NOW)
    assert stocks(tx, listing) == (4, {"M": 3, "L": 1, "XL": 0})
    fulfilment.cancel_part(tx, listing.shop.owner, order.seller_orders[0].id, reason="Kain habis", now=NOW)
    assert stocks(tx, listing) == (6, {"M": 3, "L": 1, "XL": 2})
