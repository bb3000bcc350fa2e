"""Payout pages: the artisan's earnings (balance, payouts, commission per order, statements) with the
payout account form; the admins' payouts overview with its retry button, and the reconciliation.
Thin: the form is parsed with the API's schema, one service is called."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from wtforms import StringField

from marketplace.accounts.models import Role
from marketplace.web.auth import login_required, require_user
from marketplace.db import utcnow
from marketplace.web.transaction import get_session
from marketplace.errors import DomainError
from marketplace.web.forms import CsrfOnly, SchemaForm, flash_refusal, load_form, show_errors
from marketplace.web.i18n import gettext as _
from marketplace.ledger import services as ledger
from marketplace.ledger.check import check
from marketplace.payouts import accounts, earnings, release, schemas
from marketplace.payouts.api import return_url
from marketplace.payouts.providers import AccountDetails
from marketplace.web.deps import deps

bp = Blueprint("payouts_pages", __name__)

ARTISAN, ADMIN = Role.ARTISAN.value, Role.ADMIN.value


class AccountForm(SchemaForm):
    channel_code = StringField("Bank or e-wallet code (e.g. ID_BCA)")
    account_number = StringField("Account or phone number")
    account_holder_name = StringField("Account holder's name")


def _seller_page(form: Any = None, status: int = 200) -> Any:
    session = get_session()
    artisan = require_user(ARTISAN)
    summary = earnings.earnings(session, artisan)
    provider = deps().payout_provider
    return render_template("payouts/seller.html", summary=summary, account=summary["account"],
                           form=form or AccountForm(formdata=None), provider=provider.name,
                           asks_details=provider.name == "xendit",
                           month=utcnow().astimezone(earnings.TIMEZONE).strftime("%Y-%m")), status


@bp.route("/seller/payouts")
@login_required(ARTISAN)
def seller() -> Any:
    """What the shop earned: balance, payouts on hold, scheduled and paid, the commission per order."""
    return _seller_page()


@bp.route("/seller/payout-account", methods=["POST"])
@login_required(ARTISAN)
def connect() -> Any:
    """Connect the payout account (the provider's form next, when it has one)."""
    form = AccountForm()
    values, status = load_form(form, schemas.PayoutAccountIn())
    if values is None:
        return _seller_page(form, status)
    details = AccountDetails(**{k: values.get(k) for k in schemas.DETAIL_FIELDS})
    try:
        account = accounts.connect_account(get_session(), deps().payout_provider, require_user(ARTISAN), details,
                                           return_url=return_url(), now=utcnow())
    except DomainError as err:
        return _seller_page(form, show_errors(form, err))
    if account.status == "onboarding" and account.onboarding_url:
        return redirect(account.onboarding_url)
    flash(_("Your payout account is connected."), "info")
    return redirect(url_for(".seller"))


@bp.route("/seller/statement")
@login_required(ARTISAN)
def statement() -> Any:
    """The month's statement as CSV (``?month=YYYY-MM``), as the API gives it."""
    month = request.args.get("month", "")
    body = earnings.statement_csv(get_session(), require_user(ARTISAN), month)
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="statement-{month}.csv"'})


@bp.route("/admin/payouts")
@login_required(ADMIN)
def admin() -> Any:
    """Payouts that need an admin (failed, retrying, waiting for an account) and those due."""
    return render_template("payouts/admin.html", groups=earnings.overview(get_session(), utcnow()),
                           retry_form=CsrfOnly(formdata=None))


@bp.route("/admin/payouts/<int:payout_id>/retry", methods=["POST"])
@login_required(ADMIN)
def retry(payout_id: int) -> Any:
    """Send a failed payout again (a new transfer), or a retrying one now."""
    if not CsrfOnly().validate_on_submit():
        return redirect(url_for(".admin"))
    try:
        release.retry_payout(get_session(), payout_id, now=utcnow(), actor=require_user(ADMIN))
    except DomainError as err:
        flash_refusal(err)
        return redirect(url_for(".admin"))
    flash(_("The payout is being sent again."), "info")
    return redirect(url_for(".admin"))


@bp.route("/admin/reconciliation")
@login_required(ADMIN)
def reconciliation() -> Any:
    """The ledger and the payouts against the provider's transfers, with every mismatch."""
    session = get_session()
    return render_template("payouts/reconciliation.html", result=earnings.reconcile(session, deps().payout_provider),
                           problems=check(session), subsidy=ledger.programme_subsidy_by_month(session))
