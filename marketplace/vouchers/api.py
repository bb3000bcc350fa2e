"""Vouchers JSON API (ARCHITECTURE.md §5): a shop's codes (its artisan), the programme's (admins), and
the buyer's applied code on the cart. Thin: a schema parses, one service acts."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.cart import schemas as cart_schemas
from marketplace.cart import services as cart_services
from marketplace.db import utcnow
from marketplace.shops.services import require_shop_for_owner
from marketplace.vouchers import schemas, services
from marketplace.web.apidoc import error_responses
from marketplace.web.auth import api_auth, require_user
from marketplace.web.deps import deps
from marketplace.web.transaction import get_session

bp = Blueprint("vouchers_api", __name__, url_prefix="/api/v1", description="Vouchers")

ARTISAN, ADMIN, BUYER = Role.ARTISAN.value, Role.ADMIN.value, Role.BUYER.value


def _my_shop_id() -> int:
    return require_shop_for_owner(get_session(), require_user(ARTISAN).id).id


@bp.route("/seller/vouchers", methods=["GET"])
@bp.doc(**error_responses(404))
@api_auth(ARTISAN)
@bp.response(200, schemas.VoucherList)
def shop_vouchers() -> Any:
    """The caller's shop's vouchers, newest first, with live uses and the rupiah they gave."""
    return {"items": services.list_vouchers(get_session(), shop_id=_my_shop_id())}


@bp.route("/seller/vouchers", methods=["POST"])
@bp.doc(**error_responses(404))
@api_auth(ARTISAN)
@bp.arguments(schemas.VoucherIn)
@bp.response(201, schemas.VoucherOut)
def create_shop_voucher(body: dict[str, Any]) -> Any:
    """A voucher for the caller's shop's items; 422 naming the field (code taken, percent over 100,
    end before start)."""
    session = get_session()
    voucher = services.create(session, require_user(ARTISAN), body, shop_id=_my_shop_id(), now=utcnow())
    return services.view(session, voucher)


@bp.route("/seller/vouchers/<int:voucher_id>", methods=["PATCH"])
@bp.doc(**error_responses(404))
@api_auth(ARTISAN)
@bp.arguments(schemas.VoucherPatch)
@bp.response(200, schemas.VoucherOut)
def update_shop_voucher(body: dict[str, Any], voucher_id: int) -> Any:
    """Change or pause one of the shop's vouchers (another shop's is 404)."""
    session = get_session()
    voucher = services.get_for_shop(session, voucher_id, _my_shop_id())
    return services.view(session, services.update_voucher(session, voucher, body, now=utcnow()))


@bp.route("/admin/vouchers", methods=["GET"])
@api_auth(ADMIN)
@bp.response(200, schemas.VoucherList)
def programme_vouchers() -> Any:
    """The programme's vouchers, newest first, with live uses and the rupiah they gave."""
    return {"items": services.list_vouchers(get_session(), shop_id=None)}


@bp.route("/admin/vouchers", methods=["POST"])
@api_auth(ADMIN)
@bp.arguments(schemas.ProgrammeVoucherIn)
@bp.response(201, schemas.VoucherOut)
def create_programme_voucher(body: dict[str, Any]) -> Any:
    """A programme voucher (paid by the programme), optionally for one city, sentra or category."""
    session = get_session()
    voucher = services.create(session, require_user(ADMIN), body, shop_id=None, now=utcnow())
    return services.view(session, voucher)


@bp.route("/admin/vouchers/<int:voucher_id>", methods=["PATCH"])
@bp.doc(**error_responses(404))
@api_auth(ADMIN)
@bp.arguments(schemas.ProgrammeVoucherPatch)
@bp.response(200, schemas.VoucherOut)
def update_programme_voucher(body: dict[str, Any], voucher_id: int) -> Any:
    """Change or pause a programme voucher."""
    session = get_session()
    voucher = services.get_programme(session, voucher_id)
    return services.view(session, services.update_voucher(session, voucher, body, now=utcnow()))


def _cart_answer() -> dict[str, Any]:
    session, buyer = get_session(), require_user(BUYER)
    cart = cart_services.get_cart(session, buyer)
    return {**cart_schemas.cart_out(cart, deps().media_storage.url),
            **services.cart_fields(session, buyer, cart.groups, now=utcnow())}


@bp.route("/cart/voucher", methods=["POST"])
@api_auth(BUYER)
@bp.arguments(schemas.CartVoucherIn)
@bp.response(200, cart_schemas.CartOut)
def apply_voucher(body: dict[str, Any]) -> Any:
    """Apply a code to the cart (one at a time: it replaces another); 422 ``voucher_invalid`` with the
    reason in ``fields.code`` (unknown, paused, not_started, expired, used_up, per_buyer_limit,
    not_for_these_products, below_minimum)."""
    session, buyer = get_session(), require_user(BUYER)
    services.apply_to_cart(session, buyer, body["code"], cart_services.get_cart(session, buyer).groups, now=utcnow())
    return _cart_answer()


@bp.route("/cart/voucher", methods=["DELETE"])
@api_auth(BUYER)
@bp.response(200, cart_schemas.CartOut)
def remove_voucher() -> Any:
    """Take the applied code off the cart."""
    services.remove_from_cart(get_session(), require_user(BUYER))
    return _cart_answer()
