"""Cart pages: add from the listing page, the cart itself (change, remove), and the header's count.

Visitors and buyers have carts; artisans and admins do not (403). A buyer's cart is the account's rows
(:mod:`marketplace.cart.services`), a visitor's is the session's (:mod:`marketplace.cart.session_cart`,
merged into the account at login). Each view parses its form with the cart schemas (the API's rules),
calls one of the two, and redirects to the cart; a refusal is shown on the cart page with its status.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for, session as web_session
from marshmallow import ValidationError
from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.web.auth import current_user
from marketplace.cart import schemas, services, session_cart
from marketplace.cart.forms import AddToCartForm, QuantityForm, RemoveForm
from marketplace.cart.models import CartItem
from marketplace.cart.variants import variant_by_options
from marketplace.web.transaction import get_session
from marketplace.errors import Conflict, DomainError, Forbidden, Unauthorized, ValidationFailed
from marketplace.formatting import format_number
from marketplace.web.transaction import discard
from marketplace.web.forms import load_form, show_errors
from marketplace.web.i18n import current_locale
from marketplace.web.i18n import gettext as _
from marketplace.listings.models import MAX_OPTION_NAMES, Listing
from marketplace.web.deps import deps
from marketplace.db import utcnow
from marketplace.vouchers import services as vouchers

bp = Blueprint("cart_pages", __name__)

BUYER = Role.BUYER.value


def _cart_owner() -> User | None:
    """The buyer whose cart this is, or None for a visitor; artisans and admins have none (403)."""
    user = current_user()
    if user is not None and user.role != BUYER:
        raise Forbidden("Only buyers have a cart.")
    return user


def _cart_page(form: Any = None, status: int = 200, line_id: int | None = None) -> Any:
    """The cart page; ``form`` is a refused form whose messages are shown beside line ``line_id``
    (or above the cart)."""
    session, user = get_session(), _cart_owner()
    cart = services.get_cart(session, user) if user else session_cart.read(web_session, session)
    g.cart_item_count = cart.item_count  # the header's count: this very cart, no second query
    messages = [*form.form_errors, *(e for f in form if f.errors for e in f.errors)] if form else []
    out = schemas.cart_out(cart, deps().media_storage.url)
    if user:  # the applied voucher's discounts, or why it does not apply (``marketplace.vouchers``)
        out.update(vouchers.cart_fields(session, user, cart.groups, now=utcnow()))
    return render_template(
        "cart/cart.html", cart=out, messages=messages, line_id=line_id,
        max_quantity=services.MAX_QUANTITY, logged_in=user is not None,
        line_variant_id=request.args.get("variant_id", type=int),
    ), status


#: The cart page with a refused form's messages (the voucher field's, ``marketplace.vouchers.views``).
cart_page = _cart_page


def _show(form: Any, err: DomainError, listing_id: int | None) -> int:
    """:func:`show_errors`, with "Only N left." put in the visitor's words (the service's message has
    the number in it already, so it cannot be looked up as a message id)."""
    listing = get_session().get(Listing, listing_id) if listing_id and err.code == "insufficient_stock" else None
    if listing is not None:
        text = _("Only {stock} left.", stock=format_number(listing.stock, current_locale()))
        err = Conflict(text, code=err.code, fields={"quantity": [text]})
    return show_errors(form, err)


def _refused(form: Any, status: int, line_id: int | None = None) -> Any:
    discard()  # nothing of a refused change is kept, and the page shows the cart as it is
    return _cart_page(form, status, line_id)


def _variant_id() -> int | None:
    """The line's ``?variant_id=`` (the cart page's forms carry it in their address); a bad one is 422."""
    try:
        return schemas.CartLineQuery().load(request.args.to_dict())["variant_id"]
    except ValidationError as err:
        raise ValidationFailed("Not a valid variant.", fields={"variant_id": ["Not a valid variant."]}) from err


@bp.route("/cart")
def cart() -> Any:
    """The cart, grouped by shop, with what stands in the way of buying each line."""
    return _cart_page()


@bp.route("/cart/items", methods=["POST"])
def add_item() -> Any:
    """Add a product (the listing page's "Add to cart"); works for visitors too."""
    user, form = _cart_owner(), AddToCartForm()
    values, status = load_form(form, schemas.CartItemIn())
    if values is None:
        return _refused(form, status)
    try:
        if values["variant_id"] is None:  # the listing page's pickers send the chosen values
            chosen = [request.form.get(f"option_{i}", "") for i in range(MAX_OPTION_NAMES)]
            if any(chosen):
                listing = services.listing_for_sale(get_session(), values["listing_id"])
                values["variant_id"] = variant_by_options(listing, chosen)
        if user:
            services.put_item(get_session(), user, values["listing_id"], values["quantity"], values["variant_id"])
        else:
            session_cart.add(web_session, get_session(), values["listing_id"], values["quantity"], values["variant_id"])
    except DomainError as err:
        return _refused(form, _show(form, err, values["listing_id"]))
    flash(_("Added to your cart."), "info")
    return redirect(url_for(".cart"))


@bp.route("/cart/items/<int:listing_id>", methods=["POST"])
def set_quantity(listing_id: int) -> Any:
    """Change a line's quantity; this also accepts the product's current price."""
    user, form = _cart_owner(), QuantityForm()
    values, status = load_form(form, schemas.CartQuantityIn())
    if values is None:
        return _refused(form, status, listing_id)
    try:
        variant_id = _variant_id()
        if user:
            services.set_quantity(get_session(), user, listing_id, values["quantity"], variant_id)
        else:
            session_cart.set_quantity(web_session, get_session(), listing_id, values["quantity"], variant_id)
    except DomainError as err:
        return _refused(form, _show(form, err, listing_id), listing_id)
    flash(_("Your cart is updated."), "info")
    return redirect(url_for(".cart"))


@bp.route("/cart/items/<int:listing_id>/remove", methods=["POST"])
def remove_item(listing_id: int) -> Any:
    """Take a product out of the cart."""
    user, form = _cart_owner(), RemoveForm()
    if not form.validate_on_submit():
        return _refused(form, 400, listing_id)
    try:
        variant_id = _variant_id()
        if user:
            services.remove_item(get_session(), user, listing_id, variant_id)
        else:
            session_cart.remove(web_session, listing_id, variant_id)
    except DomainError as err:
        return _refused(form, _show(form, err, listing_id), listing_id)
    flash(_("The product was removed from your cart."), "info")
    return redirect(url_for(".cart"))


def cart_item_count(user: User | None) -> int | None:
    """The header's count: items in the buyer's cart (one query, none on the cart page, which has the
    cart loaded already) or the visitor's session (none); ``None`` for artisans and admins, who have no cart."""
    if user is None:
        return session_cart.item_count(web_session)
    if user.role != BUYER:
        return None
    if "cart_item_count" in g:
        return int(g.cart_item_count)
    stmt = select(func.coalesce(func.sum(CartItem.quantity), 0)).where(CartItem.user_id == user.id)
    return int(get_session().scalar(stmt) or 0)


@bp.app_context_processor
def _inject_cart() -> dict[str, Any]:
    def count() -> int | None:
        try:
            user = current_user()
        except Unauthorized:
            user = None
        return cart_item_count(user)

    # Called by the header only, so pages that show no header (none yet) would cost nothing.
    return {"cart_item_count": count, "cart_max_quantity": services.MAX_QUANTITY,
            "add_to_cart_form": AddToCartForm}
