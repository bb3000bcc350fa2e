"""Cart JSON API (ARCHITECTURE.md §5): a buyer's cart, grouped by shop, with each line's problems.

Buyers only (anonymous 401; artisans and admins 403): a visitor's cart lives in the page session.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.web.auth import api_auth, require_user
from marketplace.cart import schemas, services
from marketplace.web.apidoc import error_responses
from marketplace.web.transaction import get_session
from marketplace.web.deps import deps
from marketplace.db import utcnow
from marketplace.vouchers import services as vouchers

bp = Blueprint("cart_api", __name__, url_prefix="/api/v1", description="Cart")

BUYER = Role.BUYER.value


def _out(cart: services.Cart) -> dict[str, Any]:
    """The cart answer, with the applied voucher's discounts (``marketplace.vouchers``)."""
    return {**schemas.cart_out(cart, deps().media_storage.url),
            **vouchers.cart_fields(get_session(), require_user(), cart.groups, now=utcnow())}


@bp.route("/cart", methods=["GET"])
@api_auth(BUYER)
@bp.response(200, schemas.CartOut)
def get_cart() -> Any:
    """The caller's cart, grouped by shop, with problems (sold out, withdrawn, price changed)."""
    return _out(services.get_cart(get_session(), require_user()))


@bp.route("/cart/items", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth(BUYER)
@bp.arguments(schemas.CartItemIn)
@bp.response(200, schemas.CartOut)
def add_item(body: dict[str, Any]) -> Any:
    """Add a product (to the quantity already in the cart); 409 when there is not enough stock; 422
    ``variant_required`` when the listing has variants and ``variant_id`` names none."""
    return _out(services.add_item(get_session(), require_user(), body["listing_id"], body["quantity"],
                                  body["variant_id"]))


@bp.route("/cart/items/<int:listing_id>", methods=["PATCH"])
@bp.doc(**error_responses(409))
@api_auth(BUYER)
@bp.arguments(schemas.CartLineQuery, location="query")
@bp.arguments(schemas.CartQuantityIn)
@bp.response(200, schemas.CartOut)
def set_quantity(query: dict[str, Any], body: dict[str, Any], listing_id: int) -> Any:
    """Change a line's quantity (``?variant_id=`` for a variant's line); this also accepts its current price."""
    return _out(services.set_quantity(get_session(), require_user(), listing_id, body["quantity"],
                                      query["variant_id"]))


@bp.route("/cart/items/<int:listing_id>", methods=["DELETE"])
@api_auth(BUYER)
@bp.arguments(schemas.CartLineQuery, location="query")
@bp.response(200, schemas.CartOut)
def remove_item(query: dict[str, Any], listing_id: int) -> Any:
    """Take a product (``?variant_id=``: that variant's line) out of the cart."""
    return _out(services.remove_item(get_session(), require_user(), listing_id, query["variant_id"]))
