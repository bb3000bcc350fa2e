"""Cart rules without HTTP: problems of a line, and merging a visitor's session cart at login (``tx``)."""

from __future__ import annotations

from marketplace.cart import services
from marketplace.listings.models import Listing
from tests import factories


def _listing(**kw) -> Listing:
    values = {"status": "approved", "stock": 3, "price_idr": 100_000}
    return Listing(**{**values, **kw})


def test_problems_of_a_line():
    assert services.problems_of(_listing(), 2, 100_000) == []
    assert services.problems_of(_listing(stock=0), 1, 100_000) == ["sold_out"]
    assert services.problems_of(_listing(stock=1), 2, 100_000) == ["insufficient_stock"]
    assert services.problems_of(_listing(), 1, 90_000) == ["price_changed"]
    assert services.problems_of(_listing(stock=1), 2, 90_000) == ["insufficient_stock", "price_changed"]
    assert services.problems_of(_listing(status="withdrawn"), 1, 90_000) == ["unavailable"]


def test_merge_keeps_the_larger_quantity_capped_by_stock_and_drops_what_is_not_for_sale(tx):
    seller = factories.shop(tx).owner
    in_both = factories.listing(tx, seller, status="approved", stock=4)
    only_visitor = factories.listing(tx, seller, status="approved", stock=2)
    withdrawn = factories.listing(tx, seller, status="withdrawn")
    buyer = factories.user(tx, "buyer")
    services.add_item(tx, buyer, in_both.id, 1)
    stored = {
        str(in_both.id): {"quantity": 3, "seen_price_idr": in_both.price_idr},
        str(only_visitor.id): {"quantity": 5, "seen_price_idr": 1},  # more than the stock; an old price
        str(withdrawn.id): {"quantity": 1, "seen_price_idr": withdrawn.price_idr},
        "not-a-number": {"quantity": 1, "seen_price_idr": 1},
        str(withdrawn.id + 1): "garbage",  # no listing's id (a fixed "7" was only_visitor's in some orders)
    }
    assert services.merge(tx, buyer, stored) == 2
    cart = services.get_cart(tx, buyer)
    assert {line.listing.id: line.quantity for line in cart.lines} == {in_both.id: 3, only_visitor.id: 2}
    assert {line.listing.id: line.problems for line in cart.lines}[only_visitor.id] == ["price_changed"]


def test_a_visitor_cart_reads_like_an_account_cart(tx):
    seller = factories.shop(tx).owner
    listing = factories.listing(tx, seller, status="approved", stock=2)
    cart = services.visitor_cart(tx, {str(listing.id): {"quantity": 2, "seen_price_idr": listing.price_idr},
                                      "999999": {"quantity": 1, "seen_price_idr": 5}})
    assert [(line.listing.id, line.quantity, line.problems) for line in cart.lines] == [(listing.id, 2, [])]
    assert cart.subtotal_idr == 2 * listing.price_idr
