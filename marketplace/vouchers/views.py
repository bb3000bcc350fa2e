"""Voucher pages: a shop's vouchers (its artisan), the programme's (admins), and the cart's voucher
field (buyers). Each form is parsed by the API's schema and handed to one service."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for

from marketplace.accounts.models import Role
from marketplace.cart import views as cart_views
from marketplace.cart import services as cart_services
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.shops.services import require_shop_for_owner
from marketplace.vouchers import forms, rules, schemas, services
from marketplace.web.auth import login_required, require_user
from marketplace.web.forms import CsrfOnly, act_then_redirect, load_form, show_errors
from marketplace.web.i18n import gettext as _
from marketplace.web.transaction import discard, get_session

bp = Blueprint("vouchers_pages", __name__)

ARTISAN, ADMIN, BUYER = Role.ARTISAN.value, Role.ADMIN.value, Role.BUYER.value


def _page(template: str, form: Any, items: list[Any], status: int, pause_url: str) -> Any:
    return render_template(template, form=form, items=items, button=CsrfOnly(), pause_url=pause_url), status


@bp.route("/seller/vouchers", methods=["GET", "POST"])
@login_required(ARTISAN)
def shop_vouchers() -> Any:
    """The shop's vouchers (uses so far, rupiah given, pause) and a form to create one."""
    session, user = get_session(), require_user(ARTISAN)
    shop = require_shop_for_owner(session, user.id)
    form = forms.VoucherForm()
    values, status = load_form(form, schemas.VoucherIn())
    if values is not None:
        try:
            services.create(session, user, values, shop_id=shop.id, now=utcnow())
        except DomainError as err:
            status = show_errors(form, err)
        else:
            flash(_("The voucher is created."), "info")
            return redirect(url_for(".shop_vouchers"))
    return _page("vouchers/seller.html", form, services.list_vouchers(session, shop_id=shop.id), status,
                 "vouchers_pages.shop_voucher_pause")


@bp.route("/seller/vouchers/<int:voucher_id>/<any(pause, resume):action>", methods=["POST"])
@login_required(ARTISAN)
def shop_voucher_pause(voucher_id: int, action: str) -> Any:
    """Pause or resume one of the shop's vouchers."""
    session, user = get_session(), require_user(ARTISAN)
    form = CsrfOnly()
    if not form.validate_on_submit():
        discard()
        return redirect(url_for(".shop_vouchers"))

    def act() -> None:
        voucher = services.get_for_shop(session, voucher_id, require_shop_for_owner(session, user.id).id)
        services.update_voucher(session, voucher, {"paused": action == "pause"}, now=utcnow())

    return act_then_redirect(act, url_for(".shop_vouchers"))


@bp.route("/admin/vouchers", methods=["GET", "POST"])
@login_required(ADMIN)
def programme_vouchers() -> Any:
    """The programme's vouchers (uses so far, rupiah given, pause) and a form to create one."""
    session, user = get_session(), require_user(ADMIN)
    form = forms.ProgrammeVoucherForm()
    values, status = load_form(form, schemas.ProgrammeVoucherIn())
    if values is not None:
        try:
            services.create(session, user, values, shop_id=None, now=utcnow())
        except DomainError as err:
            status = show_errors(form, err)
        else:
            flash(_("The voucher is created."), "info")
            return redirect(url_for(".programme_vouchers"))
    return _page("vouchers/admin.html", form, services.list_vouchers(session, shop_id=None), status,
                 "vouchers_pages.programme_voucher_pause")


@bp.route("/admin/vouchers/<int:voucher_id>/<any(pause, resume):action>", methods=["POST"])
@login_required(ADMIN)
def programme_voucher_pause(voucher_id: int, action: str) -> Any:
    """Pause or resume a programme voucher."""
    session = get_session()
    if not CsrfOnly().validate_on_submit():
        discard()
        return redirect(url_for(".programme_vouchers"))

    def act() -> None:
        services.update_voucher(session, services.get_programme(session, voucher_id), {"paused": action == "pause"},
                                now=utcnow())

    return act_then_redirect(act, url_for(".programme_vouchers"))


@bp.route("/cart/voucher", methods=["POST"])
@login_required(BUYER)
def apply_to_cart() -> Any:
    """Apply a code to the cart; the cart page says why when it does not apply."""
    session, buyer = get_session(), require_user(BUYER)
    form = forms.CartVoucherForm()
    values, status = load_form(form, schemas.CartVoucherIn())
    if values is not None:
        try:
            services.apply_to_cart(session, buyer, values["code"], cart_services.get_cart(session, buyer).groups,
                                   now=utcnow())
        except services.VoucherInvalid as err:
            discard()
            form.code.errors = [rules.MESSAGES[err.reason]]
            status = 422
        else:
            flash(_("The voucher is applied."), "info")
            return redirect(url_for("cart_pages.cart"))
    return cart_views.cart_page(form, status)


@bp.route("/cart/voucher/remove", methods=["POST"])
@login_required(BUYER)
def remove_from_cart() -> Any:
    """Take the applied code off the cart."""
    if CsrfOnly().validate_on_submit():
        services.remove_from_cart(get_session(), require_user(BUYER))
    return redirect(url_for("cart_pages.cart"))
