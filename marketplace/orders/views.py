"""Buyer pages: checkout (address, shipping per shop, totals, place the order), order history and detail.

Buyers only (visitors go to the login page, which brings them back here with their cart; artisans
and admins get 403). Checkout reads the address with :class:`~marketplace.orders.schemas.AddressIn`,
the API's rules; "Calculate shipping" prices each shop's parcel with the checkout's own quoter and
changes nothing; "Place order" calls :func:`~marketplace.orders.checkout.place_order` and goes to the
order's payment page. A refusal (a cart problem 409, a bad address 422) is shown on the page with its
status, and the request wrapper rolls everything back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from marketplace.accounts.models import Role
from marketplace.web.auth import login_required, require_user
from marketplace.cart import schemas as cart_schemas
from marketplace.cart import services as cart_services
from marketplace.db import utcnow
from marketplace.web.transaction import get_session
from marketplace.errors import DomainError
from marketplace.web.forms import load_form, show_errors
from marketplace.orders import services
from marketplace.orders.checkout import ShippingQuote, place_order
from marketplace.promotion.attribution.views import current_touch
from marketplace.orders.forms import AddressForm
from marketplace.vouchers import services as vouchers
from marketplace.orders.schemas import AddressIn
from marketplace.shipping import quotes as shipping_quotes
from marketplace.shipping import tracking
from marketplace.web.deps import deps

bp = Blueprint("orders_pages", __name__)

BUYER = Role.BUYER.value


@dataclass
class Preview:
    """Shipping per shop (by shop id) for the address typed, and the order's totals with it."""

    shipping: dict[int, ShippingQuote]
    subtotal_idr: int
    #: Each shop's current options (``marketplace.shipping.quotes``) the buyer picks from.
    options: dict[int, shipping_quotes.Quoted]

    @property
    def shipping_idr(self) -> int:
        return sum(quote.shipping_idr for quote in self.shipping.values())

    @property
    def total_idr(self) -> int:
        return self.subtotal_idr + self.shipping_idr


def _choices(cart: cart_services.Cart) -> dict[int, str]:
    """The shipping option picked per shop (radio ``ship_<shop id>``); a shop without one gets its cheapest."""
    return {g.shop.id: request.form[f"ship_{g.shop.id}"] for g in cart.groups if request.form.get(f"ship_{g.shop.id}")}


def _preview(cart: cart_services.Cart, address: dict[str, str], discount_idr: int = 0) -> Preview:
    """What :func:`place_order` would charge for this cart and address (read-only), less the applied
    voucher's ``discount_idr``, with each shop's options and the one picked."""
    quoter = deps().shipping_quotes
    quote = shipping_quotes.checkout_quoter(quoter, address, _choices(cart))
    return Preview(
        shipping={g.shop.id: quote(g.shop, g.weight_grams, address["city"], address["province"]) for g in cart.groups},
        subtotal_idr=cart.subtotal_idr - discount_idr,
        options={g.shop.id: quoter.quote(shipping_quotes.parcel_of(g.shop, g.weight_grams, address, g.lines))
                 for g in cart.groups},
    )


def _checkout_page(form: AddressForm, status: int, preview: Preview | None = None) -> Any:
    session, buyer = get_session(), require_user(BUYER)
    cart = cart_services.get_cart(session, buyer)
    out = {**cart_schemas.cart_out(cart, deps().media_storage.url),
           **vouchers.cart_fields(session, buyer, cart.groups, now=utcnow())}  # the applied voucher
    return render_template("orders/checkout.html", form=form, preview=preview, cart=out), status


@bp.route("/checkout", methods=["GET", "POST"])
@login_required(BUYER)
def checkout() -> Any:
    """The address, shipping per shop and totals; "Place order" creates the order and opens its payment."""
    session, buyer = get_session(), require_user(BUYER)
    form = AddressForm() if request.method == "POST" else AddressForm(recipient=buyer.name)
    if request.method == "GET" and not cart_services.get_cart(session, buyer).lines:
        return redirect(url_for("cart_pages.cart"))
    address, status = load_form(form, AddressIn())
    if address is None:
        return _checkout_page(form, status)
    try:
        if request.form.get("action") == "place":
            settings = deps().settings
            choices = _choices(cart_services.get_cart(session, buyer))
            order = place_order(session, buyer, address, now=utcnow(),
                                quote_shipping=shipping_quotes.checkout_quoter(deps().shipping_quotes, address, choices),
                                payment_ttl=timedelta(minutes=settings.order_payment_ttl_minutes),
                                attribution=current_touch())
            return redirect(url_for("payments_pages.pay", order_id=order.id))
        cart = cart_services.get_cart(session, buyer)
        preview = _preview(cart, address, vouchers.cart_fields(session, buyer, cart.groups, now=utcnow())["discount_idr"])
    except DomainError as err:
        status = show_errors(form, err)  # nothing of it kept: the page shows the cart as it is
        return _checkout_page(form, status)
    return _checkout_page(form, 200, preview)


@bp.route("/orders")
@login_required(BUYER)
def my_orders() -> Any:
    """The buyer's orders, newest first."""
    return render_template("orders/index.html", orders=services.list_for_buyer(get_session(), require_user(BUYER)))


@bp.route("/orders/<int:order_id>")
@login_required(BUYER)
def order(order_id: int) -> Any:
    """One of the buyer's orders (anyone else's is 404): each shop's part, totals, and its timeline."""
    session, buyer = get_session(), require_user(BUYER)
    found = services.get_for_buyer(session, buyer, order_id)
    return render_template("orders/show.html", order=found, timeline=services.timeline(session, buyer, order_id),
                           tracking=tracking.histories(session, [so.id for so in found.seller_orders]))
