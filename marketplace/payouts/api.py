"""Payouts JSON API (ARCHITECTURE.md §5): the artisan's payout account, earnings and monthly
statement; the admins' payouts, retry and reconciliation. Thin: a schema parses, one service acts."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.web.auth import api_auth, require_user
from marketplace.web.apidoc import error_responses
from marketplace.db import utcnow
from marketplace.web.transaction import get_session
from marketplace.ledger import services as ledger
from marketplace.ledger.check import check
from marketplace.payouts import accounts, earnings, release, schemas
from marketplace.payouts.providers import AccountDetails
from marketplace.web.deps import deps

bp = Blueprint("payouts_api", __name__, url_prefix="/api/v1", description="Payouts")

ARTISAN, ADMIN = Role.ARTISAN.value, Role.ADMIN.value


def return_url() -> str:
    """Where a provider's onboarding form sends the artisan back: their earnings page."""
    return deps().settings.public_base_url.rstrip("/") + "/seller/payouts"


@bp.route("/seller/payout-account", methods=["POST"])
@api_auth(ARTISAN)
@bp.arguments(schemas.PayoutAccountIn)
@bp.response(200, schemas.PayoutAccountOut)
@bp.doc(**error_responses(409, 422))
def connect(body: dict[str, Any]) -> Any:
    """Connect the shop's payout account: ``connected`` at once, or ``onboarding`` with the provider's form."""
    details = AccountDetails(**{k: body.get(k) for k in schemas.DETAIL_FIELDS})
    return accounts.connect_account(get_session(), deps().payout_provider, require_user(), details,
                                    return_url=return_url(), now=utcnow())


@bp.route("/seller/payouts", methods=["GET"])
@api_auth(ARTISAN)
@bp.response(200, schemas.EarningsOut)
@bp.doc(**error_responses(409))
def seller_payouts() -> Any:
    """Your balance, what is on hold, scheduled and paid, each payout with its orders and the commission."""
    return earnings.earnings(get_session(), require_user())


@bp.route("/seller/statements/<month>.csv", methods=["GET"])
@api_auth(ARTISAN)
@bp.response(200, content_type="text/csv")
@bp.doc(**error_responses(409, 422))
def statement(month: str) -> Any:
    """The month's statement (``YYYY-MM``, WIB) as CSV: opening balance, each movement, closing balance."""
    body = earnings.statement_csv(get_session(), require_user(), month)
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="statement-{month}.csv"'})


@bp.route("/admin/payouts", methods=["GET"])
@api_auth(ADMIN)
@bp.arguments(schemas.AdminPayoutsQuery, location="query")
@bp.response(200, schemas.AdminPayoutList)
def admin_payouts(query: dict[str, Any]) -> Any:
    """Payouts, newest first, by status."""
    rows = earnings.admin_payouts(get_session(), query.get("status"))
    return {"items": [earnings.present_payout(p) for p in rows]}


@bp.route("/admin/payouts/<int:payout_id>/retry", methods=["POST"])
@api_auth(ADMIN)
@bp.response(200, schemas.PayoutOut)
@bp.doc(**error_responses(409))
def retry(payout_id: int) -> Any:
    """Retry a failed payout (a new transfer) or send a retrying one now; 409 for any other."""
    payout = release.retry_payout(get_session(), payout_id, now=utcnow(), actor=require_user(ADMIN))
    return earnings.present_payout(payout)


@bp.route("/admin/reconciliation", methods=["GET"])
@api_auth(ADMIN)
@bp.response(200, schemas.ReconciliationOut)
def reconciliation() -> Any:
    """The ledger and our payouts against the provider's transfers; mismatches listed."""
    session = get_session()
    result = earnings.reconcile(session, deps().payout_provider)
    return {**result.__dict__, "ledger_problems": check(session), "programme_subsidy": [
        {"month": month, "owed_idr": owed} for month, owed in ledger.programme_subsidy_by_month(session).items()]}
